{#- Every delivery of an order, in delivery order (load, file): an order is an
    entity, re-exported when its status changes; stg_shop__orders holds the
    latest delivery. One row per valid base_shop__orders row (macro
    entity_versions, macros/staging/incremental.sql): delivery_number and
    version_number (a re-delivered identical row is not a new version),
    valid_from_file / valid_to_file of its version, superseded_in_file = the
    file of the next delivery (null for the latest), is_latest for the row
    staged in stg_shop__orders. Incremental on DuckDB. -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_version_id',
    pre_hook=["{{ reset_incremental_model('orders') }}"]) }}
{{ entity_versions('orders', ref('base_shop__orders'), 'order_id', 'order_version_id', [
    {'name': 'order_status', 'expression': "coalesce(status, 'delivered')"},
    {'name': 'customer_id', 'expression': 'customer_id'},
    {'name': 'ordered_at', 'expression': 'ordered_at'},
]) }}
