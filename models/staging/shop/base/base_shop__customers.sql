{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'customers') }}

),

parsed as (

    select
        {{ parsed_columns('customers') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('customers', extra_checks) }} as contract_violation,
        {{ unreadable_columns('customers') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('customers', 'checked', 'deduplicated', ['customer_id']) }},

final as (

    select
        {{ base_columns(
            'customers',
            source('shop', 'customers'),
            lower=['email', 'gender', 'preferred_channel']) }}
    from deduplicated

)

select * from final
