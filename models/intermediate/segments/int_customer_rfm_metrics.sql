{#- Recency, frequency and monetary value of every customer with at least one
    non-cancelled order on or before the as-of date (int_as_of_date), counting
    only those orders: RFM is point-in-time, so segments can be computed for a
    past as-of date on today's data. -#}
with orders as (

    select * from {{ ref('int_customer_orders_as_of') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

customer_orders as (

    select
        orders.customer_id,
        max(orders.order_date) as last_order_date,
        count(*) as frequency,
        sum(orders.net_revenue) as monetary
    from orders
    group by orders.customer_id

),

final as (

    select
        customer_orders.customer_id,
        customer_orders.last_order_date,
        as_of.as_of_date,
        {{ days_between('customer_orders.last_order_date', 'as_of.as_of_date') }} as recency_days,
        customer_orders.frequency,
        customer_orders.monetary
    from customer_orders
    cross join as_of

)

select * from final
