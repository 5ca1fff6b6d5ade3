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

final as (

    select
        checked.*,
        {{ quarantine_reason('exchange_rates', ['upper(currency)', 'rate_date']) }} as quarantine_reason
    from checked

)

select * from final
