{#- Events are facts: a repeated event_id is a duplicate delivery, in one file or across files and batches:
    the first delivered copy is kept (delivery order: load, file, line). Incremental over new files
    (macros/staging/incremental.sql). -#}
{%- set extra_checks = [] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('events') }}"],
    post_hook=["{{ record_processed_files('events') }}"]) }}

{#- source, cleaned, parsed and checked are read twice, by the duplicate-key check's two branches: not materialised
    (DuckDB would hold every checked row, the large build's memory peak); the branch of the rows whose key repeats
    reads only those (macros/staging/quarantine.sql, repeated_raw_keys) -#}
with source as {{ not_materialized() }} (

    select * from {{ source('shop', 'events') }}

),

{# a fact: a key delivered in an earlier batch (a valid row of this model) is a duplicate delivery #}
earlier_keys as (

    {{ earlier_valid_keys('events', 'event_id') }}

),

{# the hashes of the event_ids that occur more than once in this batch: only their rows are ranked #}
repeated_keys as (

    {{ repeated_raw_keys(source('shop', 'events'), [clean_text('event_id')]) }}

),

{# every raw value normalised once (cleaned__<column>), then parsed and checked from that #}
cleaned as {{ not_materialized() }} (

    select
        {{ cleaned_columns('events') }}
        source.*
    from source

),

parsed as {{ not_materialized() }} (

    select
        {{ parsed_columns('events') }}
        cleaned.*,
        earlier_keys.event_id is not null as is_earlier_delivered,
        repeated_keys.key_hash is not null as is_possibly_repeated
    from cleaned
    left join earlier_keys
        on cleaned.{{ cleaned_column('event_id') }} = earlier_keys.event_id
    left join repeated_keys
        on {{ raw_key_hash(['cleaned.' ~ cleaned_column('event_id')]) }} = repeated_keys.key_hash

),

checked as {{ not_materialized() }} (

    select
        parsed.*,
        {{ contract_violation('events', extra_checks) }} as contract_violation,
        {{ unreadable_columns('events') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('events', 'checked', 'deduplicated', ['event_id'], known_column='is_earlier_delivered',
    possibly_repeated_column='is_possibly_repeated') }},

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
