{#-
    One row per session that has events: what the visitor did. This is the
    single full pass over the (large) events table for the customer facts;
    fct_sessions, identity stitching and dim_customers reuse it. Identity
    links (purchase events, session-less logins) are in
    int_event_identity_links.

    event_customer_id: the customer on the session's events; if they carry
    several, the smallest customer_id (deterministic, one pass).
    No count(distinct) here (e.g. of products viewed): on tens of millions of
    events it doubles the cost of this aggregation.

    Incremental (macros/staging/incremental.sql): the events of the load ids
    not seen yet are aggregated per session and merged with the sessions'
    earlier partial aggregates (min, max, sum and count merge); the merged
    sessions replace theirs (delete+insert), so a late event lands in its
    session.
-#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='session_id',
    pre_hook=["{{ reset_incremental_model('events') }}"]) }}
with events as (

    select * from {{ ref('stg_shop__events') }}
    where session_id is not null
        and {{ new_load_ids_filter('events') }}

),

new_per_session as (

    select
        session_id,
        min(visitor_id) as event_visitor_id,
        min(customer_id) as event_customer_id,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        count(*) as event_count,
        sum(case when event_type in ('page_view', 'category_view', 'product_view') then 1 else 0 end)
            as page_view_count,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_view_count,
        sum(case when event_type = 'search' then 1 else 0 end) as search_count,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as cart_add_count,
        max(case when event_type = 'checkout_step' then checkout_step end) as max_checkout_step,
        max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase_event_flag,
        max(_load_id) as _load_id
    from events
    group by session_id

),

earlier_per_session as (

    {{ earlier_rows('events', 'new_per_session', 'session_id', [
        'session_id', 'event_visitor_id', 'event_customer_id', 'first_event_at', 'last_event_at', 'event_count',
        'page_view_count', 'product_view_count', 'search_count', 'cart_add_count', 'max_checkout_step',
        'case when has_purchase_event then 1 else 0 end as has_purchase_event_flag', '_load_id']) }}

),

partial_aggregates as (

    select * from new_per_session
    union all
    select * from earlier_per_session

),

per_session as (

    {#- merges a session's partial aggregates (one per batch); on a full build one per session #}
    select
        session_id,
        min(event_visitor_id) as event_visitor_id,
        min(event_customer_id) as event_customer_id,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        sum(event_count) as event_count,
        sum(page_view_count) as page_view_count,
        sum(product_view_count) as product_view_count,
        sum(search_count) as search_count,
        sum(cart_add_count) as cart_add_count,
        max(max_checkout_step) as max_checkout_step,
        max(has_purchase_event_flag) as has_purchase_event_flag,
        max(_load_id) as _load_id
    from partial_aggregates
    group by session_id

),

final as (

    {#- Counts as bigint: a sum of ints is a 128-bit integer on DuckDB, slow to store and read. #}
    select
        session_id,
        event_visitor_id,
        event_customer_id,
        first_event_at,
        last_event_at,
        cast(event_count as {{ dbt.type_bigint() }}) as event_count,
        cast(page_view_count as {{ dbt.type_bigint() }}) as page_view_count,
        cast(product_view_count as {{ dbt.type_bigint() }}) as product_view_count,
        cast(search_count as {{ dbt.type_bigint() }}) as search_count,
        cast(cart_add_count as {{ dbt.type_bigint() }}) as cart_add_count,
        cast(max_checkout_step as {{ dbt.type_int() }}) as max_checkout_step,
        has_purchase_event_flag = 1 as has_purchase_event,
        _load_id
    from per_session

)

select * from final
