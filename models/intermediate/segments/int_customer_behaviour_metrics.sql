{#-
    One row per customer with a (stitched) session or a non-cancelled order
    dated on or before the as-of date: the on-site and purchase behaviour the
    behaviour segments (customer_behaviour_segments) are cut from. Sessions
    count by session_date, orders by order_date; later ones are left out.
    Money is counted in whole cents (so return-rate shares are exact).
-#}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

valid_orders as (

    {#- non-cancelled customer orders dated on or before the as-of date #}
    select * from {{ ref('int_customer_orders_as_of') }}

),

order_items as (

    select * from {{ ref('int_order_item_revenue') }}
    where customer_id is not null  -- guest orders belong to no customer

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

customer_sessions as (

    select
        sessions.customer_id,
        count(*) as session_count,
        sum(case when sessions.search_count > 0 then 1 else 0 end) as search_session_count,
        sum(case when sessions.cart_add_count > 0 then 1 else 0 end) as cart_session_count,
        sum(case when sessions.cart_add_count > 0 and not sessions.is_converted then 1 else 0 end)
            as abandoned_cart_session_count
    from sessions
    cross join as_of
    where
        sessions.customer_id is not null
        and sessions.session_date <= as_of.as_of_date
    group by sessions.customer_id

),

customer_orders as (

    select
        customer_id,
        count(*) as order_count,
        sum(case when discount_amount > 0 then 1 else 0 end) as discounted_order_count,
        sum(cast(gross_revenue * 100 as {{ dbt.type_bigint() }})) as gross_revenue_cents,
        sum(cast(returned_revenue * 100 as {{ dbt.type_bigint() }})) as returned_revenue_cents
    from valid_orders
    group by customer_id

),

order_categories as (

    select distinct
        valid_orders.customer_id,
        valid_orders.order_id,
        products.category
    from valid_orders
    inner join order_items
        on valid_orders.order_id = order_items.order_id
    inner join products
        on order_items.product_id = products.product_id
    where products.category is not null

),

category_counts as (

    select
        customer_id,
        category,
        count(*) as order_count
    from order_categories
    group by customer_id, category

),

top_categories as (

    select
        customer_id,
        category,
        order_count,
        {{ preference_rank('customer_id', 'order_count', 'category') }} as preference
    from category_counts

),

categorised_orders as (

    select
        customer_id,
        count(distinct order_id) as categorised_order_count
    from order_categories
    group by customer_id

),

order_devices as (

    select
        valid_orders.customer_id,
        sessions.device
    from valid_orders
    inner join sessions
        on valid_orders.session_id = sessions.session_id
    {#- a known device: staging maps any other value to 'other' (raw data contract, sessions.device) #}
    where sessions.device <> 'other'

),

device_counts as (

    select
        customer_id,
        device,
        count(*) as order_count
    from order_devices
    group by customer_id, device

),

top_devices as (

    select
        customer_id,
        device,
        order_count,
        sum(order_count) over (partition by customer_id) as device_known_order_count,
        {{ preference_rank('customer_id', 'order_count', 'device') }} as preference
    from device_counts

),

customer_spine as (

    select customer_id from customer_sessions
    union
    select customer_id from customer_orders

),

counts as (

    select
        customer_spine.customer_id,
        as_of.as_of_date,
        cast(coalesce(customer_sessions.session_count, 0) as {{ dbt.type_bigint() }}) as session_count,
        cast(coalesce(customer_sessions.search_session_count, 0) as {{ dbt.type_bigint() }})
            as search_session_count,
        cast(coalesce(customer_sessions.cart_session_count, 0) as {{ dbt.type_bigint() }}) as cart_session_count,
        cast(coalesce(customer_sessions.abandoned_cart_session_count, 0) as {{ dbt.type_bigint() }})
            as abandoned_cart_session_count,
        cast(coalesce(customer_orders.order_count, 0) as {{ dbt.type_bigint() }}) as order_count,
        cast(coalesce(customer_orders.discounted_order_count, 0) as {{ dbt.type_bigint() }})
            as discounted_order_count,
        cast(coalesce(customer_orders.gross_revenue_cents, 0) as {{ dbt.type_bigint() }}) as gross_revenue_cents,
        cast(coalesce(customer_orders.returned_revenue_cents, 0) as {{ dbt.type_bigint() }})
            as returned_revenue_cents,
        cast(coalesce(categorised_orders.categorised_order_count, 0) as {{ dbt.type_bigint() }})
            as categorised_order_count,
        top_categories.category as top_category,
        cast(coalesce(top_categories.order_count, 0) as {{ dbt.type_bigint() }}) as top_category_order_count,
        cast(coalesce(top_devices.device_known_order_count, 0) as {{ dbt.type_bigint() }})
            as device_known_order_count,
        top_devices.device as top_device,
        cast(coalesce(top_devices.order_count, 0) as {{ dbt.type_bigint() }}) as top_device_order_count
    from customer_spine
    cross join as_of
    left join customer_sessions
        on customer_spine.customer_id = customer_sessions.customer_id
    left join customer_orders
        on customer_spine.customer_id = customer_orders.customer_id
    left join categorised_orders
        on customer_spine.customer_id = categorised_orders.customer_id
    left join top_categories
        on
            customer_spine.customer_id = top_categories.customer_id
            and top_categories.preference = 1
    left join top_devices
        on
            customer_spine.customer_id = top_devices.customer_id
            and top_devices.preference = 1

),

final as (

    {#- the shares the behaviour segments compare with their thresholds:
        a double, null when the basis is 0 (macro share) #}
    select
        customer_id,
        as_of_date,
        session_count,
        search_session_count,
        cart_session_count,
        abandoned_cart_session_count,
        order_count,
        discounted_order_count,
        gross_revenue_cents,
        returned_revenue_cents,
        categorised_order_count,
        top_category,
        top_category_order_count,
        device_known_order_count,
        top_device,
        top_device_order_count,
        {{ share('abandoned_cart_session_count', 'cart_session_count') }} as cart_abandonment_rate,
        {{ share('search_session_count', 'session_count') }} as search_session_share,
        {{ share('discounted_order_count', 'order_count') }} as discounted_order_share,
        {{ share('top_category_order_count', 'categorised_order_count') }} as top_category_order_share,
        {{ share('returned_revenue_cents', 'gross_revenue_cents') }} as return_rate_by_value,
        {{ share('top_device_order_count', 'device_known_order_count') }} as top_device_order_share
    from counts

)

select * from final
