{#
    Data tests that follow the batch (issue #12 point 5): on an incremental
    build a test of a model whose rows carry `_load_id` (the raw load that
    delivered them, macros/staging/incremental.sql) checks the rows of the
    loads not checked yet, and what they can collide with, instead of the
    whole history; otherwise it checks every row.

    The state: <raw_schema>._checked_loads, one row per such test (check_key:
    test name, model, column), holding the largest _load_id of the model
    when the test last passed (load_id) and the raw table (table_name). The
    on-run-end hook record_checked_loads writes it, for passing tests only,
    so the rows of a run whose test failed, did not run (dbt run, ecomseg
    stream's micro-batches) or was skipped are checked by the next test that
    runs: a test is complete given that every row with a load id up to its
    watermark passed before. The models keep that true: they append rows
    with new load ids or delete and insert the rows of the keys a batch
    touches with the batch's load id; a model that re-inserts older rows of
    the keys it touches (the entity versions) is checked per key
    (scope_column).

    A test checks every row (new_loads_watermark returns none) on Spark (no
    table is loaded incrementally), when its raw table is not loaded
    incrementally (var incremental_raw_tables), on --full-refresh, and when it
    has no watermark yet; record_checked_loads forgets every watermark on
    --full-refresh and the watermarks of tables not loaded incrementally, as
    those runs give the rows their load ids again.
#}


{#- The key of a test's watermark: the test's name, the model and the column. -#}
{% macro checked_loads_key(test_name, model_name, column_name) %}
    {{- return(test_name ~ ':' ~ model_name ~ ':' ~ column_name) -}}
{% endmacro %}


{#
    new_loads_watermark(test_name, model, column_name, table_name): the
    largest _load_id of `model` (a relation) when this test last passed, or
    none when the test must check every row (see above).
#}
{% macro new_loads_watermark(test_name, model, column_name, table_name) %}
    {%- if not execute or table_name is none or flags.FULL_REFRESH
        or not ecommerce_segmentation.raw_table_is_incremental(table_name) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = adapter.get_relation(database=target.database, schema=var('raw_schema'), identifier='_checked_loads') -%}
    {%- if state is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set key = ecommerce_segmentation.checked_loads_key(test_name, model.identifier, column_name) -%}
    {%- set rows = run_query('select max(load_id) from ' ~ state ~ ' where check_key = '
        ~ ecommerce_segmentation.sql_string(key) ~ ' and table_name = ' ~ ecommerce_segmentation.sql_string(table_name)) -%}
    {%- set watermark = rows.columns[0].values()[0] -%}
    {{ return(none if watermark is none else (watermark | int)) }}
{% endmacro %}


{#
    record_checked_loads(results): the on-run-end hook (dbt_project.yml).
    Forgets the watermarks a full refresh or a table not loaded
    incrementally invalidates, then records, for every test of this run that
    passed and names new_loads_of, the largest _load_id (or its load_column)
    of its model. Does
    nothing on Spark. Renders to a harmless statement; the work is done while
    rendering.
#}
{% macro record_checked_loads(results) %}
    {%- if execute and ecommerce_segmentation.incremental_loading_supported() -%}
        {%- set state = var('raw_schema') ~ '._checked_loads' -%}
        {%- do run_query('create schema if not exists ' ~ var('raw_schema')) -%}
        {%- do run_query('create table if not exists ' ~ state ~ ' (check_key ' ~ dbt.type_string() ~ ', table_name '
            ~ dbt.type_string() ~ ', load_id ' ~ dbt.type_bigint() ~ ', checked_at ' ~ dbt.type_timestamp() ~ ')') -%}
        {%- if flags.FULL_REFRESH -%}
            {%- do run_query('delete from ' ~ state) -%}
        {%- else -%}
            {%- for row in run_query('select distinct table_name from ' ~ state) -%}
                {%- if not ecommerce_segmentation.raw_table_is_incremental(row[0]) -%}
                    {%- do run_query('delete from ' ~ state ~ ' where table_name = ' ~ ecommerce_segmentation.sql_string(row[0])) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {#- generic tests only (a singular test has no test_metadata) -#}
        {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass'
                and result.node.test_metadata is defined and result.node.test_metadata is not none
                and result.node.test_metadata.kwargs.get('new_loads_of') -%}
            {%- set metadata = result.node.test_metadata -%}
            {%- set table_name = metadata.kwargs.get('new_loads_of') -%}
            {%- set tested = graph.nodes.get(result.node.attached_node) if result.node.attached_node else none -%}
            {#- a test of a source (rows_reconcile): the raw table, whose loads the file manifest numbers -#}
            {%- set tested_sources = [] -%}
            {%- for unique_id in result.node.depends_on.nodes if unique_id.startswith('source.') and unique_id in graph.sources -%}
                {%- do tested_sources.append(graph.sources[unique_id]) -%}
            {%- endfor -%}
            {%- if ecommerce_segmentation.raw_table_is_incremental(table_name) and (tested is not none or tested_sources) -%}
                {%- if tested is not none -%}
                    {%- set identifier = tested.alias -%}
                    {%- set largest_load = 'coalesce(max(' ~ metadata.kwargs.get('load_column', '_load_id')
                        ~ '), 0), current_timestamp from '
                        ~ api.Relation.create(database=tested.database, schema=tested.schema, identifier=tested.alias) -%}
                {%- else -%}
                    {%- set identifier = tested_sources[0].identifier -%}
                    {%- set largest_load = 'coalesce(max(load_id), 0), current_timestamp from ' ~ var('raw_schema')
                        ~ '._file_manifest where table_name = ' ~ ecommerce_segmentation.sql_string(table_name) -%}
                {%- endif -%}
                {%- set key = ecommerce_segmentation.sql_string(ecommerce_segmentation.checked_loads_key(
                    metadata.name, identifier, metadata.kwargs.get('column_name'))) -%}
                {%- do run_query('delete from ' ~ state ~ ' where check_key = ' ~ key) -%}
                {%- do run_query('insert into ' ~ state ~ ' select ' ~ key ~ ', ' ~ ecommerce_segmentation.sql_string(table_name)
                    ~ ', ' ~ largest_load) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as checked_loads_recorded
{%- endmacro %}


{#
    unique_in_new_loads: `column_name` is unique (nulls aside), like dbt's
    unique. On an incremental build (new_loads_watermark, above) it checks
    only the keys of the rows of loads above the watermark (or, with
    scope_column, the keys of every row whose scope_column value such a row
    has): each must occur once in the whole model. load_column (default
    _load_id) names the column that numbers the rows' loads; a model that
    rewrites rows of older loads may instead number the runs that wrote them
    (int_sessions_stitched's _run_id, macro run_id). One semi-join of the
    model against those keys, then a group-by of the few rows found, instead
    of a group-by of every key. Same failing rows as unique: the key and
    how often it occurs.

        - name: event_id
          data_tests:
            - unique_in_new_loads:
                arguments: {new_loads_of: events}
#}
{% test unique_in_new_loads(model, column_name, new_loads_of, scope_column=none, load_column='_load_id') %}

{%- set watermark = ecommerce_segmentation.new_loads_watermark('unique_in_new_loads', model, column_name, new_loads_of) %}

{%- if watermark is none %}

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1

{%- else %}

with checked_keys as (

    {%- if scope_column %}

    select {{ column_name }} as checked_key
    from {{ model }}
    where {{ scope_column }} in (
        select {{ scope_column }} from {{ model }}
        where {{ load_column }} > {{ watermark }}
    )

    {%- else %}

    select {{ column_name }} as checked_key
    from {{ model }}
    where {{ load_column }} > {{ watermark }}

    {%- endif %}

)

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} in (select checked_key from checked_keys)
    {#- The same rows; the bounds let the scan skip the row groups outside the
        checked keys' range (DuckDB does not push the semi-join's own filter
        through the compressed-materialisation projection): keys that grow
        with time, as event ids do, are read for the new loads only. #}
    and {{ column_name }} >= (select min(checked_key) from checked_keys)
    and {{ column_name }} <= (select max(checked_key) from checked_keys)
group by {{ column_name }}
having count(*) > 1

{%- endif %}

{% endtest %}
