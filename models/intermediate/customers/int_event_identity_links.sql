{#-
    Events that link identities, from one narrow (filtered) pass over the
    events, one row per link with the time it was first seen:
    - order_session: a purchase event ties its order to its session;
    - visitor_customer: an event without a session that carries a visitor
      and a customer ties that visitor to the customer.
-#}
with events as (

    select * from {{ ref('stg_shop__events') }}
    where (event_type = 'purchase' and order_id is not null and session_id is not null)
        or (session_id is null and visitor_id is not null and customer_id is not null)

),

links as (

    select
        case when session_id is not null then 'order_session' else 'visitor_customer' end as link_type,
        case when session_id is not null then order_id end as order_id,
        session_id,
        case when session_id is null then visitor_id end as visitor_id,
        case when session_id is null then customer_id end as customer_id,
        occurred_at
    from events

),

grouped as (

    select
        link_type,
        order_id,
        session_id,
        visitor_id,
        customer_id,
        min(occurred_at) as first_seen_at
    from links
    group by link_type, order_id, session_id, visitor_id, customer_id

),

final as (

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
        first_seen_at
    from grouped

)

select * from final
