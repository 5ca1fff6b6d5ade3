{#- One row per session: the furthest funnel step it reached and where it left (int_session_funnel, docs/funnel.md). -#}
with session_funnel as (

    select * from {{ ref('int_session_funnel') }}

),

final as (

    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast({{ pseudonymous_key('person_id') }} as {{ dbt.type_string() }}) as person_key,
        cast(person_type as {{ dbt.type_string() }}) as person_type,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(session_date as date) as session_date,
        cast(traffic_source as {{ dbt.type_string() }}) as traffic_source,
        cast(device as {{ dbt.type_string() }}) as device,
        cast(has_category_view as {{ dbt.type_boolean() }}) as has_category_view,
        cast(has_product_view as {{ dbt.type_boolean() }}) as has_product_view,
        cast(has_cart_add as {{ dbt.type_boolean() }}) as has_cart_add,
        cast(furthest_checkout_step as {{ dbt.type_int() }}) as furthest_checkout_step,
        cast(is_converted as {{ dbt.type_boolean() }}) as is_converted,
        cast(furthest_step_number as {{ dbt.type_int() }}) as furthest_step_number,
        cast(furthest_step_name as {{ dbt.type_string() }}) as furthest_step_name,
        cast(left_at_step_number as {{ dbt.type_int() }}) as left_at_step_number,
        cast(left_at_step_name as {{ dbt.type_string() }}) as left_at_step_name
    from session_funnel

)

select * from final
