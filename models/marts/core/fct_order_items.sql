with item_revenue as (

    select * from {{ ref('int_order_item_revenue') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

final as (

    select
        cast(item_revenue.order_item_id as {{ dbt.type_string() }}) as order_item_id,
        cast(item_revenue.order_id as {{ dbt.type_string() }}) as order_id,
        cast(item_revenue.line_number as {{ dbt.type_int() }}) as line_number,
        cast(item_revenue.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(item_revenue.is_guest_order as {{ dbt.type_boolean() }}) as is_guest_order,
        cast(item_revenue.ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        cast(item_revenue.order_date as date) as order_date,
        cast(item_revenue.is_cancelled as {{ dbt.type_boolean() }}) as is_cancelled,
        cast(item_revenue.product_id as {{ dbt.type_string() }}) as product_id,
        cast(products.product_name as {{ dbt.type_string() }}) as product_name,
        cast(products.category as {{ dbt.type_string() }}) as category,
        cast(products.brand as {{ dbt.type_string() }}) as brand,
        cast(item_revenue.quantity as {{ dbt.type_int() }}) as quantity,
        cast(item_revenue.unit_price as decimal(18, 6)) as unit_price,
        cast(item_revenue.gross_revenue as decimal(18, 6)) as gross_revenue,
        cast(item_revenue.returned_quantity as {{ dbt.type_int() }}) as returned_quantity,
        cast(item_revenue.returned_revenue as decimal(18, 6)) as returned_revenue,
        cast(item_revenue.discount_allocated as decimal(18, 2)) as discount_allocated,
        cast(item_revenue.net_revenue as decimal(18, 6)) as net_revenue
    from item_revenue
    left join products
        on item_revenue.product_id = products.product_id

)

select * from final
