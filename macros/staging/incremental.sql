{#
    Incremental staging (issue #12, "a new batch costs the batch, not the
    history"; docs/raw-data-contract.md, "Facts and entities").

    The base_ / stg_ models of a table loaded incrementally (contract meta
    `incremental: true`, raw_table_is_incremental) and the session models
    built from events are dbt incremental models on DuckDB:
      - base_shop__<table> appends the rows of raw.<table>, which then holds
        only the files not yet processed (load id = previous max + 1); its
        post-hook record_processed_files moves those files into the manifest;
      - the models downstream read only rows of load ids they have not seen
        yet: new_load_ids_filter() compares _load_id with the largest one in
        {{ this }}, so a run that failed half-way (a base_ model appended
        load 5, a stg_ model did not) is caught up by the next run.
    When the raw table is NOT loaded incrementally (var incremental_raw_tables
    [] or a table without the meta), raw.<table> holds every file again with
    _load_id 1: the pre-hook reset_incremental_model() empties the model and
    the model processes everything (the result of a full rebuild).

    Spark (dbt-spark over Parquet: only append and insert_overwrite, no delete
    or merge): staging_materialization() is `table` and no table is loaded
    incrementally (incremental_loading_supported() is false), so every build
    is a full rebuild from all files, with the same result.
#}

{#- The materialisation of an incremental staging / session model. -#}
{% macro staging_materialization() %}
    {{- return(adapter.dispatch('staging_materialization', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__staging_materialization() %}
    {{- return('incremental') -}}
{% endmacro %}

{% macro spark__staging_materialization() %}
    {{- return('table') -}}
{% endmacro %}


{#- Whether the engine keeps staging incremental (see above); read by raw_table_is_incremental. -#}
{% macro incremental_loading_supported() %}
    {{- return(adapter.dispatch('incremental_loading_supported', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__incremental_loading_supported() %}
    {{- return(true) -}}
{% endmacro %}

{% macro spark__incremental_loading_supported() %}
    {{- return(false) -}}
{% endmacro %}


{#
    processes_new_loads_only(table_name): true when this model run adds to
    what it holds (dbt is_incremental()) and raw.<table_name> holds only new
    files; false on a first build, a --full-refresh, a table rebuilt from all
    files, or on Spark.
#}
{% macro processes_new_loads_only(table_name) %}
    {#- not while parsing, nor in a unit test (no relation: this is none) -#}
    {%- if not execute or this is none -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(is_incremental() and ecommerce_segmentation.raw_table_is_incremental(table_name)) }}
{% endmacro %}


{#
    reset_incremental_model(table_name): a pre-hook. Empties {{ this }} when
    the model is incremental and exists but raw.<table_name> holds every file
    again (not loaded incrementally), so the model is rebuilt from all rows.
#}
{% macro reset_incremental_model(table_name) %}
    {%- if execute and this is not none and is_incremental() and not ecommerce_segmentation.raw_table_is_incremental(table_name) -%}
        delete from {{ this }}
    {%- else -%}
        select 1 as nothing_to_reset
    {%- endif -%}
{% endmacro %}


{#
    new_load_ids_filter(table_name, column='_load_id'): a where condition that
    keeps the rows of load ids this model has not processed yet (larger than
    the largest in {{ this }}); `true` when the model is rebuilt from all rows.
#}
{% macro new_load_ids_filter(table_name, column='_load_id') %}
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) -%}
        {{ column }} > (select coalesce(max(_load_id), 0) from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}


{#
    delivery_order(columns): the order in which raw rows were delivered, as
    an `order by` list: load id, then file path, then the row's place in its
    file (_source_line: the record number of a CSV, the ordinal of a Parquet
    row), then, for rows sharing a line (a CSV with blank lines, a rejected
    record), the given columns as read (nulls last), so ties are broken
    deterministically. In a full refresh every file is load 1 and the path
    decides: name files so that path order is delivery order
    (events/date=YYYY-MM-DD/part-0001.parquet is).
#}
{% macro delivery_order(columns=[], direction='') %}
    {%- set items = ['_load_id', '_source_file', '_source_line'] + columns -%}
    {%- set ordered = [] -%}
    {%- for item in items -%}
        {%- do ordered.append(item ~ (' ' ~ direction if direction else '') ~ ' nulls last') -%}
    {%- endfor -%}
    {{- return(ordered | join(', ')) -}}
{% endmacro %}


{#
    earlier_valid_keys(table_name, key_column): the body of a base_ model's
    CTE of the keys of the current batch (CTE `source`) that are already
    valid rows of {{ this }} (a fact delivered again in a later batch); no
    rows when the model is rebuilt from all rows.
#}
{% macro earlier_valid_keys(table_name, key_column) -%}
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) -%}
    select {{ key_column }} from {{ this }}
    where
        quarantine_reason is null
        and {{ key_column }} in (select {{ clean_text(key_column) }} from source)
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as {{ key_column }}
    where false
    {%- endif -%}
{%- endmacro %}


{#
    earlier_rows(table_name, new_cte, key_column, select_list): the body of
    a CTE holding the rows of {{ this }} whose key the batch (CTE new_cte)
    touches, as select_list (SQL over {{ this }}, in new_cte's column order),
    to merge with the batch's rows; no rows (new_cte's columns) when the
    model is rebuilt from all rows.
#}
{% macro earlier_rows(table_name, new_cte, key_column, select_list) -%}
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) -%}
    select
        {{ select_list | join(',\n        ') }}
    from {{ this }}
    where {{ key_column }} in (select {{ key_column }} from {{ new_cte }})
    {%- else -%}
    select * from {{ new_cte }}
    where false
    {%- endif -%}
{%- endmacro %}
