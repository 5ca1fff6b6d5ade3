{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'products') }}

),

parsed as (

    select
        {{ parsed_columns('products') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('products', extra_checks) }} as contract_violation,
        {{ unreadable_columns('products') }} as unreadable_columns
    from parsed

),

final as (

    select
        checked.*,
        {{ quarantine_reason('products', ['product_id']) }} as quarantine_reason
    from checked

)

select * from final
