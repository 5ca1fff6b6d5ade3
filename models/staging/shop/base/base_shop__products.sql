{%- set extra_checks = [
    {'when': try_parse_decimal('list_price') ~ ' < 0', 'reason': 'out_of_range:list_price'},
] -%}

with source as (

    select * from {{ source('shop', 'products') }}

),

checked as (

    select
        source.*,
        {{ contract_violation('products', extra_checks) }} as contract_violation
    from source

),

final as (

    select
        checked.*,
        {{ quarantine_reason('products', ['product_id']) }} as quarantine_reason
    from checked

)

select * from final
