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

final as (

    select
        checked.*,
        {{ quarantine_reason('customers', ['customer_id']) }} as quarantine_reason
    from checked

)

select * from final
