{#
    load_raw_tables: run by on-run-start. For every table of the raw data
    contract it (re)creates the relation {{ var('raw_schema') }}.<table> over
    the table's files in <raw_data_dir> (docs/raw-data-contract.md, "Layout"):
    the file <table>.parquet or <table>.csv, or the folder <table>/ holding
    any number of CSV and Parquet files, also in sub-folders such as Hive
    partitions (events/date=2026-11-28/part-0001.parquet; the partition
    values are not columns). Names match case-insensitively (Orders.csv,
    ORDERS/). Files and folders whose name starts with _ or . are ignored
    (_SUCCESS, .part-0001.crc, _erasure/). The relation holds:
      - every contract column as text, matched case-insensitively; a column
        the contract marks optional and a file lacks is null for that file's
        rows; extra columns are ignored;
      - _source_file: the file's path relative to raw_data_dir (orders.csv,
        events/date=2026-11-28/part-0001.parquet); _source_line: for
        Parquet the row's ordinal in its file (1 = the first row); for CSV
        the record number in its file with the header as 1 (the first
        record is 2), counting the records that could not be read: the
        physical line unless an earlier record of the file spans several
        lines or a blank line precedes it; for a record that could not be
        read, DuckDB's line number, as in _rejected_record;
      - _load_id: 1, or for a table loaded incrementally the number of the
        load that first read the file (macros/loading/file_manifest.sql);
      - _record_at (the table's record time, parsed, used for source freshness);
      - _load_error and _rejected_record: null for a row read normally. A CSV
        record DuckDB cannot read (a field that is not UTF-8, a bad quote, too
        few or too many fields, a line over the size limit) is not dropped:
        it becomes a row with every contract column null, _load_error set to
        its quarantine reason (unparseable:<column>, or
        unparseable:csv_record when no single contract column is to blame)
        and _rejected_record holding {line, problem, message, raw_line} as
        JSON text. The base_ models quarantine it (macros/staging/quarantine.sql),
        so raw rows = staged + quarantined still holds. A quote left open
        costs its own line only (duckdb_blank_open_quotes,
        duckdb_recover_open_quotes);
      - a file of a folder that cannot be read at all (a Parquet file
        without the PAR1 marks, a CSV whose header row cannot be decoded, a
        file that is neither CSV nor Parquet) stops nothing else: it is one
        row with every contract column null, _load_error = unparseable:file (reason code unparseable)
        and _rejected_record = {file, problem, message}; the other files load;
      - _unreadable_columns: null, except for a CSV record whose only fault
        is a value not in the file's encoding in optional, non-identifier
        columns: it is read with those values null, named here, comma
        separated (duckdb_stage_unreadable_optional_values);
      - the folder's _dialect.yml (macros/loading/dialect.sql) sets the CSV
        delimiter, quote, encoding and null tokens of every CSV file, and
        turns decimal commas and dates in the shop's format into the
        contract's canonical text;
      - rows of erased customers are left out: the erasure list
        (<erasure_dir>/erasure_list.csv, written by scripts/forget_customer.py,
        salted hashes only) is copied to {{ var('raw_schema') }}._erasure_list and
        every raw relation filters the identifiers in var('erasure_identifiers');
      - a missing optional table gives an empty relation; a missing required
        table, a required column missing from a file, an empty (0-byte)
        file, two files for one table (CSV and Parquet, or a file and a
        folder), a single-file table that cannot be read or an erasure list
        written with a different salt stop the run with an error naming the
        file.
    CSV files sharing a header are read by one multi-file read; only a file
    with a quote left open is read again alone.
    Tables loaded incrementally (raw_table_is_incremental) hold only the
    files not yet recorded in <raw_schema>._file_manifest (file_manifest.sql).

    One body for every engine: load_raw_tables below runs the same steps on
    DuckDB and Spark; what differs per engine is dispatched, each dispatcher
    with all its variants in one file:
      - raw_loader_start (this file): schema, erasure list, _dialect.yml,
        file listing and file manifest, in each engine's order;
      - prepare_raw_table, empty_raw_select, raw_loader_finish (this file);
      - find_raw_files (raw_files.sql), select_new_files and
        create_file_manifest (file_manifest.sql), read_dialect
        (dialect.sql), load_erasure_list (erasure.sql);
      - parquet_select (read_parquet.sql) and csv_parts (read_csv.sql), the
        readers; their engine-only helpers are duckdb_* (read_csv_duckdb.sql)
        and spark_* (spark_files.sql).
    Spark (dbt-spark over Thrift) reads the files on the Spark server, so
    raw_data_dir must be absolute there; its differences (no CSV line
    numbers, a quote left open not detected, a 0-byte file counts as
    missing) are in docs/spark.md and in spark_files.sql.
#}

{% macro load_raw_tables() %}
    {%- if execute -%}
        {%- set loaded = ecommerce_segmentation.load_raw_table_relations() -%}
        {{- log('Raw tables loaded from ' ~ var('raw_data_dir') ~ ': ' ~ (loaded | join(', ')), info=true) -}}
    {%- endif -%}
    select 1 as raw_tables_loaded
{%- endmacro %}


{#
    The loader's body (see the top of this file): (re)creates one view per
    contract table and returns one description per table for the log.
#}
{% macro load_raw_table_relations() %}
    {%- set raw_dir = (var('raw_data_dir') | string).rstrip('/') -%}
    {%- set raw_schema = var('raw_schema') -%}
    {%- set run = ecommerce_segmentation.raw_loader_start(raw_dir, raw_schema) -%}
    {%- set loaded = [] -%}
    {#- var raw_tables_to_load (the real-time path, ecomseg.stream): only these tables; the other
        raw views stay as the last build left them (null: every table) -#}
    {%- set only_tables = var('raw_tables_to_load', none) -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names()
            if only_tables is none or table_name in only_tables -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set dialect = ecommerce_segmentation.table_dialect(run.dialect_file, table_name) -%}
        {%- set found = ecommerce_segmentation.find_raw_files(raw_dir, table_name, run.listing) -%}
        {%- do ecommerce_segmentation.prepare_raw_table(raw_schema, table_name) -%}
        {%- if found.total == 0 and meta.get('required_file', false) -%}
            {%- do ecommerce_segmentation.raise_missing_raw_file(raw_dir, table_name) -%}
        {%- endif -%}
        {#- incremental tables: only the files not yet in the manifest -#}
        {%- set batch = ecommerce_segmentation.select_new_files(raw_schema, table_name, found.files, raw_dir) -%}
        {%- set load_id = batch.load_id -%}
        {%- set files = batch.files -%}
        {%- set erased = ecommerce_segmentation.erasure_predicate(table_name, columns, run.erasure, raw_schema) -%}
        {%- set unreadable = [] -%}
        {%- for file in files if file.format == 'unknown' -%}
            {%- do unreadable.append({'rel': file.rel, 'problem': 'unknown_format',
                'message': 'neither a CSV (.csv) nor a Parquet (.parquet) file'}) -%}
        {%- endfor -%}
        {%- set parts = [] -%}
        {%- set parquet_files = files | selectattr('format', 'equalto', 'parquet') | list -%}
        {%- if parquet_files -%}
            {%- do parts.append(ecommerce_segmentation.parquet_select(parquet_files, found, table_name, raw_schema,
                columns, meta, dialect, load_id, unreadable, raw_dir)) -%}
        {%- endif -%}
        {#- called without CSV files too: DuckDB then drops the copies of an earlier CSV load -#}
        {%- do parts.extend(ecommerce_segmentation.csv_parts(files | selectattr('format', 'equalto', 'csv') | list,
            found, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable, raw_dir)) -%}
        {%- for file in unreadable -%}
            {{- log('Raw file ' ~ raw_dir ~ '/' ~ file.rel ~ ' cannot be read (' ~ file.problem ~ '): it is '
                ~ 'quarantined as unparseable:file; the other files of ' ~ table_name ~ ' load', info=true) -}}
        {%- endfor -%}
        {%- if unreadable -%}
            {%- do parts.append(ecommerce_segmentation.unreadable_file_rows(columns, unreadable, load_id)) -%}
        {%- endif -%}
        {%- set parts = parts | reject('none') | list -%}
        {%- set table_names = ecommerce_segmentation.raw_column_names(columns) -%}
        {%- if not parts -%}
            {%- set body = ecommerce_segmentation.empty_raw_select(columns) -%}
        {%- else -%}
            {#- every part in the same column order (Spark SQL has no union by name) -#}
            {%- set selects = [] -%}
            {%- for part in parts -%}
                {%- do selects.append('select ' ~ (table_names | join(', ')) ~ ' from (\n' ~ part ~ '\n) as part_' ~ loop.index) -%}
            {%- endfor -%}
            {%- set body = selects | join('\nunion all\n') -%}
        {%- endif -%}
        {%- if found.total == 0 -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- elif found.layout == 'file' -%}
            {%- do loaded.append(table_name ~ ' (' ~ found.label ~ (', no new file' if not files else '') ~ ')') -%}
        {%- else -%}
            {%- do loaded.append(table_name ~ ' (' ~ found.label ~ ': ' ~ (files | length) ~ ' of '
                ~ found.total ~ ' file(s), load ' ~ load_id ~ ')') -%}
        {%- endif -%}
        {%- if erased -%}
            {%- set body = 'select * from (\n' ~ body ~ '\n) as loaded\nwhere not (' ~ erased ~ ')' -%}
        {%- endif -%}
        {%- do adapter.execute('create or replace view ' ~ raw_schema ~ '.' ~ table_name ~ ' as\n' ~ body) -%}
    {%- endfor -%}
    {%- do ecommerce_segmentation.raw_loader_finish(raw_schema) -%}
    {{ return(loaded) }}
{% endmacro %}


{#
    The loader's first step, per engine: creates <raw_schema>, copies the
    erasure list (load_erasure_list), reads _dialect.yml (read_dialect),
    lists the raw folder and creates the file manifest
    (create_file_manifest). Returns {erasure, dialect_file, listing}:
    listing is the folder's files on Spark (find_raw_files reads it) and
    none on DuckDB (the listing is the temporary table _raw_listing).
#}
{% macro raw_loader_start(raw_dir, raw_schema) %}
    {{- return(adapter.dispatch('raw_loader_start', 'ecommerce_segmentation')(raw_dir, raw_schema)) -}}
{% endmacro %}

{% macro default__raw_loader_start(raw_dir, raw_schema) %}
    {{ exceptions.raise_compiler_error(
        "load_raw_tables has no implementation for adapter '" ~ target.type ~ "'. "
        ~ "Add <adapter>__ variants of the dispatched loader steps (see macros/loading/load_raw_tables.sql).") }}
{% endmacro %}

{% macro duckdb__raw_loader_start(raw_dir, raw_schema) %}
    {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
    {%- set erasure = ecommerce_segmentation.load_erasure_list(raw_dir, raw_schema) -%}
    {%- set dialect_file = ecommerce_segmentation.read_dialect(raw_dir, raw_schema) -%}
    {%- do ecommerce_segmentation.duckdb_list_raw_files(raw_dir, var('raw_tables_to_load', none)) -%}
    {%- do ecommerce_segmentation.create_file_manifest(raw_schema) -%}
    {{ return({'erasure': erasure, 'dialect_file': dialect_file, 'listing': none}) }}
{% endmacro %}

{% macro spark__raw_loader_start(raw_dir, raw_schema) %}
    {%- if not raw_dir.startswith('/') and ':' not in raw_dir -%}
        {{ exceptions.raise_compiler_error(
            "raw_data_dir must be an absolute path (or a URI such as s3a://...) on Spark: the Spark server, "
            ~ "not dbt, reads the files; got '" ~ raw_dir ~ "' (set RAW_DATA_DIR).") }}
    {%- endif -%}
    {%- do adapter.execute('create schema if not exists ' ~ raw_schema) -%}
    {%- set listing = ecommerce_segmentation.spark_list_raw_files(raw_dir, raw_schema, '_raw_files') -%}
    {%- set erasure = ecommerce_segmentation.load_erasure_list(raw_dir, raw_schema) -%}
    {%- set dialect_file = ecommerce_segmentation.read_dialect(raw_dir, raw_schema) -%}
    {%- do ecommerce_segmentation.create_file_manifest(raw_schema) -%}
    {{ return({'erasure': erasure, 'dialect_file': dialect_file, 'listing': listing}) }}
{% endmacro %}


{#
    Before a table is read: nothing on DuckDB (its readers replace their
    copies); on Spark, drops the external tables and copies an earlier load
    of the table left (<table>__file, __parquet, __csv, __csv_rows, __probe).
#}
{% macro prepare_raw_table(raw_schema, table_name) %}
    {{- return(adapter.dispatch('prepare_raw_table', 'ecommerce_segmentation')(raw_schema, table_name)) -}}
{% endmacro %}

{% macro default__prepare_raw_table(raw_schema, table_name) %}
{% endmacro %}

{% macro spark__prepare_raw_table(raw_schema, table_name) %}
    {%- for suffix in ['__file', '__parquet', '__csv', '__csv_rows', '__probe'] -%}
        {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ suffix) -%}
    {%- endfor -%}
{% endmacro %}


{# After the last table: DuckDB drops its temporary listing; nothing on Spark. #}
{% macro raw_loader_finish(raw_schema) %}
    {{- return(adapter.dispatch('raw_loader_finish', 'ecommerce_segmentation')(raw_schema)) -}}
{% endmacro %}

{% macro default__raw_loader_finish(raw_schema) %}
{% endmacro %}

{% macro duckdb__raw_loader_finish(raw_schema) %}
    {%- do run_query('drop table if exists temp._raw_listing') -%}
{% endmacro %}


{#
    A select of no rows with the columns of a raw relation (an optional
    table without files): the contract columns as text, then the metadata
    columns (raw_metadata_columns) with the engine's types.
#}
{% macro empty_raw_select(columns) %}
    {{- return(adapter.dispatch('empty_raw_select', 'ecommerce_segmentation')(columns)) -}}
{% endmacro %}

{% macro default__empty_raw_select(columns) %}
    {%- set select_list = [] -%}
    {%- for column in columns -%}
        {%- do select_list.append('cast(null as string) as ' ~ column.name) -%}
    {%- endfor -%}
    {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
        {%- do select_list.append('cast(null as ' ~ spark_type ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{ return('select\n    ' ~ (select_list | join(',\n    ')) ~ '\nfrom (select 1 as one) as no_file\nwhere 1 = 0') }}
{% endmacro %}

{% macro duckdb__empty_raw_select(columns) %}
    {%- set select_list = [] -%}
    {%- for column in columns -%}
        {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
    {%- endfor -%}
    {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
        {%- do select_list.append('cast(null as ' ~ duckdb_type ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{ return('select\n    ' ~ (select_list | join(',\n    ')) ~ '\nwhere false') }}
{% endmacro %}


{#
    The columns every raw relation ends with, after the contract columns, as
    (name, DuckDB type, Spark type); one list for both engines.
#}
{% macro raw_metadata_columns() %}
    {{ return([
        ('_source_file', 'varchar', 'string'),
        ('_source_line', 'bigint', 'bigint'),
        ('_load_id', 'bigint', 'bigint'),
        ('_record_at', 'timestamp', 'timestamp'),
        ('_load_error', 'varchar', 'string'),
        ('_rejected_record', 'varchar', 'string'),
        ('_unreadable_columns', 'varchar', 'string'),
    ]) }}
{% endmacro %}


{# The column names of a raw relation, in order: the contract columns, then raw_metadata_columns. #}
{% macro raw_column_names(columns) %}
    {%- set names = columns | map(attribute='name') | list -%}
    {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
        {%- do names.append(name) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{# The engine's text type, which every contract column of a raw relation has: varchar on DuckDB, string on Spark. #}
{% macro raw_text_type() %}
    {{- return(adapter.dispatch('raw_text_type', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__raw_text_type() %}
    {{- return('string') -}}
{% endmacro %}

{% macro duckdb__raw_text_type() %}
    {{- return('varchar') -}}
{% endmacro %}


{#
    One row per file of a table that cannot be read at all (_load_error unparseable:file),
    as a select over no table; files: list of {rel, problem, message}.
#}
{% macro unreadable_file_rows(columns, files, load_id) %}
    {%- set string_type = ecommerce_segmentation.raw_text_type() -%}
    {%- set selects = [] -%}
    {%- for file in files -%}
        {%- set items = [] -%}
        {%- for column in columns -%}
            {%- do items.append('cast(null as ' ~ string_type ~ ') as ' ~ column.name) -%}
        {%- endfor -%}
        {%- do items.append(ecommerce_segmentation.sql_string(file.rel) ~ ' as _source_file') -%}
        {%- do items.append('cast(null as bigint) as _source_line') -%}
        {%- do items.append('cast(' ~ load_id ~ ' as bigint) as _load_id') -%}
        {%- do items.append('cast(null as timestamp) as _record_at') -%}
        {%- do items.append("'unparseable:file' as _load_error") -%}
        {%- do items.append(ecommerce_segmentation.sql_string(tojson(
            {'file': file.rel, 'problem': file.problem, 'message': file.message}, sort_keys=true)) ~ ' as _rejected_record') -%}
        {%- do items.append('cast(null as ' ~ string_type ~ ') as _unreadable_columns') -%}
        {%- do selects.append('select\n    ' ~ (items | join(',\n    '))) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{% endmacro %}


{#
    Stops the run when a file lacks a column the raw data contract requires
    (one that is not optional_column). found_names: the file's column names
    as read; keys: the same names normalised for matching (trimmed,
    lowercased); dialect: given for a CSV file, to add a hint when the
    header looks split on the wrong delimiter (delimiter_hint).
#}
{% macro check_required_columns(file_path, table_name, columns, found_names, keys, dialect=none) %}
    {%- set missing = [] -%}
    {%- for column in columns if column.name not in keys and not column.optional_column -%}
        {%- do missing.append(column.name) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ file_path ~ " lacks the column(s) " ~ (missing | join(', '))
            ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
            ~ "Columns found: " ~ (found_names | join(', '))
            ~ (ecommerce_segmentation.delimiter_hint(found_names, dialect) if dialect is not none else '')) }}
    {%- endif -%}
{% endmacro %}


{#
    Stops the run: a table the contract marks required_file has no file.
    The engine's variant says what was looked for (on Spark an empty file
    counts as missing: Spark lists no 0-byte file).
#}
{% macro raise_missing_raw_file(raw_dir, table_name) %}
    {{ exceptions.raise_compiler_error(
        "Required raw file missing: " ~ ecommerce_segmentation.missing_raw_file_text(raw_dir, table_name)
        ~ " Generate sample data with scripts/generate_data.py or set RAW_DATA_DIR.") }}
{% endmacro %}


{# What raise_missing_raw_file looked for, per engine. #}
{% macro missing_raw_file_text(raw_dir, table_name) %}
    {{- return(adapter.dispatch('missing_raw_file_text', 'ecommerce_segmentation')(raw_dir, table_name)) -}}
{% endmacro %}

{% macro default__missing_raw_file_text(raw_dir, table_name) %}
    {{- return("neither " ~ raw_dir ~ "/" ~ table_name ~ ".parquet nor "
        ~ raw_dir ~ "/" ~ table_name ~ ".csv nor a folder " ~ raw_dir ~ "/" ~ table_name
        ~ "/ with CSV or Parquet files exists (raw_data_dir = '" ~ raw_dir ~ "').") -}}
{% endmacro %}

{% macro spark__missing_raw_file_text(raw_dir, table_name) %}
    {{- return("neither " ~ raw_dir ~ "/" ~ table_name ~ ".parquet nor "
        ~ raw_dir ~ "/" ~ table_name ~ ".csv exists as a non-empty file, nor a folder " ~ raw_dir ~ "/"
        ~ table_name ~ "/ with files (raw_data_dir = '" ~ raw_dir ~ "'; "
        ~ "Spark does not list 0-byte files, so an empty file counts as missing).") -}}
{% endmacro %}
