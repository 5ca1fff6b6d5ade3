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

{{ quarantine_reason_ctes('events', 'checked', 'deduplicated', ['event_id']) }},

final as (

    select
        {{ base_columns(
            'events',
            source('shop', 'events'),
            lower=['event_type', 'category'],
            expressions={'search_query': clean_text('lower(' ~ squash_whitespace('search_query') ~ ')')}) }}
    from deduplicated

)

select * from final
