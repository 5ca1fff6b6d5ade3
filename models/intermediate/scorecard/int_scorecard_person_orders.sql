{#-
    One row per non-cancelled order that belongs to a person (macro
    person_id): the order's customer, else the stitched customer of the
    session it was placed in, else that session's visitor. A guest order
    without a session belongs to no one and is left out. order_value is what
    the order was worth when placed: gross revenue minus discount (0 when
    the discount is larger, as net_revenue does), in the shop currency (returns come later and are not subtracted: a score_name must
    not depend on what happened after the order).
-#}
with orders as (

    select * from {{ ref('int_order_revenue') }}
    where not is_cancelled

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

orders_with_person as (

    select
        orders.order_id,
        {{ person_id('coalesce(orders.customer_id, sessions.customer_id)', 'sessions.visitor_id') }} as person_id,
        orders.ordered_at,
        orders.order_date,
        case
            when orders.gross_revenue > orders.discount_amount then orders.gross_revenue - orders.discount_amount
            else 0
        end as order_value
    from orders
    left join sessions
        on orders.session_id = sessions.session_id

),

final as (

    select
        order_id,
        person_id,
        ordered_at,
        order_date,
        cast(order_value as decimal(18, 2)) as order_value
    from orders_with_person
    where person_id is not null

)

select * from final
