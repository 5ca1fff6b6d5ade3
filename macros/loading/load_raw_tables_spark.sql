{#
    spark__load_raw_tables: the Spark (dbt-spark over Thrift) implementation of
    load_raw_tables (macros/loading/load_raw_tables.sql, run by on-run-start).
    For every table of the raw data contract it (re)creates the view
    {{ var('raw_schema') }}.<table> over <raw_data_dir>/<table>.parquet or .csv:

      - every contract column as string, matched case-insensitively (names
        trimmed); an optional column the file lacks is all null; extra
        columns are ignored;
      - _source_file (the file name), _record_at (the table's record time,
        parsed) and _load_error / _rejected_record, set for a CSV record
        that cannot be read (spark__load_csv below), null otherwise;
      - rows of erased customers are left out, as on DuckDB (erasure list
        <erasure_dir>/erasure_list.csv copied to <raw_schema>._erasure_list);
      - a missing optional file gives an empty view; a missing required file,
        a required column missing from a file, an empty (0-byte) file, two
        files for one table or an erasure list written with another salt stop
        the run with an error naming the file.

    How files are found without Python or a failing query: the raw folder is
    listed once through Spark's binaryFile data source, as the external table
    <raw_schema>._raw_files (path, length; the content column is never read),
    with recursiveFileLookup so that sub-folders (e.g. _erasure/) do not
    trigger partition discovery; only files directly in the folder count.
    Each file then becomes an external table <raw_schema>.<table>__file
    (`using parquet|csv options (path ...)`; a CSV with header, every column
    string, multi-line quoted fields, "" as the quote escape), and the view
    <raw_schema>.<table> selects the contract columns from it. `drop table`
    of an external table leaves the file alone.

    The paths are read by the Spark server: raw_data_dir must be absolute and
    on storage the cluster sees (docs/spark.md).

    Every DDL statement runs alone through adapter.execute (no fetch): PyHive
    0.7.0 fails fetching a DDL result from Spark 3.5 (docs/spark.md).

    Differences from DuckDB (docs/spark.md): no line number for a CSV
    record that cannot be read; a quote left open is not detected (it
    swallows the rest of the file into one field); Spark lists no 0-byte
    file, so an empty file counts as missing.
#}

{% macro spark__load_raw_tables() %}
    {%- set raw_dir = (var('raw_data_dir') | string).rstrip('/') -%}
    {%- if not raw_dir.startswith('/') and ':' not in raw_dir -%}
        {{ exceptions.raise_compiler_error(
            "raw_data_dir must be an absolute path (or a URI such as s3a://...) on Spark: the Spark server, "
            ~ "not dbt, reads the files; got '" ~ raw_dir ~ "' (set RAW_DATA_DIR).") }}
    {%- endif -%}
    {%- set raw_schema = var('raw_schema') -%}
    {%- do adapter.execute('create schema if not exists ' ~ raw_schema) -%}
    {%- set files = ecommerce_segmentation.spark__list_raw_files(raw_dir, raw_schema, '_raw_files') -%}
    {%- set erasure = ecommerce_segmentation.spark__load_erasure_list(raw_dir, raw_schema) -%}
    {%- set dialect_file = ecommerce_segmentation.spark__read_dialect(raw_dir, raw_schema) -%}
    {%- set loaded = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set raw_file = ecommerce_segmentation.spark__find_raw_file(raw_dir, table_name, files) -%}
        {%- set dialect = ecommerce_segmentation.table_dialect(dialect_file, table_name) -%}
        {%- set file_table = raw_schema ~ '.' ~ table_name ~ '__file' -%}
        {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
        {%- if raw_file is none -%}
            {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__csv_rows') -%}
        {%- endif -%}
        {%- if raw_file is none and meta.get('required_file', false) -%}
            {{ exceptions.raise_compiler_error(
                "Required raw file missing: neither " ~ raw_dir ~ "/" ~ table_name ~ ".parquet nor "
                ~ raw_dir ~ "/" ~ table_name ~ ".csv exists as a non-empty file (raw_data_dir = '" ~ raw_dir ~ "'; "
                ~ "Spark does not list 0-byte files, so an empty file counts as missing). "
                ~ "Generate sample data with scripts/generate_data.py or set RAW_DATA_DIR.") }}
        {%- endif -%}

        {%- if raw_file is none -%}
            {%- set select_list = [] -%}
            {%- for column in columns -%}
                {%- do select_list.append('cast(null as string) as ' ~ column.name) -%}
            {%- endfor -%}
            {%- do select_list.append('cast(null as string) as _source_file') -%}
            {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
            {%- do select_list.append('cast(null as string) as _load_error') -%}
            {%- do select_list.append('cast(null as string) as _rejected_record') -%}
            {%- do select_list.append('cast(null as string) as _unreadable_columns') -%}
            {%- set body = 'select ' ~ (select_list | join(', ')) ~ ' from (select 1 as one) as no_file where 1 = 0' -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- else -%}
            {%- do adapter.execute(ecommerce_segmentation.spark__create_file_table_sql(file_table, raw_file, dialect)) -%}
            {%- set found_names = [] -%}
            {%- for row in run_query('describe table ' ~ file_table) -%}
                {%- set name = row['col_name'] -%}
                {%- if not name or name.startswith('#') -%}
                    {%- break -%}
                {%- endif -%}
                {%- do found_names.append(name) -%}
            {%- endfor -%}
            {#- file_columns: lower-cased trimmed name -> the column of source_relation holding it.
                A CSV is read once more with positional columns c1..cN and a corrupt-record
                column, into <table>__csv_rows (spark__load_csv); a Parquet file is read as is. -#}
            {%- set file_columns = {} -%}
            {%- set is_csv = raw_file.format == 'csv' -%}
            {%- if is_csv -%}
                {%- set source_relation = ecommerce_segmentation.spark__load_csv(
                    raw_file, found_names, table_name, raw_schema, file_table, dialect) -%}
            {%- else -%}
                {%- set source_relation = file_table -%}
                {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__csv_rows') -%}
            {%- endif -%}
            {%- for name in found_names -%}
                {%- set key = name | replace('\ufeff', '') | trim | lower -%}
                {%- if key not in file_columns -%}
                    {%- do file_columns.update({key: ('c' ~ loop.index) if is_csv
                        else '`' ~ (name | replace('`', '``')) ~ '`'}) -%}
                {%- endif -%}
            {%- endfor -%}
            {#- a CSV record that could not be read has every contract column null -#}
            {%- set read_ok = 'case when _load_error is null then ' if is_csv else '' -%}
            {%- set read_ok_end = ' end' if is_csv else '' -%}
            {%- set missing = [] -%}
            {%- set select_list = [] -%}
            {%- for column in columns -%}
                {%- if column.name in file_columns -%}
                    {%- set value = ecommerce_segmentation.spark__null_tokens(
                        'cast(' ~ file_columns[column.name] ~ ' as string)', dialect if is_csv else none) -%}
                    {%- do select_list.append(read_ok ~ ecommerce_segmentation.dialect_value(value, column.contract_type, dialect)
                        ~ read_ok_end ~ ' as ' ~ column.name) -%}
                {%- elif column.optional_column -%}
                    {%- do select_list.append('cast(null as string) as ' ~ column.name) -%}
                {%- else -%}
                    {%- do missing.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
                {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__csv_rows') -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ raw_file.path ~ " lacks the column(s) " ~ (missing | join(', '))
                    ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
                    ~ "Columns found: " ~ (found_names | join(', '))
                    ~ ecommerce_segmentation.delimiter_hint(found_names, dialect)) }}
            {%- endif -%}
            {%- do select_list.append("'" ~ raw_file.name ~ "' as _source_file") -%}
            {%- if meta.get('record_time_column') and meta.record_time_column in file_columns -%}
                {%- do select_list.append(read_ok ~
                    ecommerce_segmentation.try_parse_timestamp(ecommerce_segmentation.dialect_value(
                        'cast(' ~ file_columns[meta.record_time_column] ~ ' as string)', 'timestamp', dialect))
                    ~ read_ok_end ~ ' as _record_at') -%}
            {%- else -%}
                {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
            {%- endif -%}
            {%- if is_csv -%}
                {%- do select_list.append('_load_error') -%}
                {%- do select_list.append('_rejected_record') -%}
            {%- else -%}
                {%- do select_list.append('cast(null as string) as _load_error') -%}
                {%- do select_list.append('cast(null as string) as _rejected_record') -%}
            {%- endif -%}
            {#- set by the DuckDB loader for a value that is not in the file's encoding; Spark reads such a record as corrupt -#}
            {%- do select_list.append('cast(null as string) as _unreadable_columns') -%}
            {%- set body = 'select ' ~ (select_list | join(',\n    ')) ~ '\nfrom ' ~ source_relation -%}
            {%- do loaded.append(table_name ~ ' (' ~ raw_file.name ~ ')') -%}
        {%- endif -%}
        {%- set erased = ecommerce_segmentation.spark__erasure_predicate(table_name, columns, erasure, raw_schema) -%}
        {%- if erased -%}
            {%- set body = 'select * from (\n' ~ body ~ '\n) as loaded\nwhere not (' ~ erased ~ ')' -%}
        {%- endif -%}
        {%- do adapter.execute('create or replace view ' ~ raw_schema ~ '.' ~ table_name ~ ' as\n' ~ body) -%}
    {%- endfor -%}
    {{ return(loaded) }}
{% endmacro %}


{#
    The files directly in `folder` as a list of {path, name, size}, through the
    external binaryFile table <raw_schema>.<listing_table> (dropped again).
    A folder that does not exist stops the run with Spark's PATH_NOT_FOUND.
#}
{% macro spark__list_raw_files(folder, raw_schema, listing_table) %}
    {%- set listing = raw_schema ~ '.' ~ listing_table -%}
    {%- set quoted_folder = folder | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- do adapter.execute('drop table if exists ' ~ listing) -%}
    {%- do adapter.execute(
        "create table " ~ listing ~ " using binaryFile options (path '" ~ quoted_folder ~ "', "
        ~ "recursiveFileLookup 'true')") -%}
    {%- set rows = run_query('select path, length from ' ~ listing) -%}
    {%- do adapter.execute('drop table if exists ' ~ listing) -%}
    {%- set files = [] -%}
    {%- for row in rows -%}
        {%- set full = row['path'] | string -%}
        {%- set name = full.split('/')[-1] -%}
        {#- only files directly in the folder: the parent of the path ends with the folder -#}
        {%- set parent = full[:(full | length) - (name | length) - 1] -%}
        {%- if parent.endswith(folder) -%}
            {%- do files.append({'path': folder ~ '/' ~ name, 'name': name, 'size': row['length']}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}


{#
    The one file for a table, as {path, name, format}, or none; the errors of
    the DuckDB loader. The file name matches case-insensitively, as on DuckDB.
#}
{% macro spark__find_raw_file(raw_dir, table_name, files) %}
    {%- set found = [] -%}
    {%- for fmt in ['parquet', 'csv'] -%}
        {%- for file in files if (file.name | lower) == table_name ~ '.' ~ fmt -%}
            {%- do found.append({'path': file.path, 'name': file.name, 'format': fmt, 'size': file.size}) -%}
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
    {%- if (raw_file.size | int) == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ raw_file.path ~ " is empty (0 bytes). A CSV needs at least its header row; "
            ~ "a Parquet file its schema. Remove the file to treat an optional table as empty.") }}
    {%- endif -%}
    {{ return(raw_file) }}
{% endmacro %}


{# create table <file_table> over one raw file (external: the file stays where it is). #}
{% macro spark__create_file_table_sql(file_table, raw_file, dialect) %}
    {%- set path = raw_file.path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- if raw_file.format == 'parquet' -%}
        {{ return("create table " ~ file_table ~ " using parquet options (path '" ~ path ~ "')") }}
    {%- else -%}
        {{ return("create table " ~ file_table ~ " using csv options (path '" ~ path ~ "', "
            ~ "header 'true', inferSchema 'false', multiLine 'true', "
            ~ ecommerce_segmentation.spark__csv_dialect_options(dialect) ~ ", mode 'PERMISSIVE')") }}
    {%- endif -%}
{% endmacro %}


{#
    The dialect's CSV options for Spark's reader: sep, quote, escape (the
    quote: a doubled quote), encoding (a Java charset name: cp1250,
    ISO-8859-1 for latin-1). Null tokens, number and date formats are applied
    in SQL (spark__null_tokens, dialect_value), as on DuckDB.
#}
{% macro spark__csv_dialect_options(dialect) %}
    {%- set encoding = {'latin-1': 'ISO-8859-1', 'utf-8': 'UTF-8', 'utf-16': 'UTF-16'}.get(dialect.encoding, dialect.encoding) -%}
    {{ return("sep " ~ ecommerce_segmentation.sql_string(dialect.delimiter)
        ~ ", quote " ~ ecommerce_segmentation.sql_string(dialect.quote)
        ~ ", escape " ~ ecommerce_segmentation.sql_string(dialect.quote)
        ~ ", encoding " ~ ecommerce_segmentation.sql_string(encoding)) }}
{% endmacro %}


{# A CSV value that is one of the dialect's null tokens becomes null (Spark's nullValue takes one token only). #}
{% macro spark__null_tokens(expression, dialect) %}
    {%- if dialect is none or not dialect.null_tokens -%}
        {{ return(expression) }}
    {%- endif -%}
    {%- set tokens = [] -%}
    {%- for token in dialect.null_tokens -%}
        {%- do tokens.append(ecommerce_segmentation.sql_string(token)) -%}
    {%- endfor -%}
    {{ return("case when trim(" ~ expression ~ ") in (" ~ (tokens | join(', ')) ~ ") then null else "
        ~ expression ~ " end") }}
{% endmacro %}


{#
    The folder's _dialect.yml on Spark (as duckdb__read_dialect), read through
    an external text table with wholetext (one row: the whole file), or none.
#}
{% macro spark__read_dialect(raw_dir, raw_schema) %}
    {%- set path = raw_dir ~ '/_dialect.yml' -%}
    {%- if ecommerce_segmentation.spark__file_size(path, raw_schema) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text_table = raw_schema ~ '._dialect__file' -%}
    {%- do adapter.execute('drop table if exists ' ~ text_table) -%}
    {%- do adapter.execute("create table " ~ text_table ~ " using text options (path "
        ~ ecommerce_segmentation.sql_string(path) ~ ", wholetext 'true')") -%}
    {%- set rows = run_query('select value from ' ~ text_table) -%}
    {%- do adapter.execute('drop table if exists ' ~ text_table) -%}
    {%- set text = rows.columns[0].values()[0] if rows | length > 0 else '' -%}
    {{ return(ecommerce_segmentation.parse_dialect(text, path)) }}
{% endmacro %}


{#
    The erasure list on Spark, as duckdb__load_erasure_list: copies
    <erasure_dir>/erasure_list.csv into <raw_schema>._erasure_list and returns
    {'salt', 'rows', 'path'}, or none when there is no list; stops the run
    when the list was written with another salt.
#}
{% macro spark__load_erasure_list(raw_dir, raw_schema) %}
    {%- set configured = (var('erasure_dir', '') or '') | string | trim -%}
    {%- set erasure_dir = configured.rstrip('/') if configured not in ('', 'none', 'None') else raw_dir ~ '/_erasure' -%}
    {%- set list_path = erasure_dir ~ '/erasure_list.csv' -%}
    {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '._erasure_list') -%}
    {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '._erasure_list__file') -%}
    {%- set present = ecommerce_segmentation.spark__file_size(list_path, raw_schema) is not none -%}
    {%- if not present -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set salt = ecommerce_segmentation.erasure_salt() -%}
    {%- set fingerprint = ecommerce_segmentation.erasure_salt_fingerprint(salt) -%}
    {%- set quoted_path = list_path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- do adapter.execute(
        "create table " ~ raw_schema ~ "._erasure_list__file (kind string, value_hash string, erasure_id string, "
        ~ "salt_fingerprint string) using csv options (path '" ~ quoted_path ~ "', header 'true')") -%}
    {%- do adapter.execute(
        "create table " ~ raw_schema ~ "._erasure_list using parquet as select kind, value_hash, salt_fingerprint from "
        ~ raw_schema ~ "._erasure_list__file") -%}
    {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '._erasure_list__file') -%}
    {{ return(ecommerce_segmentation.checked_erasure_list(raw_schema, list_path, salt, fingerprint)) }}
{% endmacro %}


{#
    The size in bytes of one file, or none when it does not exist. An external
    binaryFile table over a path that does not exist reads as empty (Spark
    ignores a missing root path of a catalog table), so this needs no query
    that can fail. Names starting with _ or . are fine: only files found by
    listing a folder are filtered by those rules, not the path given.
#}
{% macro spark__file_size(path, raw_schema) %}
    {%- set probe = raw_schema ~ '._file_probe' -%}
    {%- set quoted_path = path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- do adapter.execute('drop table if exists ' ~ probe) -%}
    {%- do adapter.execute("create table " ~ probe ~ " using binaryFile options (path '" ~ quoted_path ~ "')") -%}
    {%- set rows = run_query('select length from ' ~ probe) -%}
    {%- do adapter.execute('drop table if exists ' ~ probe) -%}
    {%- if rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(rows.columns[0].values()[0]) }}
{% endmacro %}


{# As duckdb__erasure_predicate; erasure_hash_sql dispatches to Spark's sha2(..., 256). #}
{% macro spark__erasure_predicate(table_name, columns, erasure, raw_schema) %}
    {%- if erasure is none or erasure.rows == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rules = (var('erasure_identifiers', {}) or {}).get(table_name, {}) or {} -%}
    {%- set names = columns | map(attribute='name') | list -%}
    {%- set always = [] -%}
    {%- set anonymous = [] -%}
    {%- for column, scope in rules.items() if column in names -%}
        {%- set hashed = ecommerce_segmentation.erasure_hash_sql(column, erasure.salt, column) -%}
        {%- set term = "coalesce(" ~ hashed ~ " in (select value_hash from " ~ raw_schema
            ~ "._erasure_list where kind = '" ~ column ~ "'), false)" -%}
        {%- if scope == 'anonymous' and 'customer_id' in names -%}
            {%- do anonymous.append(term) -%}
        {%- else -%}
            {%- do always.append(term) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if anonymous -%}
        {%- do always.append("(" ~ ecommerce_segmentation.clean_text('customer_id') ~ " is null and (" ~ (anonymous | join(' or ')) ~ "))") -%}
    {%- endif -%}
    {{ return(always | join('\n    or ')) }}
{% endmacro %}


{#
    A CSV file on Spark, read once into the Parquet table
    <raw_schema>.<table>__csv_rows (returned): the fields of every record as
    positional string columns c1..cN (N = fields in the header), plus
    _load_error and _rejected_record for a record that could not be read,
    as the DuckDB loader does (duckdb__load_csv):

      - wrong field count: Spark's PERMISSIVE mode keeps the record text in
        a corrupt-record column (too few fields are padded, extra fields
        cut); the record is quarantined as unparseable:csv_record, problem
        missing_columns / too_many_columns (fields counted outside quotes);
      - not UTF-8: Spark's reader replaces an invalid byte sequence by
        U+FFFD; a field holding U+FFFD makes the record unparseable:<column>
        (unparseable:csv_record when the column is not in the contract),
        problem invalid_encoding. A genuine U+FFFD in a UTF-8 file is taken
        for an encoding error too.
      - a header row that is not UTF-8 (U+FFFD or NUL in a column name, as a
        UTF-16 file gives) stops the run with an error naming the file.

    Unlike DuckDB, the line number is not known on Spark ("line": null in
    _rejected_record) and raw_line of an invalid_encoding record is the
    fields joined with commas (U+FFFD for the bad bytes). The table is
    written once (a Parquet copy), so every query of the raw view sees the
    same records; Spark's corrupt-record column must not be queried straight
    from the file (the result could depend on the columns read).
    file_table already exists over the file (header row as names); it is
    recreated with the positional schema.
#}
{% macro spark__load_csv(raw_file, header, table_name, raw_schema, file_table, dialect) %}
    {%- for name in header -%}
        {%- if '\ufffd' in name or '\x00' in name -%}
            {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ raw_file.path ~ ": the header row (line 1) is not valid UTF-8. The raw data contract "
                ~ "requires UTF-8 CSV files: re-export the file as UTF-8.") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set n = header | length -%}
    {%- set path = raw_file.path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- set rows_relation = raw_schema ~ '.' ~ table_name ~ '__csv_rows' -%}
    {%- set contract_names = ecommerce_segmentation.contract_columns(table_name) | map(attribute='name') | list -%}
    {%- set fields = [] -%}
    {%- set positions = [] -%}
    {%- set encoding_cases = [] -%}
    {%- for name in header -%}
        {%- set key = name | replace('\ufeff', '') | trim | lower -%}
        {%- do fields.append('c' ~ loop.index ~ ' string') -%}
        {%- do positions.append('c' ~ loop.index) -%}
        {%- set reason = ('unparseable:' ~ key) if key in contract_names else 'unparseable:csv_record' -%}
        {%- do encoding_cases.append("when instr(c" ~ loop.index ~ ", '\\uFFFD') > 0 then '" ~ reason ~ "'") -%}
    {%- endfor -%}
    {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
    {%- do adapter.execute(
        "create table " ~ file_table ~ " (" ~ (fields | join(', ')) ~ ", _corrupt_record string) "
        ~ "using csv options (path '" ~ path ~ "', header 'true', enforceSchema 'true', multiLine 'true', "
        ~ ecommerce_segmentation.spark__csv_dialect_options(dialect) ~ ", mode 'PERMISSIVE', "
        ~ "columnNameOfCorruptRecord '_corrupt_record')") -%}
    {%- set sep = ecommerce_segmentation.sql_string(dialect.delimiter) -%}
    {%- set field_count -%}
        (length(regexp_replace(_corrupt_record, '"[^"]*"', ''))
            - length(replace(regexp_replace(_corrupt_record, '"[^"]*"', ''), {{ sep }}, '')) + 1)
    {%- endset -%}
    {%- set joined_fields -%}
        concat_ws({{ sep }}, {% for p in positions %}coalesce({{ p }}, ''){{ ', ' if not loop.last }}{% endfor %})
    {%- endset -%}
    {%- set sql -%}
        create table {{ rows_relation }} using parquet as
        with records as (
            select
                {{ positions | join(', ') }},
                _corrupt_record,
                case
                    when _corrupt_record is not null then 'unparseable:csv_record'
                    {{ encoding_cases | join('\n                    ') }}
                end as _load_error
            from {{ file_table }}
        )
        select
            {{ positions | join(', ') }},
            _load_error,
            case when _load_error is not null then to_json(named_struct(
                'line', cast(null as bigint),
                'problem', case
                    when _corrupt_record is null then 'invalid_encoding'
                    when {{ field_count }} < {{ n }} then 'missing_columns'
                    when {{ field_count }} > {{ n }} then 'too_many_columns'
                    else 'malformed_record'
                end,
                'message', case
                    when _corrupt_record is null then 'invalid UTF-8 byte sequence in a field'
                    else concat('expected {{ n }} fields, found ', cast({{ field_count }} as string))
                end,
                'raw_line', coalesce(_corrupt_record, {{ joined_fields }})
            ), map('ignoreNullFields', 'false')) end as _rejected_record
        from records
    {%- endset -%}
    {%- do adapter.execute('drop table if exists ' ~ rows_relation) -%}
    {%- do adapter.execute(sql) -%}
    {%- set rejected = run_query('select count(*) from ' ~ rows_relation ~ ' where _load_error is not null').columns[0].values()[0] -%}
    {%- if rejected > 0 -%}
        {{- log('Raw file ' ~ raw_file.path ~ ': ' ~ rejected ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endif -%}
    {{ return(rows_relation) }}
{% endmacro %}
