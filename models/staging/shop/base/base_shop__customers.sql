{%- set extra_checks = [
    {'when': try_parse_integer('preferred_contact_hour') ~ ' not between 0 and 23',
     'reason': 'out_of_range:preferred_contact_hour'},
] -%}

with source as (

    select * from {{ source('shop', 'customers') }}

),

checked as (

    select
        source.*,
        {{ contract_violation('customers', extra_checks) }} as contract_violation
    from source

),

final as (

    select
        checked.*,
        {{ quarantine_reason('customers', ['customer_id']) }} as quarantine_reason
    from checked

)

select * from final
