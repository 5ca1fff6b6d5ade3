{#- Search queries are free text: control characters and runs of white space
    become one space, the text is lower-cased and cut at
    var('search_query_max_length') characters (flagged). -#}
{%- set max_length = var('search_query_max_length') | int -%}

with base as (

    select * from {{ ref('base_shop__events') }}
    where quarantine_reason is null

),

typed as (

    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('visitor_id') }} as visitor_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ try_parse_timestamp('occurred_at') }} as occurred_at,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ clean_text('product_id') }} as product_id,
        lower({{ clean_text('category') }}) as category,
        {{ clean_text('lower(' ~ squash_whitespace('search_query') ~ ')') }} as normalised_search_query,
        cast({{ try_parse_integer('checkout_step') }} as {{ dbt.type_int() }}) as checkout_step,
        {{ clean_text('order_id') }} as order_id,
        unreadable_columns
    from base

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
        substr(normalised_search_query, 1, {{ max_length }}) as search_query,
        coalesce(length(normalised_search_query) > {{ max_length }}, false) as is_search_query_truncated,
        checkout_step,
        order_id,
        unreadable_columns
    from typed

)

select * from final
