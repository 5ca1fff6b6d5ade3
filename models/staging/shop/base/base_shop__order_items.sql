{#- A line without a line_number is identified by its order, product, quantity
    and unit price (raw data contract): an exact repeat of such a line in the
    same order is the same line delivered twice (e.g. a file delivered
    twice), kept once; the repeat is quarantined as duplicate_key. Trade-off:
    two genuinely separate but identical lines of one order need line numbers
    (or one line with the summed quantity). -#}
{%- set extra_checks = [
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

    {#- the valid orders, already typed (a base_ model reads base_ models only, never staging) #}
    select order_id from {{ ref('base_shop__orders') }}
    where quarantine_reason is null

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

{#- an unnumbered line repeated exactly (same order, product, quantity and price) -#}
{{ first_copy_ctes(
    'checked',
    'unnumbered_checked',
    partition_by=[clean_text('order_id'), clean_text('product_id'), parsed_column('quantity'), parsed_column('unit_price')],
    order_by='order_id nulls last, line_number nulls last, product_id nulls last, quantity nulls last,'
        ~ ' unit_price nulls last, _source_file nulls last',
    only_when=clean_text('line_number') ~ ' is null',
    reason_column='line_violation') }},

{#- a repeated (order_id, line_number) among the numbered lines -#}
{{ quarantine_reason_ctes('order_items', 'unnumbered_checked', 'deduplicated', ['order_id', 'line_number'],
    violation_column='line_violation',
    only_when=clean_text('line_number') ~ ' is not null') }},

final as (

    select
        {{ base_columns('order_items', source('shop', 'order_items')) }}
    from deduplicated

)

select * from final
