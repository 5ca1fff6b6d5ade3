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
#}
{% test rows_reconcile(model, staged, quarantined, table_name=none, superseded=none, superseded_where='true',
    superseded_key=none) %}

{%- set incremental_raw = table_name is not none and ecommerce_segmentation.raw_table_is_incremental(table_name) %}

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
                    group by {{ superseded_key }}, _load_id, _source_file
                ) as deliveries
            ) as ranked_deliveries
            where ranked_deliveries.delivery_rank > 1
        ) as superseded_rows,
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

{% endtest %}
