with base as (

    select * from {{ ref('base_shop__exchange_rates') }}
    where quarantine_reason is null

),

typed as (

    select
        upper({{ clean_text('currency') }}) as currency,
        {{ try_parse_date('rate_date') }} as rate_date,
        {{ try_parse_decimal('rate_to_shop_currency') }} as rate_to_shop_currency,
        unreadable_columns
    from base

),

final as (

    select
        {{ dbt.concat(['currency', "'|'", 'cast(rate_date as ' ~ dbt.type_string() ~ ')']) }} as exchange_rate_id,
        currency,
        rate_date,
        rate_to_shop_currency,
        unreadable_columns
    from typed

)

select * from final
