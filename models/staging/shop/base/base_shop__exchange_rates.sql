{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'exchange_rates') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('exchange_rates') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('exchange_rates') }}
        cleaned.*
    from cleaned

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
