{#- Lint harness of macros/staging/ (analyses/macro_lint/README.md): the helpers of the
    incremental staging and session models (macros/staging/incremental.sql). An analysis is never
    an incremental run, so the branches that read {{ '{{' }} this {{ '}}' }} (a batch over new loads) do not
    render here; the full-build branches do (the incremental ones run in every second build of
    make test and in tests/python/test_incremental.py). -#}
with new_per_session as (

    select
        session_id,
        min(occurred_at) as first_event_at
    from {{ ref('stg_shop__events') }}
    where {{ new_load_ids_filter('events') }}
    group by session_id

),

earlier as (

    {{ earlier_rows('events', 'new_per_session', 'session_id', ['session_id', 'first_event_at']) }}

),

earlier_keys as (

    {{ earlier_valid_keys('events', 'event_id') }}

),

orders_fingerprint as (

    {{ stitching_orders_fingerprint(ref('int_order_revenue')) }}

),

combined as (

    select
        earlier.session_id,
        earlier_keys.event_id,
        orders_fingerprint.fingerprint
    from earlier
    cross join earlier_keys
    cross join orders_fingerprint

)

select
    session_id,
    event_id
from {{ ref('stg_shop__events') }}
where event_id not in (select combined.event_id from combined)
order by {{ delivery_order(['event_id']) }}
