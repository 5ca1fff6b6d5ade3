with base as (

    select * from {{ ref('base_shop__products') }}
    where quarantine_reason is null

),

final as (

    select
        product_id,
        product_name,
        category,
        brand,
        list_price,
        unreadable_columns
    from base

)

select * from final
