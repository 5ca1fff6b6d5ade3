{#- Campaign sends are facts: a repeated send_id is a duplicate delivery, in one file or across files and
    batches: the first delivered copy is kept (delivery order: load, file, line). Incremental over new files
    (macros/staging/incremental.sql). -#}
{%- set extra_checks = [] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('campaign_sends') }}"],
    post_hook=["{{ record_processed_files('campaign_sends') }}"]) }}

with source as (

    select * from {{ source('shop', 'campaign_sends') }}

),

{# a fact: a key delivered in an earlier batch (a valid row of this model) is a duplicate delivery #}
earlier_keys as (

    {{ earlier_valid_keys('campaign_sends', 'send_id') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('campaign_sends') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('campaign_sends') }}
        cleaned.*,
        earlier_keys.send_id is not null as is_earlier_delivered
    from cleaned
    left join earlier_keys
        on cleaned.{{ cleaned_column('send_id') }} = earlier_keys.send_id

),

checked as (

    select
        parsed.*,
        {{ contract_violation('campaign_sends', extra_checks) }} as contract_violation,
        {{ unreadable_columns('campaign_sends') }} as unreadable_columns
    from parsed

),

{{ quarantine_reason_ctes('campaign_sends', 'checked', 'deduplicated', ['send_id'],
    known_column='is_earlier_delivered') }},

final as (

    select
        {{ base_columns('campaign_sends', source('shop', 'campaign_sends'), lower=['channel']) }}
    from deduplicated

)

select * from final
