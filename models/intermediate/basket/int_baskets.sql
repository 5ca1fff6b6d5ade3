{#-
    The baskets, grouped and integer-coded once for the association rules:
    one row per non-cancelled order with at least one line (guest orders
    included), holding the distinct item codes of its products
    (int_basket_products) in ascending order. The same transactions and
    items as int_basket_items, so the rules are the same; the miners read
    this table instead of grouping text order lines again.

    Incremental on the basket (order_id): a build writes only new baskets
    and baskets whose items changed (an order re-delivered with other
    lines), and removes baskets that are no longer baskets (the order was
    cancelled, or its lines or the order are gone); a full refresh gives
    the same baskets. On Spark (Parquet tables cannot delete rows) every
    build rewrites the whole table. Engine-specific SQL (lists / arrays,
    the incremental rows) is in macros/basket/baskets.sql.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy=basket_incremental_strategy(),
    unique_key='order_id',
    on_schema_change='fail',
    post_hook="{{ basket_remove_markers(this) }}",
) }}

with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

basket_products as (

    select * from {{ ref('int_basket_products') }}

),

basket_lines as (

    select
        order_items.order_id,
        basket_products.item_code
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    inner join basket_products
        on order_items.product_id = basket_products.product_id
    where not orders.is_cancelled

),

baskets as (

    select
        order_id,
        {{ basket_code_list('item_code') }} as item_codes,
        cast(count(distinct item_code) as {{ dbt.type_int() }}) as basket_size
    from basket_lines
    group by order_id

),

final as (

    {{ basket_rows_to_write('baskets') }}

)

select * from final
