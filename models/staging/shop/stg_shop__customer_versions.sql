{#- Every delivery of a customer, in delivery order (load, file): customers are
    entities, a later file's row of a known customer_id is a new version (a
    re-delivered identical row is not); stg_shop__customers holds the latest
    delivery. One row per valid base_shop__customers row (macro entity_versions,
    macros/staging/incremental.sql), with the values that delivery gave.
    Personal data (email, birth_date) stays in staging, as in stg_shop__customers. -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='customer_version_id',
    pre_hook=["{{ reset_incremental_model('customers') }}"]) }}
{{ entity_versions('customers', ref('base_shop__customers'), 'customer_id', 'customer_version_id', [
    {'name': 'email', 'expression': 'email'},
    {'name': 'birth_date', 'expression': 'birth_date'},
    {'name': 'gender', 'expression': 'gender'},
    {'name': 'region', 'expression': 'region'},
    {'name': 'city', 'expression': 'city'},
    {'name': 'income_band', 'expression': 'income_band'},
    {'name': 'signed_up_at', 'expression': 'signed_up_at'},
    {'name': 'marketing_consent', 'expression': 'marketing_consent'},
    {'name': 'preferred_channel', 'expression': 'preferred_channel'},
    {'name': 'preferred_contact_hour', 'expression': 'preferred_contact_hour'},
]) }}
