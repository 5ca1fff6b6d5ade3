{#- One row per product: everything in the products file plus any product
    that was ordered or viewed without being in it. Sales figures count
    non-cancelled orders only. -#}
with products as (

    select * from {{ ref('stg_shop__products') }}

),

item_revenue as (

    select * from {{ ref('int_order_item_revenue') }}
    where not is_cancelled

),

orders as (

    select * from {{ ref('int_order_revenue') }}
    where not is_cancelled

),

product_views as (

    select * from {{ ref('stg_shop__events') }}
    where event_type = 'product_view'
        and product_id is not null
        and session_id is not null

),

sales as (

    select
        product_id,
        count(distinct order_id) as order_count,
        count(distinct customer_id) as buyer_count,
        sum(quantity) as units_sold,
        sum(returned_quantity) as units_returned,
        sum(gross_revenue) as gross_revenue,
        sum(returned_revenue) as returned_revenue,
        sum(net_revenue) as net_revenue
    from item_revenue
    group by product_id

),

purchase_sessions as (

    select distinct
        item_revenue.product_id,
        orders.session_id
    from item_revenue
    inner join orders
        on item_revenue.order_id = orders.order_id
    where orders.session_id is not null

),

{#- Views aggregated straight from the events to product grain (a filtered
    read of product_view events). #}

views as (

    select
        product_views.product_id,
        count(*) as view_count,
        count(distinct product_views.session_id) as viewing_session_count,
        count(distinct case when purchase_sessions.session_id is not null then product_views.session_id end)
            as viewing_session_purchase_count
    from product_views
    left join purchase_sessions
        on product_views.product_id = purchase_sessions.product_id
            and product_views.session_id = purchase_sessions.session_id
    group by product_views.product_id

),

product_spine as (

    select product_id from products
    union
    select product_id from sales
    union
    select product_id from views

),

final as (

    select
        cast(product_spine.product_id as {{ dbt.type_string() }}) as product_id,
        cast(products.product_name as {{ dbt.type_string() }}) as product_name,
        cast(products.category as {{ dbt.type_string() }}) as category,
        cast(products.brand as {{ dbt.type_string() }}) as brand,
        cast(products.list_price as decimal(18, 6)) as list_price,
        cast(products.product_id is not null as {{ dbt.type_boolean() }}) as is_in_catalogue,
        cast(coalesce(sales.order_count, 0) as {{ dbt.type_bigint() }}) as order_count,
        cast(coalesce(sales.buyer_count, 0) as {{ dbt.type_bigint() }}) as buyer_count,
        cast(coalesce(sales.units_sold, 0) as {{ dbt.type_bigint() }}) as units_sold,
        cast(coalesce(sales.units_returned, 0) as {{ dbt.type_bigint() }}) as units_returned,
        cast(round(coalesce(sales.gross_revenue, 0), 2) as decimal(38, 2)) as gross_revenue,
        cast(round(coalesce(sales.returned_revenue, 0), 2) as decimal(38, 2)) as returned_revenue,
        cast(round(coalesce(sales.net_revenue, 0), 2) as decimal(38, 2)) as net_revenue,
        cast(case
            when sales.gross_revenue > 0
                then cast(sales.returned_revenue as double) / cast(sales.gross_revenue as double)
        end as double) as return_rate,
        cast(coalesce(views.view_count, 0) as {{ dbt.type_bigint() }}) as view_count,
        cast(coalesce(views.viewing_session_count, 0) as {{ dbt.type_bigint() }}) as viewing_session_count,
        cast(coalesce(views.viewing_session_purchase_count, 0) as {{ dbt.type_bigint() }})
            as viewing_session_purchase_count,
        cast(case
            when views.viewing_session_count > 0
                then cast(views.viewing_session_purchase_count as double) / cast(views.viewing_session_count as double)
        end as double) as view_to_purchase_rate
    from product_spine
    left join products
        on product_spine.product_id = products.product_id
    left join sales
        on product_spine.product_id = sales.product_id
    left join views
        on product_spine.product_id = views.product_id

)

select * from final
