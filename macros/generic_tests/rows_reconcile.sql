{#
    rows_reconcile: the rows of `model` (a raw relation) equal the rows of
    `staged` plus the rows of `quarantined` (plus, for an entity, the rows of
    `superseded`: earlier delivered versions, filtered by superseded_where,
    SQL over the alias superseded_rows in which __superseded__ names the
    `superseded` relation again).
    Fails with one row holding the counts when they do not add up: a row was
    lost or invented.

    superseded_key (instead of superseded_where): the superseded rows are the
    valid rows (quarantine_reason null) of `superseded` outside their key's
    latest delivery (the largest load, then file): an entity whose every
    delivery is kept (order lines). Counted as the valid rows of each
    (key, load, file) group-by row except each key's latest: one group-by
    and a window over the deliveries, where a correlated "a later delivery
    exists" would join every row with every later one of its key.

    table_name: for a raw table loaded incrementally, raw.<table> holds only
    the newest files, so the raw rows are those of every processed file as
    the file manifest counted them (<raw_schema>._file_manifest.row_count,
    recorded when its base_ model read them).

    new_loads_of (with superseded_key; a raw table loaded incrementally):
    follows the batch like unique_in_new_loads (watermark in
    <raw_schema>._checked_loads: the table's largest load id in the file
    manifest when the test last passed, recorded by record_checked_loads).
    On an incremental build it checks the loads above the watermark W, each
    side against its own raw part, instead of counting the whole history:
      - the manifest's rows of loads > W = the rows `superseded` (the base_
        model: every raw row, typed) holds of those loads;
      - its quarantined rows of those loads = `quarantined`'s rows of those
        loads (the quarantine carries _load_id);
      - for every key (superseded_key, a column of `staged` too) delivered in
        those loads: its valid rows in `superseded` = its rows in `staged` +
        its superseded rows (outside its latest delivery).
    The keys no load > W touched are not re-counted: their staged rows were
    replaced by no batch since the test passed (stg_ models delete and
    insert only the keys a batch touches).
    new_loads_of without superseded: a fact table whose `staged` and
    `quarantined` models only append the rows of new loads (events,
    sessions, campaign sends: a repeated key is a duplicate delivery,
    quarantined): the manifest's rows of loads > W = the staged rows of
    those loads + the quarantined rows of those loads (an erasure deletes
    rows from both sides and from the manifest's count alike).
    Any other case checks everything.
#}
{% test rows_reconcile(model, staged, quarantined, table_name=none, superseded=none, superseded_where='true',
    superseded_key=none, new_loads_of=none) %}

{%- set incremental_raw = table_name is not none and ecommerce_segmentation.raw_table_is_incremental(table_name) %}
{%- set watermark = none %}
{%- if incremental_raw and new_loads_of is not none
    and ((superseded is not none and superseded_key is not none) or superseded is none) %}
    {%- set watermark = ecommerce_segmentation.new_loads_watermark('rows_reconcile', model, none, new_loads_of) %}
{%- endif %}

{%- if watermark is not none %}

with new_load_counts as (

    select
        (
            select coalesce(sum(row_count), 0) from {{ var('raw_schema') }}._file_manifest
            where table_name = '{{ table_name }}' and load_id > {{ watermark }}
        ) as raw_rows,
        {%- if superseded is none %}
        (select count(*) from {{ staged }} where _load_id > {{ watermark }}) as staged_rows,
        {%- else %}
        (select count(*) from {{ superseded }} where _load_id > {{ watermark }}) as base_rows,
        (
            select count(*) from {{ superseded }}
            where _load_id > {{ watermark }} and quarantine_reason is not null
        ) as base_quarantined_rows,
        {%- endif %}
        (select count(*) from {{ quarantined }} where _load_id > {{ watermark }}) as quarantined_rows

){{ ',' if superseded is not none }}

{%- if superseded is none %}

select
    raw_rows,
    staged_rows,
    0 as superseded_rows,
    quarantined_rows
from new_load_counts
where raw_rows <> staged_rows + quarantined_rows

{%- else %}

touched_keys as (

    select distinct {{ superseded_key }} as delivery_key
    from {{ superseded }}
    where _load_id > {{ watermark }}

),

touched_key_counts as (

    select
        (
            select count(*) from {{ superseded }}
            where quarantine_reason is null
                and {{ superseded_key }} in (select touched_keys.delivery_key from touched_keys)
        ) as valid_rows,
        (
            select count(*) from {{ staged }}
            where {{ superseded_key }} in (select touched_keys.delivery_key from touched_keys)
        ) as staged_rows,
        {{ ecommerce_segmentation.superseded_delivery_rows(superseded, superseded_key,
            superseded_key ~ ' in (select touched_keys.delivery_key from touched_keys)') }} as superseded_rows

)

select
    new_load_counts.raw_rows,
    new_load_counts.base_rows,
    new_load_counts.base_quarantined_rows,
    new_load_counts.quarantined_rows,
    touched_key_counts.valid_rows,
    touched_key_counts.staged_rows,
    touched_key_counts.superseded_rows
from new_load_counts
cross join touched_key_counts
where new_load_counts.raw_rows <> new_load_counts.base_rows
    or new_load_counts.base_quarantined_rows <> new_load_counts.quarantined_rows
    or touched_key_counts.valid_rows <> touched_key_counts.staged_rows + touched_key_counts.superseded_rows

{%- endif %}

{%- else %}

with counts as (

    select
        {%- if incremental_raw %}
        (
            select coalesce(sum(row_count), 0) from {{ var('raw_schema') }}._file_manifest
            where table_name = '{{ table_name }}'
        ) as raw_rows,
        {%- else %}
        (select count(*) from {{ model }}) as raw_rows,
        {%- endif %}
        (select count(*) from {{ staged }}) as staged_rows,
        {%- if superseded is not none and superseded_key is not none %}
        {{ ecommerce_segmentation.superseded_delivery_rows(superseded, superseded_key) }} as superseded_rows,
        {%- elif superseded is not none %}
        (
            select count(*)
            from {{ superseded }} as superseded_rows
            where {{ superseded_where | replace('__superseded__', superseded | string) }}
        ) as superseded_rows,
        {%- else %}
        0 as superseded_rows,
        {%- endif %}
        (select count(*) from {{ quarantined }}) as quarantined_rows

)

select
    raw_rows,
    staged_rows,
    superseded_rows,
    quarantined_rows
from counts
where raw_rows <> staged_rows + superseded_rows + quarantined_rows

{%- endif %}

{% endtest %}


{#
    superseded_delivery_rows(superseded, superseded_key, key_filter): a scalar
    subquery, the valid rows (quarantine_reason null) of `superseded` outside
    their key's latest delivery (largest load, then file), for the keys where
    key_filter (SQL) holds: one group-by per (key, load, file) and a window
    over those deliveries.
#}
{% macro superseded_delivery_rows(superseded, superseded_key, key_filter='true') -%}
(
            select coalesce(sum(ranked_deliveries.delivered_rows), 0)
            from (
                select
                    deliveries.delivered_rows,
                    row_number() over (
                        partition by deliveries.delivery_key
                        order by deliveries._load_id desc, deliveries._source_file desc
                    ) as delivery_rank
                from (
                    select
                        {{ superseded_key }} as delivery_key,
                        _load_id,
                        _source_file,
                        count(*) as delivered_rows
                    from {{ superseded }}
                    where quarantine_reason is null
                        and {{ key_filter }}
                    group by {{ superseded_key }}, _load_id, _source_file
                ) as deliveries
            ) as ranked_deliveries
            where ranked_deliveries.delivery_rank > 1
        )
{%- endmacro %}
