{#- Recency, frequency and monetary value of every customer with at least one
    non-cancelled order, at the as-of date (macro as_of_date). -#}
with orders as (

    select * from {{ ref('int_order_revenue') }}

),

as_of as (

    select {{ as_of_date() }} as as_of_date

),

customer_orders as (

    select
        customer_id,
        max(order_date) as last_order_date,
        count(*) as frequency,
        sum(net_revenue) as monetary
    from orders
    where not is_cancelled
    group by customer_id

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
