{#- Search queries are free text: base_shop__events squashed control
    characters and runs of white space to one space and lower-cased them;
    here they are cut at var('search_query_max_length') characters (flagged). -#}
{%- set max_length = var('search_query_max_length') | int -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('events') }}"]) }}
{#- Incremental: appends the valid rows of the load ids not seen yet (macros/staging/incremental.sql). -#}
with base as (

    select * from {{ ref('base_shop__events') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('events') }}

),

final as (

    select
        event_id,
        session_id,
        visitor_id,
        customer_id,
        occurred_at,
        {{ shop_date('occurred_at') }} as event_date,
        event_type,
        product_id,
        category,
        substr(search_query, 1, {{ max_length }}) as search_query,
        coalesce(length(search_query) > {{ max_length }}, false) as is_search_query_truncated,
        cast(checkout_step as {{ dbt.type_int() }}) as checkout_step,
        order_id,
        unreadable_columns,
        _load_id
    from base

)

select * from final
