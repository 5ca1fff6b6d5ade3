{%- set extra_checks = [
    {'when': try_parse_integer('quantity') ~ ' <= 0', 'reason': 'out_of_range:quantity'},
    {'when': try_parse_decimal('unit_price') ~ ' < 0', 'reason': 'out_of_range:unit_price'},
    {'when': try_parse_integer('line_number') ~ ' <= 0', 'reason': 'out_of_range:line_number'},
    {'when': 'not is_known_order', 'reason': 'unknown_order'},
] -%}

with source as (

    select * from {{ source('shop', 'order_items') }}

),

orders as (

    select order_id from {{ ref('stg_shop__orders') }}

),

joined as (

    select
        source.*,
        orders.order_id is not null as is_known_order
    from source
    left join orders
        on {{ clean_text('source.order_id') }} = orders.order_id

),

checked as (

    select
        joined.*,
        {{ contract_violation('order_items', extra_checks) }} as contract_violation
    from joined

),

final as (

    select
        checked.*,
        {{ quarantine_reason('order_items', ['order_id', 'line_number'],
            only_when=clean_text('line_number') ~ ' is not null') }} as quarantine_reason
    from checked

)

select * from final
