with sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

final as (

    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(identified_customer_id as {{ dbt.type_string() }}) as identified_customer_id,
        cast(identified_by as {{ dbt.type_string() }}) as identified_by,
        cast(is_stitched as {{ dbt.type_boolean() }}) as is_stitched,
        cast(is_recorded_session as {{ dbt.type_boolean() }}) as is_recorded_session,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(session_date as date) as session_date,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast({{ seconds_between('started_at', 'ended_at') }} as {{ dbt.type_bigint() }}) as duration_seconds,
        cast(traffic_source as {{ dbt.type_string() }}) as traffic_source,
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        cast(device as {{ dbt.type_string() }}) as device,
        cast(event_count as {{ dbt.type_bigint() }}) as event_count,
        cast(page_view_count as {{ dbt.type_bigint() }}) as page_view_count,
        cast(product_view_count as {{ dbt.type_bigint() }}) as product_view_count,
        cast(search_count as {{ dbt.type_bigint() }}) as search_count,
        cast(cart_add_count as {{ dbt.type_bigint() }}) as cart_add_count,
        cast(furthest_checkout_step as {{ dbt.type_int() }}) as furthest_checkout_step,
        cast(is_converted as {{ dbt.type_boolean() }}) as is_converted,
        cast(order_count as {{ dbt.type_bigint() }}) as order_count,
        cast(net_revenue as decimal(38, 2)) as net_revenue
    from sessions

)

select * from final
