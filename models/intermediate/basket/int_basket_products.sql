{#-
    The item code dictionary of the integer-coded baskets (int_baskets): one
    row per product that appears on an order line, with its item code.

    Codes are stable: incremental, append only. A build gives the products
    it has not seen yet the codes after the largest stored one, numbered in
    product_id order; a stored code never changes, so int_baskets rows
    written by earlier builds stay valid. The first build (or a full
    refresh) numbers all products 1..n in product_id order; after builds
    that brought new products the numbering is in order of arrival, which
    the association rules do not depend on (they order items by product_id,
    not by code). docs/association-rules.md, "Baskets".
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}

with order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

ordered_products as (

    select distinct product_id
    from order_items

),

stored_products as (

    {% if is_incremental() %}
        select
            product_id,
            item_code
        from {{ this }}
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as product_id,
            cast(null as {{ dbt.type_int() }}) as item_code
        where 1 = 0
    {% endif %}

),

last_code as (

    select coalesce(max(item_code), 0) as item_code
    from stored_products

),

new_products as (

    select ordered_products.product_id
    from ordered_products
    left join stored_products
        on ordered_products.product_id = stored_products.product_id
    where stored_products.product_id is null

),

final as (

    select
        cast(last_code.item_code + row_number() over (order by new_products.product_id) as {{ dbt.type_int() }})
            as item_code,
        new_products.product_id
    from new_products
    cross join last_code

)

select * from final
