{#-
    The best-sellers of each category "now": one row per category and
    product bought in the var('recommendation_best_seller_days') days up to
    the as-of date (order_date in (as_of_date - days, as_of_date], shop
    time), ranked by the orders holding the product (a basket counts a
    product once); tie: product id. The fallback of
    customer_product_recommendations v2 for customers no rule reaches.
-#}
{%- set window_days = var('recommendation_best_seller_days') | int -%}
with basket_items as (

    select * from {{ ref('int_basket_items') }}
    where category is not null

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

window_items as (

    select
        basket_items.order_id,
        basket_items.product_id,
        basket_items.category
    from basket_items
    cross join as_of
    where basket_items.order_date <= as_of.as_of_date
        and basket_items.order_date > {{ dbt.dateadd('day', -1 * window_days, 'as_of.as_of_date') }}

),

product_orders as (

    select
        category,
        product_id,
        count(*) as order_count
    from window_items
    group by category, product_id

),

category_orders as (

    select
        category,
        count(distinct order_id) as category_order_count
    from window_items
    group by category

),

final as (

    select
        {{ dbt.concat(['product_orders.category', "'|'", 'product_orders.product_id']) }} as category_best_seller_id,
        product_orders.category,
        product_orders.product_id,
        products.product_name,
        cast(product_orders.order_count as {{ dbt.type_bigint() }}) as order_count,
        cast(category_orders.category_order_count as {{ dbt.type_bigint() }}) as category_order_count,
        cast(product_orders.order_count as double) / category_orders.category_order_count as category_order_share,
        cast(row_number() over (
            partition by product_orders.category
            order by product_orders.order_count desc, product_orders.product_id asc
        ) as {{ dbt.type_int() }}) as best_seller_rank
    from product_orders
    inner join category_orders
        on product_orders.category = category_orders.category
    left join products
        on product_orders.product_id = products.product_id

)

select * from final
