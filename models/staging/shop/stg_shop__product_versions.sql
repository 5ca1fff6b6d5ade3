{#- Every delivery of a product, in delivery order (load, file): products are
    entities, a later file's row of a known product_id is a new version (a
    re-delivered identical row is not; e.g. a price change is); stg_shop__products
    holds the latest delivery. One row per valid base_shop__products row (macro
    entity_versions, macros/staging/incremental.sql). -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='product_version_id',
    pre_hook=["{{ reset_incremental_model('products') }}"]) }}
{{ entity_versions('products', ref('base_shop__products'), 'product_id', 'product_version_id', [
    {'name': 'product_name', 'expression': 'product_name'},
    {'name': 'category', 'expression': 'category'},
    {'name': 'brand', 'expression': 'brand'},
    {'name': 'list_price', 'expression': 'list_price'},
]) }}
