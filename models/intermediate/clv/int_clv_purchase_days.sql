{#-
    One row per customer and purchase day (shop time): the purchases the CLV
    models count. A customer's non-cancelled orders of one day are one
    purchase (repeat purchases are counted per distinct purchase day, as in
    Fader, Hardie and Lee's CDNOW data); purchase_value is their net revenue
    (shop currency, gross less discounts and returned value). Guest orders
    belong to no customer and are not here.
-#}
with orders as (

    select * from {{ ref('int_order_revenue') }}

),

final as (

    select
        {{ dbt.concat(['customer_id', "'|'", 'cast(order_date as ' ~ dbt.type_string() ~ ')']) }}
            as customer_purchase_day_id,
        customer_id,
        order_date as purchase_date,
        cast(sum(net_revenue) as decimal(38, 2)) as purchase_value
    from orders
    where customer_id is not null and not is_cancelled
    group by customer_id, order_date

)

select * from final
