{#-
    The baskets: one row per product in a non-cancelled order, however many
    lines or units of it the order has. Guest orders are baskets too
    (customer_id null, is_guest_order); per-customer models skip them. The transactions of every basket
    model (association rules, accessories, recommendations).
-#}
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

order_products as (

    select
        order_id,
        product_id,
        count(*) as order_lines,
        sum(quantity) as quantity
    from order_items
    group by order_id, product_id

),

final as (

    select
        {{ dbt.concat(['order_products.order_id', "'|'", 'order_products.product_id']) }} as basket_item_id,
        order_products.order_id,
        orders.customer_id,
        orders.is_guest_order,
        orders.ordered_at,
        orders.order_date,
        order_products.product_id,
        products.category,
        products.brand,
        cast(order_products.order_lines as {{ dbt.type_int() }}) as order_lines,
        cast(order_products.quantity as {{ dbt.type_bigint() }}) as quantity
    from order_products
    inner join orders
        on order_products.order_id = orders.order_id
    left join products
        on order_products.product_id = products.product_id
    where not orders.is_cancelled

)

select * from final
