with orders as (

    select * from {{ ref('int_order_revenue') }}

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

final as (

    select
        cast(orders.order_id as {{ dbt.type_string() }}) as order_id,
        cast(orders.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ pseudonymous_key('orders.customer_id') }} as {{ dbt.type_string() }}) as customer_key,
        cast(orders.is_guest_order as {{ dbt.type_boolean() }}) as is_guest_order,
        cast(orders.ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        cast(orders.order_date as date) as order_date,
        cast(orders.order_status as {{ dbt.type_string() }}) as order_status,
        cast(orders.is_cancelled as {{ dbt.type_boolean() }}) as is_cancelled,
        cast(orders.payment_method as {{ dbt.type_string() }}) as payment_method,
        cast(orders.delivery_method as {{ dbt.type_string() }}) as delivery_method,
        cast(orders.shipping_region as {{ dbt.type_string() }}) as shipping_region,
        cast(orders.shipping_city as {{ dbt.type_string() }}) as shipping_city,
        cast(orders.session_id as {{ dbt.type_string() }}) as session_id,
        cast(sessions.traffic_source as {{ dbt.type_string() }}) as traffic_source,
        cast(sessions.campaign as {{ dbt.type_string() }}) as campaign,
        cast(orders.line_count as {{ dbt.type_int() }}) as line_count,
        cast(orders.item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(orders.gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(orders.discount_amount as decimal(18, 2)) as discount_amount,
        cast(orders.returned_quantity as {{ dbt.type_bigint() }}) as returned_quantity,
        cast(orders.returned_revenue as decimal(18, 2)) as returned_revenue,
        cast(orders.net_revenue as decimal(18, 2)) as net_revenue,
        cast(orders.currency as {{ dbt.type_string() }}) as currency,
        cast(orders.exchange_rate as decimal(18, 6)) as exchange_rate,
        cast(orders.original_gross_revenue as decimal(18, 2)) as original_gross_revenue,
        cast(orders.original_discount_amount as decimal(18, 2)) as original_discount_amount,
        cast(orders.original_net_revenue as decimal(18, 2)) as original_net_revenue,
        cast(orders.order_sequence_number as {{ dbt.type_int() }}) as order_sequence_number,
        cast(coalesce(orders.order_sequence_number = 1, false) as {{ dbt.type_boolean() }}) as is_first_order
    from orders
    left join sessions
        on orders.session_id = sessions.session_id

)

select * from final
