with base as (

    select * from {{ ref('base_shop__exchange_rates') }}
    where quarantine_reason is null

),

final as (

    select
        {{ dbt.concat(['currency', "'|'", 'cast(rate_date as ' ~ dbt.type_string() ~ ')']) }} as exchange_rate_id,
        currency,
        rate_date,
        rate_to_shop_currency,
        unreadable_columns
    from base

)

select * from final
