{%- set extra_checks = [
    {'when': parsed_column('quantity') ~ ' <= 0', 'reason': 'out_of_range:quantity'},
    {'when': parsed_column('unit_price') ~ ' < 0', 'reason': 'out_of_range:unit_price'},
    {'when': parsed_column('line_number') ~ ' <= 0', 'reason': 'out_of_range:line_number'},
    {'when': 'not is_known_order', 'reason': 'unknown_order'},
] -%}

with source as (

    select * from {{ source('shop', 'order_items') }}

),

parsed as (

    select
        {{ parsed_columns('order_items') }}
        source.*
    from source

),

orders as (

    select order_id from {{ ref('stg_shop__orders') }}

),

joined as (

    select
        parsed.*,
        orders.order_id is not null as is_known_order
    from parsed
    left join orders
        on {{ clean_text('parsed.order_id') }} = orders.order_id

),

checked as (

    select
        joined.*,
        {{ contract_violation('order_items', extra_checks) }} as contract_violation,
        {{ unreadable_columns('order_items') }} as unreadable_columns
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
