{#- Returns have no key in the contract: identical rows are separate returns. -#}
{%- set extra_checks = [
    {'when': 'not is_known_order', 'reason': 'unknown_order'},
] -%}

with source as (

    select * from {{ source('shop', 'returns') }}

),

parsed as (

    select
        {{ parsed_columns('returns') }}
        source.*
    from source

),

orders as (

    {#- the valid orders, already typed (a base_ model reads base_ models only, never staging) #}
    {#- distinct: an order re-exported in later files has a valid row per version #}
    select distinct order_id from {{ ref('base_shop__orders') }}
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
        {{ contract_violation('returns', extra_checks) }} as contract_violation,
        {{ unreadable_columns('returns') }} as unreadable_columns
    from joined

),

{{ quarantine_reason_ctes('returns', 'checked', 'deduplicated', []) }},

final as (

    select
        {{ base_columns('returns', source('shop', 'returns')) }}
    from deduplicated

)

select * from final
