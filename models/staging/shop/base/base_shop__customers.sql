{#- Customers are entities (a later file's row of a known customer is a new version, stg_shop__customer_versions).
    Incremental over new files (macros/staging/incremental.sql): the duplicate-key check is per file. -#}
{%- set extra_checks = [] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('customers') }}"],
    post_hook=["{{ record_processed_files('customers') }}"]) }}

with source as (

    select * from {{ source('shop', 'customers') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed from that #}
cleaned as (

    select
        {{ cleaned_columns('customers') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('customers') }}
        cleaned.*
    from cleaned

),

checked as (

    select
        parsed.*,
        {{ contract_violation('customers', extra_checks) }} as contract_violation,
        {{ unreadable_columns('customers') }} as unreadable_columns
    from parsed

),

{#- an entity: a repeated customer_id within one file is a duplicate_key (the first delivered copy kept);
    in a later file it is a new version of the customer (stg_shop__customers keeps the latest) -#}
{{ quarantine_reason_ctes('customers', 'checked', 'deduplicated', ['customer_id'], per_file=true) }},

final as (

    select
        {{ base_columns(
            'customers',
            source('shop', 'customers'),
            lower=['email', 'gender', 'preferred_channel']) }}
    from deduplicated

)

select * from final
