{#- Returns have no key in the contract: identical rows are separate returns. -#}
{%- set extra_checks = [
    {'when': try_parse_integer('quantity') ~ ' <= 0', 'reason': 'out_of_range:quantity'},
    {'when': 'not is_known_order', 'reason': 'unknown_order'},
] -%}

with source as (

    select * from {{ source('shop', 'returns') }}

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
        {{ contract_violation('returns', extra_checks) }} as contract_violation
    from joined

),

final as (

    select
        checked.*,
        checked.contract_violation as quarantine_reason
    from checked

)

select * from final
