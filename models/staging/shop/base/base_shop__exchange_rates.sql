{%- set extra_checks = [] -%}

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
