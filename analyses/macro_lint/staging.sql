{#- Lint harness of macros/staging/ (analyses/macro_lint/README.md): the steps of a base_ model
    (parsed_columns, contract_violation, unreadable_columns, quarantine_reason_ctes with
    first_copy_ctes, base_columns) as base_shop__returns and base_shop__events call them, and a
    quarantine_ model (quarantine_select). -#}
{%- set extra_checks = [{'when': 'not is_known_order', 'reason': 'unknown_order'}] -%}
with source as (

    select * from {{ source('shop', 'returns') }}

),

parsed as (

    select
        {{ parsed_columns('returns') }}
        *
    from source

),

checked as (

    select
        *,
        true as is_known_order,
        {{ contract_violation('returns', extra_checks) }} as contract_violation,
        {{ unreadable_columns('returns') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('returns', 'checked', 'deduplicated', []) }},

final as (

    select
        {{ base_columns('returns', source('shop', 'returns')) }}
    from deduplicated

)

select * from final
