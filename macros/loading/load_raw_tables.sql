{#
    load_raw_tables: run by on-run-start. For every table of the raw data
    contract it (re)creates the relation {{ var('raw_schema') }}.<table> over the
    file <raw_data_dir>/<table>.parquet or .csv:
      - every contract column as text, matched case-insensitively; a column
        the contract marks optional and the file lacks is all null; extra
        columns are ignored;
      - _source_file (the file name) and _record_at (the table's record time,
        parsed, used for source freshness);
      - a missing optional file gives an empty relation; a missing required
        file, a required column missing from a file, an empty (0-byte) file
        or two files for one table stop the run with an error naming the file.
#}

{% macro load_raw_tables() %}
    {%- if execute -%}
        {%- set loaded = adapter.dispatch('load_raw_tables', 'ecommerce_segmentation')() -%}
        {{- log('Raw tables loaded from ' ~ var('raw_data_dir') ~ ': ' ~ (loaded | join(', ')), info=true) -}}
    {%- endif -%}
    select 1 as raw_tables_loaded
{%- endmacro %}


{% macro default__load_raw_tables() %}
    {{ exceptions.raise_compiler_error(
        "load_raw_tables has no implementation for adapter '" ~ target.type ~ "'. "
        ~ "Add a <adapter>__load_raw_tables macro (see macros/loading/).") }}
{% endmacro %}


{% macro duckdb__load_raw_tables() %}
    {%- set raw_dir = (var('raw_data_dir') | string).rstrip('/') -%}
    {%- set raw_schema = var('raw_schema') -%}
    {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
    {%- set loaded = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set raw_file = ecommerce_segmentation.duckdb__find_raw_file(raw_dir, table_name) -%}
        {%- if raw_file is none and meta.get('required_file', false) -%}
            {{ exceptions.raise_compiler_error(
                "Required raw file missing: neither " ~ raw_dir ~ "/" ~ table_name ~ ".parquet nor "
                ~ raw_dir ~ "/" ~ table_name ~ ".csv exists (raw_data_dir = '" ~ raw_dir ~ "'). "
                ~ "Generate sample data with scripts/generate_data.py or set RAW_DATA_DIR.") }}
        {%- endif -%}

        {%- if raw_file is none -%}
            {%- set select_list = [] -%}
            {%- for column in columns -%}
                {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
            {%- endfor -%}
            {%- do select_list.append('cast(null as varchar) as _source_file') -%}
            {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
            {%- set body = 'select ' ~ (select_list | join(', ')) ~ ' where false' -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- else -%}
            {%- set reader = ecommerce_segmentation.duckdb__raw_reader(raw_file) -%}
            {%- set file_columns = {} -%}
            {%- for row in run_query('describe select * from ' ~ reader) -%}
                {%- set key = row['column_name'] | trim | lower -%}
                {%- if key not in file_columns -%}
                    {%- do file_columns.update({key: row['column_name']}) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set missing = [] -%}
            {%- set select_list = [] -%}
            {%- for column in columns -%}
                {%- if column.name in file_columns -%}
                    {%- do select_list.append('cast(' ~ adapter.quote(file_columns[column.name]) ~ ' as varchar) as ' ~ column.name) -%}
                {%- elif column.optional_column -%}
                    {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
                {%- else -%}
                    {%- do missing.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ raw_file.path ~ " lacks the column(s) " ~ (missing | join(', '))
                    ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
                    ~ "Columns found: " ~ (file_columns.values() | join(', '))) }}
            {%- endif -%}
            {%- do select_list.append("'" ~ raw_file.name ~ "' as _source_file") -%}
            {%- if meta.get('record_time_column') -%}
                {%- do select_list.append(
                    ecommerce_segmentation.try_parse_timestamp('cast(' ~ adapter.quote(file_columns[meta.record_time_column]) ~ ' as varchar)')
                    ~ ' as _record_at') -%}
            {%- else -%}
                {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
            {%- endif -%}
            {%- set body = 'select ' ~ (select_list | join(',\n    ')) ~ '\nfrom ' ~ reader -%}
            {%- do loaded.append(table_name ~ ' (' ~ raw_file.name ~ ')') -%}
        {%- endif -%}
        {%- do run_query('create or replace view ' ~ raw_schema ~ '.' ~ table_name ~ ' as\n' ~ body) -%}
    {%- endfor -%}
    {{ return(loaded) }}
{% endmacro %}


{# The one file for a table, as {path, name, format}, or none. #}
{% macro duckdb__find_raw_file(raw_dir, table_name) %}
    {%- set found = [] -%}
    {%- for fmt in ['parquet', 'csv'] -%}
        {%- set pattern = (raw_dir ~ '/' ~ table_name ~ '.' ~ fmt) | replace("'", "''") -%}
        {%- for row in run_query("select file from glob('" ~ pattern ~ "')") -%}
            {%- do found.append({'path': row['file'], 'name': table_name ~ '.' ~ fmt, 'format': fmt}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if found | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Two raw files for table '" ~ table_name ~ "' in " ~ raw_dir ~ ": "
            ~ (found | map(attribute='name') | join(' and ')) ~ ". Keep exactly one.") }}
    {%- endif -%}
    {%- if not found -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set raw_file = found[0] -%}
    {%- set size = run_query("select size from read_blob('" ~ (raw_file.path | replace("'", "''")) ~ "')").columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ raw_file.path ~ " is empty (0 bytes). A CSV needs at least its header row; "
            ~ "a Parquet file its schema. Remove the file to treat an optional table as empty.") }}
    {%- endif -%}
    {{ return(raw_file) }}
{% endmacro %}


{% macro duckdb__raw_reader(raw_file) %}
    {%- set path = raw_file.path | replace("'", "''") -%}
    {%- if raw_file.format == 'parquet' -%}
        {{ return("read_parquet('" ~ path ~ "')") }}
    {%- else -%}
        {{ return("read_csv('" ~ path ~ "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')") }}
    {%- endif -%}
{% endmacro %}
