with base as (

    select * from {{ ref('base_shop__products') }}
    where quarantine_reason is null

),

final as (

    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('product_name') }} as product_name,
        lower({{ clean_text('category') }}) as category,
        {{ clean_text('brand') }} as brand,
        {{ try_parse_decimal('list_price') }} as list_price,
        unreadable_columns
    from base

)

select * from final
