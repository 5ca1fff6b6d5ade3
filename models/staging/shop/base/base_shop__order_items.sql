{#- A line without a line_number is identified by its order, product, quantity
    and unit price (raw data contract): an exact repeat of such a line in the
    same order is the same line delivered twice (e.g. a file delivered
    twice), kept once; the repeat is quarantined as duplicate_key. Trade-off:
    two genuinely separate but identical lines of one order need line numbers
    (or one line with the summed quantity). -#}
{%- set extra_checks = [
    {'when': 'not is_known_order', 'reason': 'unknown_order'},
] -%}
{%- set unnumbered_keys = [clean_text('order_id'), clean_text('product_id'), "coalesce(_source_file, '')"] -%}
{%- set numbered_keys = [clean_text('order_id'), clean_text('line_number'), "coalesce(_source_file, '')"] -%}
{#- the same keys over the cleaned__<column> of the CTE cleaned (normalised once) -#}
{%- set cleaned_unnumbered_keys = [cleaned_column('order_id'), cleaned_column('product_id'),
    "coalesce(_source_file, '')"] -%}
{%- set cleaned_numbered_keys = [cleaned_column('order_id'), cleaned_column('line_number'),
    "coalesce(_source_file, '')"] -%}

{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('order_items') }}"],
    post_hook=["{{ record_processed_files('order_items') }}"]) }}

with source as (

    select * from {{ source('shop', 'order_items') }}

),

{# the hashes of the keys of the two duplicate checks below that occur more than once in this batch
    (unnumbered lines: order, product and file; numbered lines: order, line number and file): only their rows
    are ranked #}
repeated_unnumbered_keys as (

    {{ repeated_raw_keys(source('shop', 'order_items'), unnumbered_keys,
        when=clean_text('line_number') ~ ' is null') }}

),

repeated_numbered_keys as (

    {{ repeated_raw_keys(source('shop', 'order_items'), numbered_keys,
        when=clean_text('line_number') ~ ' is not null') }}

),

{# every raw value normalised once (cleaned__<column>), then parsed and checked from that #}
cleaned as (

    select
        {{ cleaned_columns('order_items') }}
        source.*
    from source

),

parsed as (

    select
        {{ parsed_columns('order_items') }}
        cleaned.*,
        repeated_unnumbered_keys.key_hash is not null as is_possibly_repeated_unnumbered,
        repeated_numbered_keys.key_hash is not null as is_possibly_repeated_numbered
    from cleaned
    left join repeated_unnumbered_keys
        on {{ raw_key_hash(cleaned_unnumbered_keys) }} = repeated_unnumbered_keys.key_hash
    left join repeated_numbered_keys
        on {{ raw_key_hash(cleaned_numbered_keys) }} = repeated_numbered_keys.key_hash

),

orders as (

    {#- the valid orders the rows name, already typed (a base_ model reads base_ models only, never staging) #}
    {{ known_order_ids(ref('base_shop__orders'), 'order_items', 'cleaned') }}

),

joined as (

    select
        parsed.*,
        orders.order_id is not null as is_known_order
    from parsed
    left join orders
        on parsed.{{ cleaned_column('order_id') }} = orders.order_id

),

checked as (

    select
        joined.*,
        {{ contract_violation('order_items', extra_checks) }} as contract_violation,
        {{ unreadable_columns('order_items') }} as unreadable_columns
    from joined

),

{#- an unnumbered line repeated exactly (same order, product, quantity and price) in one file; order lines
    belong to the order, an entity: a later file's lines of an order are its next version (stg_shop__order_items
    keeps the lines of the order's latest delivery that has lines) -#}
{{ first_copy_ctes(
    'checked',
    'unnumbered_checked',
    partition_by=[cleaned_column('order_id'), cleaned_column('product_id'), parsed_column('quantity'), parsed_column('unit_price'),
        "coalesce(_source_file, '')"],
    order_by=delivery_order(['order_id', 'line_number', 'product_id', 'quantity', 'unit_price']),
    only_when=cleaned_column('line_number') ~ ' is null',
    reason_column='line_violation',
    possibly_repeated_column='is_possibly_repeated_unnumbered') }},

{#- a repeated (order_id, line_number) among the numbered lines -#}
{{ quarantine_reason_ctes('order_items', 'unnumbered_checked', 'deduplicated', ['order_id', 'line_number'],
    violation_column='line_violation',
    only_when=cleaned_column('line_number') ~ ' is not null',
    per_file=true,
    possibly_repeated_column='is_possibly_repeated_numbered') }},

final as (

    select
        {{ base_columns('order_items', source('shop', 'order_items')) }}
    from deduplicated

)

select * from final
