{%- set extra_checks = [
    {'when': parsed_column('discount_amount') ~ ' < 0', 'reason': 'out_of_range:discount_amount'},
    {'when': 'lower(' ~ clean_text('status') ~ ") not in ('placed', 'paid', 'shipped', 'delivered', 'cancelled')",
     'reason': 'invalid_value:status'},
] -%}

with source as (

    select * from {{ source('shop', 'orders') }}

),

parsed as (

    select
        {{ parsed_columns('orders') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('orders', extra_checks) }} as contract_violation,
        {{ unreadable_columns('orders') }} as unreadable_columns
    from parsed

),

final as (

    select
        checked.*,
        {{ quarantine_reason('orders', ['order_id']) }} as quarantine_reason
    from checked

)

select * from final
