{#-
    The orders every point-in-time customer measure counts: one row per
    non-cancelled order of a customer (guest orders belong to no customer)
    dated on or before the as-of date (int_as_of_date). Later orders are left
    out; cancelled orders count for nothing. Read by the RFM and behaviour
    metrics and by the lifecycle's per-order history.
-#}
with orders as (

    select * from {{ ref('int_order_revenue') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.session_id,
        orders.ordered_at,
        orders.order_date,
        orders.gross_revenue,
        orders.discount_amount,
        orders.returned_revenue,
        orders.net_revenue,
        as_of.as_of_date
    from orders
    cross join as_of
    where
        orders.customer_id is not null
        and not orders.is_cancelled
        and orders.order_date <= as_of.as_of_date

)

select * from final
