{%- set extra_checks = [
    {'when': try_parse_decimal('discount_amount') ~ ' < 0', 'reason': 'out_of_range:discount_amount'},
    {'when': 'lower(' ~ clean_text('status') ~ ") not in ('placed', 'paid', 'shipped', 'delivered', 'cancelled')",
     'reason': 'invalid_value:status'},
] -%}

with source as (

    select * from {{ source('shop', 'orders') }}

),

checked as (

    select
        source.*,
        {{ contract_violation('orders', extra_checks) }} as contract_violation
    from source

),

final as (

    select
        checked.*,
        {{ quarantine_reason('orders', ['order_id']) }} as quarantine_reason
    from checked

)

select * from final
