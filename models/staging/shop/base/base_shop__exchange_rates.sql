{%- set extra_checks = [
    {'when': parsed_column('rate_to_shop_currency') ~ ' <= 0', 'reason': 'out_of_range:rate_to_shop_currency'},
    {'when': 'length(' ~ clean_text('currency') ~ ') <> 3', 'reason': 'invalid_value:currency'},
] -%}

with source as (

    select * from {{ source('shop', 'exchange_rates') }}

),

parsed as (

    select
        {{ parsed_columns('exchange_rates') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('exchange_rates', extra_checks) }} as contract_violation,
        {{ unreadable_columns('exchange_rates') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('exchange_rates', 'checked', 'deduplicated', ['upper(currency)', 'rate_date']) }},

final as (

    select
        {{ base_columns('exchange_rates', source('shop', 'exchange_rates'), upper=['currency']) }}
    from deduplicated

)

select * from final
