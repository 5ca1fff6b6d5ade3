{#-
    Events that link identities, from one narrow (filtered) pass over the
    events, one row per link with the time it was first seen:
    - order_session: a purchase event ties its order to its session;
    - visitor_customer: an event without a session that carries a visitor
      and a customer ties that visitor to the customer.
    Incremental (macros/staging/incremental.sql): the links of the events of
    the load ids not seen yet, merged with the same links seen before
    (first_seen_at: the minimum), replace them (delete+insert).
-#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='identity_link_id',
    pre_hook=["{{ reset_incremental_model('events') }}"]) }}
with events as (

    select * from {{ ref('stg_shop__events') }}
    where
        (
            (event_type = 'purchase' and order_id is not null and session_id is not null)
            or (session_id is null and visitor_id is not null and customer_id is not null)
        )
        and {{ new_load_ids_filter('events') }}

),

links as (

    select
        case when session_id is not null then 'order_session' else 'visitor_customer' end as link_type,
        case when session_id is not null then order_id end as order_id,
        session_id,
        case when session_id is null then visitor_id end as visitor_id,
        case when session_id is null then customer_id end as customer_id,
        occurred_at,
        _load_id
    from events

),

grouped as (

    select
        link_type,
        order_id,
        session_id,
        visitor_id,
        customer_id,
        min(occurred_at) as first_seen_at,
        max(_load_id) as _load_id
    from links
    group by link_type, order_id, session_id, visitor_id, customer_id

),

new_links as (

    select
        {{ dbt.hash(dbt.concat([
            'link_type', 'chr(31)',
            "coalesce(order_id, '')", 'chr(31)',
            "coalesce(session_id, '')", 'chr(31)',
            "coalesce(visitor_id, '')", 'chr(31)',
            "coalesce(customer_id, '')",
        ])) }} as identity_link_id,
        link_type,
        order_id,
        session_id,
        visitor_id,
        customer_id,
        first_seen_at,
        _load_id
    from grouped

),

earlier_links as (

    {{ earlier_rows('events', 'new_links', 'identity_link_id', [
        'identity_link_id', 'link_type', 'order_id', 'session_id', 'visitor_id', 'customer_id', 'first_seen_at',
        '_load_id']) }}

),

merged as (

    select * from new_links
    union all
    select * from earlier_links

),

final as (

    {#- merges a link's first sightings (one per batch); on a full build one per link #}
    select
        identity_link_id,
        link_type,
        order_id,
        session_id,
        visitor_id,
        customer_id,
        min(first_seen_at) as first_seen_at,
        max(_load_id) as _load_id
    from merged
    group by identity_link_id, link_type, order_id, session_id, visitor_id, customer_id

)

select * from final
