{#- Lint harness of macros/staging/ (analyses/macro_lint/README.md): the duplicate-key check of a
    table with a key (quarantine_reason_ctes -> first_copy_ctes, with repeated_raw_keys and
    raw_key_hash as base_shop__events calls them) and the body of a quarantine_ model. -#}
with source as {{ not_materialized() }} (

    select * from {{ source('shop', 'events') }}

),

repeated_keys as (

    {{ repeated_raw_keys(source('shop', 'events'), [clean_text('event_id')]) }}

),

flagged as (

    select
        source.*,
        repeated_keys.key_hash is not null as is_possibly_repeated
    from source
    left join repeated_keys
        on {{ raw_key_hash([clean_text('source.event_id')]) }} = repeated_keys.key_hash

),

parsed as {{ not_materialized() }} (

    select
        {{ parsed_columns('events') }}
        *
    from flagged

),

checked as (

    select
        *,
        false as is_earlier_delivered,
        {{ contract_violation('events', []) }} as contract_violation,
        {{ unreadable_columns('events') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('events', 'checked', 'deduplicated', ['event_id'], known_column='is_earlier_delivered',
    possibly_repeated_column='is_possibly_repeated') }},

{{ quarantine_reason_ctes('events', 'checked', 'deduplicated_per_file', ['event_id'], per_file=true) }},

quarantined as (

    {{ quarantine_select('events', ref('base_shop__events'), carry_columns=['event_id', 'customer_id']) }}

),

final as (

    select
        {{ base_columns('events', source('shop', 'events'), lower=['event_type', 'category']) }}
    from deduplicated

)

select final.* from final
union all
select deduplicated_per_file.* from deduplicated_per_file
