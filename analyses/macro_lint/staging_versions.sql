{#- Lint harness of macros/staging/ (analyses/macro_lint/README.md): entity_versions, the body of
    the stg_shop__<entity>_versions models (a whole statement). -#}
{{ entity_versions('products', ref('base_shop__products'), 'product_id', 'product_version_id', [
    {'name': 'product_name', 'expression': 'product_name'},
    {'name': 'list_price', 'expression': 'list_price'},
]) }}
