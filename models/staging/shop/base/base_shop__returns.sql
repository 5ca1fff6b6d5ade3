{#- Returns have no key in the contract: identical rows are separate returns. Facts: incremental over new
    files (macros/staging/incremental.sql); a return is checked against the orders known when its batch is
    processed (as an order line: a return delivered before its order stays unknown_order). -#}
{%- set extra_checks = [
    {'when': 'not is_known_order', 'reason': 'unknown_order'},
] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('returns') }}"],
    post_hook=["{{ record_processed_files('returns') }}"]) }}

with source as (

    select * from {{ source('shop', 'returns') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('returns') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('returns') }}
        cleaned.*
    from cleaned

),

orders as (

    {#- the valid orders the rows name, already typed (a base_ model reads base_ models only, never staging) #}
    {{ known_order_ids(ref('base_shop__orders'), 'returns', 'cleaned') }}

),

joined as (

    select
        parsed.*,
        orders.order_id is not null as is_known_order
    from parsed
    left join orders
        on parsed.{{ cleaned_column('order_id') }} = orders.order_id

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
