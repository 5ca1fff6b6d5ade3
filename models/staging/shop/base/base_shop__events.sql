{#- A repeated event_id is a duplicate delivery: the first copy is kept. -#}
{%- set extra_checks = [] -%}

with source as (

    select * from {{ source('shop', 'events') }}

),

parsed as (

    select
        {{ parsed_columns('events') }}
        source.*
    from source

),

checked as (

    select
        parsed.*,
        {{ contract_violation('events', extra_checks) }} as contract_violation,
        {{ unreadable_columns('events') }} as unreadable_columns
    from parsed

),

final as (

    select
        checked.*,
        {{ quarantine_reason('events', ['event_id']) }} as quarantine_reason
    from checked

)

select * from final
