{#
    spark__load_raw_tables: the Spark (dbt-spark over Thrift) implementation of
    load_raw_tables (macros/loading/load_raw_tables.sql, run by on-run-start).
    For every table of the raw data contract it (re)creates the view
    {{ var('raw_schema') }}.<table> over the table's files: <table>.parquet or
    <table>.csv, or a folder <table>/ of CSV and Parquet files, nested (Hive
    partitions) too, as on DuckDB (docs/raw-data-contract.md, "Layout"):

      - every contract column as string, matched case-insensitively (names
        trimmed); an optional column a file lacks is null; extra columns are
        ignored;
      - _source_file (the path relative to raw_data_dir), _source_line (for
        Parquet the row's ordinal in its file, from _metadata.row_index + 1;
        null for CSV: Spark gives no record position), _load_id (1, or the
        load of an incremental table, macros/loading/file_manifest.sql),
        _record_at (the table's record time, parsed) and _load_error /
        _rejected_record, set for a CSV record that cannot be read
        (spark__load_csv below) and for a file of a folder that cannot be
        read at all (unparseable:file), null otherwise;
      - rows of erased customers are left out, as on DuckDB (erasure list
        <erasure_dir>/erasure_list.csv copied to <raw_schema>._erasure_list);
      - a missing optional table gives an empty view; a missing required
        table, a required column missing from a file, an empty (0-byte) file
        of a table given as one file, a table given twice, a processed file
        of an incremental table that changed or disappeared, or an erasure
        list written with another salt stop the run with an error naming
        the file.

    How files are found without Python or a failing query: the raw folder is
    listed once through Spark's binaryFile data source, as the external table
    <raw_schema>._raw_files (path, length, modificationTime; the content
    column is not read), with recursiveFileLookup (no partition discovery);
    Spark itself skips names starting with _ or . (_SUCCESS, .crc, _erasure/).
    Each file's columns are read from an external table over that file alone
    (`describe table`); the rows are then read through one external table per
    format: over the file, or over the table's folder with
    recursiveFileLookup and pathGlobFilter *.csv / *.parquet (case
    insensitive; Parquet with mergeSchema), rows filtered to the files of
    this load by _metadata.file_path. CSV files are grouped by header, one
    <table>__csv_rows[_<k>] copy per group. `drop table` of an external
    table leaves the files alone.

    The paths are read by the Spark server: raw_data_dir must be absolute and
    on storage the cluster sees (docs/spark.md).

    Every DDL statement runs alone through adapter.execute (no fetch): PyHive
    0.7.0 fails fetching a DDL result from Spark 3.5 (docs/spark.md).

    Differences from DuckDB (docs/spark.md): no line number for a CSV
    record; a quote left open is not detected (it swallows the rest of the
    file into one field); Spark lists no 0-byte file, so an empty file
    counts as missing; a file's columns cost one `describe` per file (a
    folder of many files costs three statements per file).
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
    {%- set listing = ecommerce_segmentation.spark__list_raw_files(raw_dir, raw_schema, '_raw_files') -%}
    {%- set erasure = ecommerce_segmentation.spark__load_erasure_list(raw_dir, raw_schema) -%}
    {%- set dialect_file = ecommerce_segmentation.spark__read_dialect(raw_dir, raw_schema) -%}
    {%- do ecommerce_segmentation.spark__create_file_manifest(raw_schema) -%}
    {%- set ordered = [] -%}
    {%- set loaded = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set dialect = ecommerce_segmentation.table_dialect(dialect_file, table_name) -%}
        {%- set found = ecommerce_segmentation.spark__find_raw_files(raw_dir, table_name, listing) -%}
        {%- for suffix in ['__file', '__parquet', '__csv', '__csv_rows', '__probe'] -%}
            {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ suffix) -%}
        {%- endfor -%}
        {%- if found.files | length == 0 and meta.get('required_file', false) -%}
            {{ exceptions.raise_compiler_error(
                "Required raw file missing: neither " ~ raw_dir ~ "/" ~ table_name ~ ".parquet nor "
                ~ raw_dir ~ "/" ~ table_name ~ ".csv exists as a non-empty file, nor a folder " ~ raw_dir ~ "/"
                ~ table_name ~ "/ with files (raw_data_dir = '" ~ raw_dir ~ "'; "
                ~ "Spark does not list 0-byte files, so an empty file counts as missing). "
                ~ "Generate sample data with scripts/generate_data.py or set RAW_DATA_DIR.") }}
        {%- endif -%}
        {%- set batch = ecommerce_segmentation.spark__select_new_files(raw_schema, table_name, found.files, raw_dir) -%}
        {%- set load_id = batch.load_id -%}
        {%- set files = batch.files -%}
        {%- set unreadable = [] -%}
        {%- for file in files if file.format == 'unknown' -%}
            {%- do unreadable.append({'rel': file.rel, 'problem': 'unknown_format',
                'message': 'neither a CSV (.csv) nor a Parquet (.parquet) file'}) -%}
        {%- endfor -%}
        {%- set parts = [] -%}
        {%- set parquet_files = files | selectattr('format', 'equalto', 'parquet') | list -%}
        {%- set csv_files = files | selectattr('format', 'equalto', 'csv') | list -%}
        {%- if parquet_files -%}
            {%- do parts.append(ecommerce_segmentation.spark__parquet_select(parquet_files, found, table_name, raw_schema,
                columns, meta, dialect, load_id, unreadable, raw_dir)) -%}
        {%- endif -%}
        {%- if csv_files -%}
            {%- do parts.extend(ecommerce_segmentation.spark__csv_selects(csv_files, found, table_name, raw_schema,
                columns, meta, dialect, load_id, unreadable, raw_dir)) -%}
        {%- endif -%}
        {%- if unreadable -%}
            {%- do parts.append(ecommerce_segmentation.unreadable_file_rows(columns, unreadable, load_id, 'string')) -%}
        {%- endif -%}
        {%- set names = [] -%}
        {%- for column in columns -%}
            {%- do names.append(column.name) -%}
        {%- endfor -%}
        {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
            {%- do names.append(name) -%}
        {%- endfor -%}
        {%- set parts = parts | reject('none') | list -%}
        {%- if not parts -%}
            {%- set select_list = [] -%}
            {%- for column in columns -%}
                {%- do select_list.append('cast(null as string) as ' ~ column.name) -%}
            {%- endfor -%}
            {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
                {%- do select_list.append('cast(null as ' ~ spark_type ~ ') as ' ~ name) -%}
            {%- endfor -%}
            {%- set body = 'select ' ~ (select_list | join(', ')) ~ ' from (select 1 as one) as no_file where 1 = 0' -%}
        {%- else -%}
            {#- Spark SQL has no union by name: every part in the same column order -#}
            {%- set selects = [] -%}
            {%- for part in parts -%}
                {%- do selects.append('select ' ~ (names | join(', ')) ~ ' from (\n' ~ part ~ '\n) as part_' ~ loop.index) -%}
            {%- endfor -%}
            {%- set body = selects | join('\nunion all\n') -%}
        {%- endif -%}
        {%- if found.files | length == 0 -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- else -%}
            {%- do loaded.append(table_name ~ ' (' ~ found.label ~ ': ' ~ (files | length) ~ ' of '
                ~ (found.files | length) ~ ' file(s), load ' ~ load_id ~ ')') -%}
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
    Every file under `folder` (recursively; Spark skips names starting with _
    or .) as a list of {path, rel, name, size, modified}, through the external
    binaryFile table <raw_schema>.<listing_table> (dropped again). rel is the
    path relative to the folder. A folder that does not exist stops the run
    with Spark's PATH_NOT_FOUND.
#}
{% macro spark__list_raw_files(folder, raw_schema, listing_table) %}
    {%- set listing = raw_schema ~ '.' ~ listing_table -%}
    {%- set quoted_folder = folder | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- do adapter.execute('drop table if exists ' ~ listing) -%}
    {%- do adapter.execute(
        "create table " ~ listing ~ " using binaryFile options (path '" ~ quoted_folder ~ "', "
        ~ "recursiveFileLookup 'true')") -%}
    {%- set rows = run_query('select path, length, cast(modificationTime as string) as modified from ' ~ listing
        ~ ' order by path') -%}
    {%- do adapter.execute('drop table if exists ' ~ listing) -%}
    {%- set files = [] -%}
    {%- for row in rows -%}
        {%- set full = row['path'] | string -%}
        {%- set at = full.find(folder ~ '/') -%}
        {%- if at >= 0 -%}
            {%- set rel = full[at + (folder | length) + 1:] -%}
            {%- do files.append({'path': folder ~ '/' ~ rel, 'rel': rel, 'name': rel.split('/')[-1],
                'size': row['length'], 'modified': row['modified']}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files) }}
{% endmacro %}


{#
    The files of one table, as duckdb__find_raw_files: {layout: 'file' |
    'folder' | none, label, folder (the folder's path), files: [{path, rel,
    name, format: csv | parquet | unknown, size, modified}]}. The errors of
    the DuckDB loader (a table given twice, an empty file).
#}
{% macro spark__find_raw_files(raw_dir, table_name, listing) %}
    {%- set singles = [] -%}
    {%- set folders = [] -%}
    {%- set files = [] -%}
    {%- for fmt in ['parquet', 'csv'] -%}
        {%- for file in listing if '/' not in file.rel and (file.rel | lower) == table_name ~ '.' ~ fmt -%}
            {%- do singles.append(file.rel) -%}
            {%- do files.append({'path': file.path, 'rel': file.rel, 'name': file.name, 'size': file.size,
                'modified': file.modified, 'format': fmt}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for file in listing if '/' in file.rel and (file.rel.split('/')[0] | lower) == table_name -%}
        {%- set lowered = file.rel | lower -%}
        {%- set fmt = 'csv' if lowered.endswith('.csv') else ('parquet' if lowered.endswith('.parquet') else 'unknown') -%}
        {%- do files.append({'path': file.path, 'rel': file.rel, 'name': file.name, 'size': file.size,
            'modified': file.modified, 'format': fmt}) -%}
        {%- if (file.rel.split('/')[0] ~ '/') not in folders -%}
            {%- do folders.append(file.rel.split('/')[0] ~ '/') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if (singles | length) + (folders | length) > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Two raw files for table '" ~ table_name ~ "' in " ~ raw_dir ~ ": "
            ~ ((singles + folders) | join(' and ')) ~ ". Keep exactly one (a file, or a folder of files).") }}
    {%- endif -%}
    {%- for file in files if (file.size | int) == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ file.path ~ " is empty (0 bytes). A CSV needs at least its header row; "
            ~ "a Parquet file its schema. Remove the file (an optional table without files is empty).") }}
    {%- endfor -%}
    {%- set layout = none if not files else ('file' if singles else 'folder') -%}
    {%- set label = (singles + folders)[0] if files else '' -%}
    {{ return({'layout': layout, 'label': label, 'folder': raw_dir ~ '/' ~ label.rstrip('/'), 'files': files}) }}
{% endmacro %}


{#
    The path options of an external table over one file or over a table's
    folder (every file of `fmt`, csv or parquet, in it and its sub-folders;
    fmt 'any': every file).
#}
{% macro spark__path_options(path, fmt, recursive) %}
    {%- set quoted = path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- if not recursive -%}
        {{ return("path '" ~ quoted ~ "'") }}
    {%- elif fmt == 'any' -%}
        {{ return("path '" ~ quoted ~ "', recursiveFileLookup 'true'") }}
    {%- endif -%}
    {%- set glob = [] -%}
    {%- for c in fmt -%}
        {%- do glob.append('[' ~ c ~ (c | upper) ~ ']') -%}
    {%- endfor -%}
    {{ return("path '" ~ quoted ~ "', recursiveFileLookup 'true', pathGlobFilter '*." ~ (glob | join('')) ~ "'") }}
{% endmacro %}


{# create table <file_table> over one raw file (external: the file stays where it is). #}
{% macro spark__create_file_table_sql(file_table, raw_file, dialect) %}
    {%- set options = ecommerce_segmentation.spark__path_options(raw_file.path, raw_file.format, false) -%}
    {%- if raw_file.format == 'parquet' -%}
        {{ return("create table " ~ file_table ~ " using parquet options (" ~ options ~ ")") }}
    {%- else -%}
        {{ return("create table " ~ file_table ~ " using csv options (" ~ options ~ ", "
            ~ "header 'true', inferSchema 'false', multiLine 'true', "
            ~ ecommerce_segmentation.spark__csv_dialect_options(dialect) ~ ", mode 'PERMISSIVE')") }}
    {%- endif -%}
{% endmacro %}


{# The column names of one file (describe of an external table over it alone). #}
{% macro spark__file_column_names(file_table, raw_file, dialect) %}
    {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
    {%- do adapter.execute(ecommerce_segmentation.spark__create_file_table_sql(file_table, raw_file, dialect)) -%}
    {%- set names = [] -%}
    {%- for row in run_query('describe table ' ~ file_table) -%}
        {%- set name = row['col_name'] -%}
        {%- if not name or name.startswith('#') -%}
            {%- break -%}
        {%- endif -%}
        {%- do names.append(name) -%}
    {%- endfor -%}
    {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
    {{ return(names) }}
{% endmacro %}


{# The relative path of a row's file, from _metadata.file_path (a URI: file:/..., s3a://...). #}
{% macro spark__relative_path_sql(raw_dir) %}
    {{ return("substring(_metadata.file_path, instr(_metadata.file_path, " ~ ecommerce_segmentation.sql_string(raw_dir ~ '/')
        ~ ") + " ~ ((raw_dir | length) + 1) ~ ")") }}
{% endmacro %}


{#
    The Parquet files of a table as one select over <raw_schema>.<table>__parquet
    (the file, or the folder: mergeSchema), or none. In a folder, a file
    without the Parquet marks (PAR1 at start and end, read through binaryFile)
    goes to `unreadable`; a required column missing in one file stops the run.
#}
{% macro spark__parquet_select(files, found, table_name, raw_schema, columns, meta, dialect, load_id, unreadable, raw_dir) %}
    {%- set readable = [] -%}
    {%- if found.layout == 'folder' -%}
        {%- set probe = raw_schema ~ '.' ~ table_name ~ '__probe' -%}
        {%- do adapter.execute('drop table if exists ' ~ probe) -%}
        {%- do adapter.execute('create table ' ~ probe ~ ' using binaryFile options ('
            ~ ecommerce_segmentation.spark__path_options(found.folder, 'parquet', true) ~ ')') -%}
        {%- set bad = [] -%}
        {%- for row in run_query('select path from ' ~ probe ~ " where length < 12 or hex(substring(content, 1, 4)) <> '50415231' "
                ~ "or hex(substring(content, -4, 4)) <> '50415231'") -%}
            {%- set full = row[0] | string -%}
            {%- do bad.append(full[full.find(raw_dir ~ '/') + (raw_dir | length) + 1:]) -%}
        {%- endfor -%}
        {%- do adapter.execute('drop table if exists ' ~ probe) -%}
        {%- for file in files -%}
            {%- if file.rel in bad -%}
                {%- do unreadable.append({'rel': file.rel, 'problem': 'not_parquet',
                    'message': 'not a Parquet file: it does not start and end with the marker PAR1 (truncated or corrupt)'}) -%}
            {%- else -%}
                {%- do readable.append(file) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {%- set readable = files -%}
    {%- endif -%}
    {%- if not readable -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set file_table = raw_schema ~ '.' ~ table_name ~ '__file' -%}
    {%- set file_columns = {} -%}
    {%- for file in readable -%}
        {%- set found_names = ecommerce_segmentation.spark__file_column_names(file_table, file, dialect) -%}
        {%- set keys = [] -%}
        {%- for name in found_names -%}
            {%- set key = name | trim | lower -%}
            {%- do keys.append(key) -%}
            {%- if key not in file_columns -%}
                {%- do file_columns.update({key: '`' ~ (name | replace('`', '``')) ~ '`'}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for column in columns if column.name not in keys and not column.optional_column -%}
            {%- do missing.append(column.name) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ file.path ~ " lacks the column(s) " ~ (missing | join(', '))
                ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
                ~ "Columns found: " ~ (found_names | join(', '))) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set source = raw_schema ~ '.' ~ table_name ~ '__parquet' -%}
    {%- set is_folder = found.layout == 'folder' -%}
    {%- do adapter.execute('create table ' ~ source ~ ' using parquet options ('
        ~ ecommerce_segmentation.spark__path_options(found.folder if is_folder else readable[0].path, 'parquet', is_folder)
        ~ (", mergeSchema 'true', ignoreCorruptFiles 'true'" if is_folder else '') ~ ')') -%}
    {%- set rel_sql = ecommerce_segmentation.spark__relative_path_sql(raw_dir) if is_folder
        else ecommerce_segmentation.sql_string(readable[0].rel) -%}
    {%- set select_list = [] -%}
    {%- for column in columns -%}
        {%- if column.name in file_columns -%}
            {%- do select_list.append(ecommerce_segmentation.dialect_value(
                'cast(' ~ file_columns[column.name] ~ ' as string)', column.contract_type, dialect) ~ ' as ' ~ column.name) -%}
        {%- else -%}
            {%- do select_list.append('cast(null as string) as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do select_list.append(rel_sql ~ ' as _source_file') -%}
    {%- do select_list.append('cast(_metadata.row_index + 1 as bigint) as _source_line') -%}
    {%- do select_list.append('cast(' ~ load_id ~ ' as bigint) as _load_id') -%}
    {%- if meta.get('record_time_column') and meta.record_time_column in file_columns -%}
        {%- do select_list.append(ecommerce_segmentation.try_parse_timestamp(ecommerce_segmentation.dialect_value(
            'cast(' ~ file_columns[meta.record_time_column] ~ ' as string)', 'timestamp', dialect)) ~ ' as _record_at') -%}
    {%- else -%}
        {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
    {%- endif -%}
    {%- do select_list.append('cast(null as string) as _load_error') -%}
    {%- do select_list.append('cast(null as string) as _rejected_record') -%}
    {%- do select_list.append('cast(null as string) as _unreadable_columns') -%}
    {%- set body = 'select ' ~ (select_list | join(',\n    ')) ~ '\nfrom ' ~ source -%}
    {%- if is_folder -%}
        {%- set rels = [] -%}
        {%- for file in readable -%}
            {%- do rels.append(ecommerce_segmentation.sql_string(file.rel)) -%}
        {%- endfor -%}
        {%- set body = body ~ '\nwhere ' ~ rel_sql ~ ' in (' ~ (rels | join(', ')) ~ ')' -%}
    {%- endif -%}
    {{ return(body) }}
{% endmacro %}


{#
    The CSV files of a table as a list of selects, one per header: every
    file's header is read alone (spark__file_column_names); a header that is
    not UTF-8 stops the run for a table given as one file and makes the file
    unparseable:file in a folder; a required column missing in one file
    stops the run. Each group is read by spark__load_csv into
    <table>__csv_rows (the first group) or <table>__csv_rows_<k>.
#}
{% macro spark__csv_selects(files, found, table_name, raw_schema, columns, meta, dialect, load_id, unreadable, raw_dir) %}
    {%- set file_table = raw_schema ~ '.' ~ table_name ~ '__file' -%}
    {%- set groups = {} -%}
    {%- set group_order = [] -%}
    {%- for file in files -%}
        {%- set header = ecommerce_segmentation.spark__file_column_names(file_table, file, dialect) -%}
        {%- set bad = [] -%}
        {%- for name in header if '\ufffd' in name or '\x00' in name -%}
            {%- do bad.append(name) -%}
        {%- endfor -%}
        {%- if bad and found.layout == 'file' -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ file.path ~ ": the header row (line 1) is not valid UTF-8. The raw data contract "
                ~ "requires UTF-8 CSV files: re-export the file as UTF-8.") }}
        {%- elif bad -%}
            {%- do unreadable.append({'rel': file.rel, 'problem': 'invalid_encoding',
                'message': 'the header row (line 1) cannot be decoded as ' ~ dialect.encoding}) -%}
        {%- else -%}
            {%- set keys = [] -%}
            {%- for name in header -%}
                {%- do keys.append(name | replace('\ufeff', '') | trim | lower) -%}
            {%- endfor -%}
            {%- set missing = [] -%}
            {%- for column in columns if column.name not in keys and not column.optional_column -%}
                {%- do missing.append(column.name) -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ file.path ~ " lacks the column(s) " ~ (missing | join(', '))
                    ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
                    ~ "Columns found: " ~ (header | join(', '))
                    ~ ecommerce_segmentation.delimiter_hint(header, dialect)) }}
            {%- endif -%}
            {%- set key = keys | join('\x1f') -%}
            {%- if key not in groups -%}
                {%- do groups.update({key: {'header': header, 'keys': keys, 'files': []}}) -%}
                {%- do group_order.append(key) -%}
            {%- endif -%}
            {%- do groups[key].files.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set is_folder = found.layout == 'folder' -%}
    {%- set rel_sql = ecommerce_segmentation.spark__relative_path_sql(raw_dir) if is_folder
        else ecommerce_segmentation.sql_string(files[0].rel) -%}
    {%- set selects = [] -%}
    {%- for key in group_order -%}
        {%- set group = groups[key] -%}
        {%- set rows_relation = raw_schema ~ '.' ~ table_name ~ '__csv_rows' ~ ('' if loop.first else '_' ~ loop.index) -%}
        {%- set rels = [] -%}
        {%- for file in group.files -%}
            {%- do rels.append(ecommerce_segmentation.sql_string(file.rel)) -%}
        {%- endfor -%}
        {%- set source = {'path': found.folder if is_folder else group.files[0].path, 'recursive': is_folder,
            'label': found.label, 'filter': (rel_sql ~ ' in (' ~ (rels | join(', ')) ~ ')') if is_folder else ''} -%}
        {%- do ecommerce_segmentation.spark__load_csv(source, group.header, table_name, raw_schema,
            raw_schema ~ '.' ~ table_name ~ '__csv', dialect, rows_relation, rel_sql) -%}
        {%- set file_columns = {} -%}
        {%- for k in group['keys'] -%}
            {%- if k not in file_columns -%}
                {%- do file_columns.update({k: 'c' ~ loop.index}) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- a CSV record that could not be read has every contract column null -#}
        {%- set select_list = [] -%}
        {%- for column in columns -%}
            {%- if column.name in file_columns -%}
                {%- set value = ecommerce_segmentation.spark__null_tokens(
                    'cast(' ~ file_columns[column.name] ~ ' as string)', dialect) -%}
                {%- do select_list.append('case when _load_error is null then '
                    ~ ecommerce_segmentation.dialect_value(value, column.contract_type, dialect) ~ ' end as ' ~ column.name) -%}
            {%- else -%}
                {%- do select_list.append('cast(null as string) as ' ~ column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do select_list.append('_src_file as _source_file') -%}
        {%- do select_list.append('cast(null as bigint) as _source_line') -%}
        {%- do select_list.append('cast(' ~ load_id ~ ' as bigint) as _load_id') -%}
        {%- if meta.get('record_time_column') and meta.record_time_column in file_columns -%}
            {%- do select_list.append('case when _load_error is null then '
                ~ ecommerce_segmentation.try_parse_timestamp(ecommerce_segmentation.dialect_value(
                    'cast(' ~ file_columns[meta.record_time_column] ~ ' as string)', 'timestamp', dialect))
                ~ ' end as _record_at') -%}
        {%- else -%}
            {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
        {%- endif -%}
        {%- do select_list.append('_load_error') -%}
        {%- do select_list.append('_rejected_record') -%}
        {#- set by the DuckDB loader for a value that is not in the file's encoding; Spark reads such a record as corrupt -#}
        {%- do select_list.append('cast(null as string) as _unreadable_columns') -%}
        {%- do selects.append('select ' ~ (select_list | join(',\n    ')) ~ '\nfrom ' ~ rows_relation) -%}
    {%- endfor -%}
    {{ return(selects) }}
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
    CSV files with one header on Spark (source: {path, recursive, filter}:
    one file, or the table's folder with the rows filtered to this group's
    files), read once into the Parquet table rows_relation (returned): the
    file's relative path (_src_file, rel_sql) and the fields of every record as
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
    file_table is (re)created over the source with the positional schema.
#}
{% macro spark__load_csv(source, header, table_name, raw_schema, file_table, dialect, rows_relation, rel_sql) %}
    {%- for name in header -%}
        {%- if '\ufffd' in name or '\x00' in name -%}
            {%- do adapter.execute('drop table if exists ' ~ file_table) -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ source.path ~ ": the header row (line 1) is not valid UTF-8. The raw data contract "
                ~ "requires UTF-8 CSV files: re-export the file as UTF-8.") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set n = header | length -%}
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
        ~ "using csv options (" ~ ecommerce_segmentation.spark__path_options(source.path, 'csv', source.recursive)
        ~ ", header 'true', enforceSchema 'true', multiLine 'true', "
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
                {{ rel_sql }} as _src_file,
                case
                    when _corrupt_record is not null then 'unparseable:csv_record'
                    {{ encoding_cases | join('\n                    ') }}
                end as _load_error
            from {{ file_table }}
            {%- if source.filter %}
            where {{ source.filter }}
            {%- endif %}
        )
        select
            {{ positions | join(', ') }},
            _src_file,
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
        {{- log('Raw CSV file(s) ' ~ source.path ~ ': ' ~ rejected ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endif -%}
    {{ return(rows_relation) }}
{% endmacro %}


{#
    The file manifest on Spark (macros/loading/file_manifest.sql has the rules):
    Parquet tables <raw_schema>._file_manifest and _file_manifest_pending.
    Spark's Parquet tables support no update or delete: a change rewrites a
    table (insert overwrite) from a copy made first.
#}
{% macro spark__create_file_manifest(raw_schema) %}
    {%- set columns = 'table_name string, file_path string, size_bytes bigint, modified_at timestamp, '
        ~ 'content_hash string, row_count bigint, load_id bigint, processed_at timestamp' -%}
    {%- do adapter.execute('create table if not exists ' ~ raw_schema ~ '._file_manifest (' ~ columns ~ ') using parquet') -%}
    {%- do adapter.execute('create table if not exists ' ~ raw_schema ~ '._file_manifest_pending (' ~ columns ~ ') using parquet') -%}
{% endmacro %}


{# Rewrite `relation` keeping only the rows for which `keep` (SQL) holds. #}
{% macro spark__rewrite_where(relation, keep) %}
    {%- do adapter.execute('drop table if exists ' ~ relation ~ '__copy') -%}
    {%- do adapter.execute('create table ' ~ relation ~ '__copy using parquet as select * from ' ~ relation) -%}
    {%- do adapter.execute('insert overwrite table ' ~ relation ~ ' select * from ' ~ relation ~ '__copy where ' ~ keep) -%}
    {%- do adapter.execute('drop table if exists ' ~ relation ~ '__copy') -%}
{% endmacro %}


{#
    As duckdb__select_new_files: {files, load_id}; checks the processed files
    of a table loaded incrementally and writes the files read into
    _file_manifest_pending with their md5 (binaryFile content).
#}
{% macro spark__select_new_files(raw_schema, table_name, files, raw_dir) %}
    {%- set manifest = raw_schema ~ '._file_manifest' -%}
    {%- set pending = raw_schema ~ '._file_manifest_pending' -%}
    {%- set name = ecommerce_segmentation.sql_string(table_name) -%}
    {%- if run_query('select count(*) from ' ~ pending ~ ' where table_name = ' ~ name).columns[0].values()[0] > 0 -%}
        {%- do ecommerce_segmentation.spark__rewrite_where(pending, 'table_name <> ' ~ name) -%}
    {%- endif -%}
    {%- if not ecommerce_segmentation.raw_table_is_incremental(table_name) -%}
        {{ return({'files': files, 'load_id': 1}) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {%- do ecommerce_segmentation.spark__rewrite_where(manifest, 'table_name <> ' ~ name) -%}
    {%- endif -%}
    {%- set by_rel = {} -%}
    {%- for file in files -%}
        {%- do by_rel.update({file.rel: file}) -%}
    {%- endfor -%}
    {%- set probe = raw_schema ~ '.' ~ table_name ~ '__probe' -%}
    {%- set rel_of_path = "substring(path, instr(path, " ~ ecommerce_segmentation.sql_string(raw_dir ~ '/') ~ ") + "
        ~ ((raw_dir | length) + 1) ~ ")" -%}
    {%- set known = [] -%}
    {%- set last = {'load_id': 0} -%}
    {%- for row in run_query('select file_path, size_bytes, cast(modified_at as string) as modified, content_hash, load_id from '
            ~ manifest ~ ' where table_name = ' ~ name ~ ' order by file_path') -%}
        {%- do known.append(row['file_path']) -%}
        {%- if (row['load_id'] | int) > last.load_id -%}
            {%- do last.update({'load_id': row['load_id'] | int}) -%}
        {%- endif -%}
        {%- set file = by_rel.get(row['file_path']) -%}
        {%- if file is none -%}
            {%- do ecommerce_segmentation.raise_processed_file_changed(raw_dir, table_name, row['file_path'], 'has disappeared') -%}
        {%- endif -%}
        {%- if (file.size | int) != (row['size_bytes'] | int) or (file.modified | string) != (row['modified'] | string) -%}
            {%- do adapter.execute('drop table if exists ' ~ probe) -%}
            {%- do adapter.execute('create table ' ~ probe ~ ' using binaryFile options ('
                ~ ecommerce_segmentation.spark__path_options(file.path, 'any', false) ~ ')') -%}
            {%- set hash = run_query('select md5(content) from ' ~ probe).columns[0].values()[0] -%}
            {%- do adapter.execute('drop table if exists ' ~ probe) -%}
            {%- if hash != row['content_hash'] -%}
                {%- do ecommerce_segmentation.raise_processed_file_changed(raw_dir, table_name, row['file_path'],
                    'its content has changed (another content hash)') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set load_id = last.load_id + 1 -%}
    {%- set new_files = [] -%}
    {%- set rels = [] -%}
    {%- for file in files if file.rel not in known -%}
        {%- do new_files.append(file) -%}
        {%- do rels.append(ecommerce_segmentation.sql_string(file.rel)) -%}
    {%- endfor -%}
    {%- if new_files -%}
        {%- set is_folder = '/' in new_files[0].rel -%}
        {%- set root = raw_dir ~ '/' ~ new_files[0].rel.split('/')[0] -%}
        {%- do adapter.execute('drop table if exists ' ~ probe) -%}
        {%- do adapter.execute('create table ' ~ probe ~ ' using binaryFile options ('
            ~ ecommerce_segmentation.spark__path_options(root if is_folder else new_files[0].path, 'any', is_folder) ~ ')') -%}
        {%- do adapter.execute('insert into ' ~ pending ~ ' select ' ~ name ~ ', ' ~ rel_of_path ~ ', length, modificationTime, '
            ~ 'md5(content), cast(null as bigint), ' ~ load_id ~ ', cast(null as timestamp) from ' ~ probe
            ~ ' where ' ~ rel_of_path ~ ' in (' ~ (rels | join(', ')) ~ ')') -%}
        {%- do adapter.execute('drop table if exists ' ~ probe) -%}
    {%- endif -%}
    {{- log('Raw table ' ~ table_name ~ ' is loaded incrementally: ' ~ (new_files | length) ~ ' new file(s) of '
        ~ (files | length) ~ ', load ' ~ load_id, info=true) -}}
    {{ return({'files': new_files, 'load_id': load_id}) }}
{% endmacro %}
