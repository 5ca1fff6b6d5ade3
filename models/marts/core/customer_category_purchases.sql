{#-
    One row per customer and product category they bought (non-cancelled
    orders of a known customer): when (first and last purchase date, shop
    time), how many (orders, units), how much (gross and net revenue, shop
    currency), at what price (average unit price paid, before and after the
    order discount, against the products' current list price) and when they
    buy it (preferred ISO weekday and hour in shop time: most orders, tie the
    smallest). A line's category is the product's current one
    (stg_shop__products); a product missing there counts under 'unknown'.
-#}
with order_items as (

    select * from {{ ref('int_order_item_revenue') }}
    where not is_cancelled
        and customer_id is not null

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

lines as (

    select
        order_items.customer_id,
        coalesce(products.category, 'unknown') as category,
        order_items.order_id,
        order_items.ordered_at,
        order_items.order_date,
        order_items.quantity,
        order_items.gross_revenue,
        order_items.net_revenue,
        order_items.quantity * products.list_price as list_value,
        case when products.list_price is not null then order_items.quantity else 0 end as listed_units,
        case when products.list_price is not null then order_items.gross_revenue else 0 end as listed_gross_revenue,
        {{ iso_day_of_week(to_shop_time('order_items.ordered_at')) }} as order_weekday,
        cast(extract(hour from {{ to_shop_time('order_items.ordered_at') }}) as {{ dbt.type_int() }}) as order_hour
    from order_items
    left join products
        on order_items.product_id = products.product_id

),

totals as (

    select
        customer_id,
        category,
        min(order_date) as first_purchase_date,
        max(order_date) as last_purchase_date,
        count(distinct order_id) as order_count,
        sum(quantity) as units,
        sum(gross_revenue) as gross_revenue,
        sum(net_revenue) as net_revenue,
        sum(list_value) as list_value,
        sum(listed_units) as listed_units,
        sum(listed_gross_revenue) as listed_gross_revenue
    from lines
    group by customer_id, category

),

category_orders as (

    {#- one row per customer, category and order: the habits count orders -#}
    select distinct
        customer_id,
        category,
        order_id,
        order_weekday,
        order_hour
    from lines

),

weekday_preferred as (

    select
        customer_id,
        category,
        order_weekday,
        {{ preference_rank('customer_id, category', 'order_count', 'order_weekday') }} as preference
    from (
        select
            customer_id,
            category,
            order_weekday,
            count(*) as order_count
        from category_orders
        group by customer_id, category, order_weekday
    ) as weekday_counts

),

hour_preferred as (

    select
        customer_id,
        category,
        order_hour,
        {{ preference_rank('customer_id, category', 'order_count', 'order_hour') }} as preference
    from (
        select
            customer_id,
            category,
            order_hour,
            count(*) as order_count
        from category_orders
        group by customer_id, category, order_hour
    ) as hour_counts

),

final as (

    select
        cast({{ dbt.concat(['totals.customer_id', "'|'", 'totals.category']) }} as {{ dbt.type_string() }})
            as customer_category_id,
        cast(totals.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(totals.category as {{ dbt.type_string() }}) as category,
        cast(totals.first_purchase_date as date) as first_purchase_date,
        cast(totals.last_purchase_date as date) as last_purchase_date,
        cast(totals.order_count as bigint) as order_count,
        cast(totals.units as bigint) as units,
        cast(totals.gross_revenue as decimal(38, 2)) as gross_revenue,
        cast(totals.net_revenue as decimal(38, 2)) as net_revenue,
        -- rounded half up to cents in integer arithmetic: the same cent on both engines
        {{ divide_money('totals.gross_revenue', 'totals.units') }} as average_price_paid,
        {{ divide_money('totals.net_revenue', 'totals.units') }} as average_net_price_paid,
        {{ divide_money('totals.list_value', 'totals.listed_units') }} as average_list_price,
        cast(
            cast(totals.listed_gross_revenue as double) / nullif(cast(totals.list_value as double), 0) as double
        ) as price_paid_to_list_ratio,
        cast(weekday_preferred.order_weekday as {{ dbt.type_int() }}) as preferred_weekday,
        cast(hour_preferred.order_hour as {{ dbt.type_int() }}) as preferred_hour
    from totals
    left join weekday_preferred
        on
            totals.customer_id = weekday_preferred.customer_id
            and totals.category = weekday_preferred.category
            and weekday_preferred.preference = 1
    left join hour_preferred
        on
            totals.customer_id = hour_preferred.customer_id
            and totals.category = hour_preferred.category
            and hour_preferred.preference = 1

)

select * from final
