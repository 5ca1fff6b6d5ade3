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
        costs its own line only (duckdb__blank_open_quotes,
        duckdb__recover_open_quotes);
      - a file of a folder that cannot be read at all (a Parquet file
        without the PAR1 marks, a CSV whose header row cannot be decoded, a
        file that is neither CSV nor Parquet) stops nothing else: it is one
        row with every contract column null, _load_error = unparseable:file (reason code unparseable)
        and _rejected_record = {file, problem, message}; the other files load;
      - _unreadable_columns: null, except for a CSV record whose only fault
        is a value not in the file's encoding in optional, non-identifier
        columns: it is read with those values null, named here, comma
        separated (duckdb__stage_unreadable_optional_values);
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


{#
    The columns every raw relation ends with, after the contract columns, as
    (name, DuckDB type, Spark type); one list for both loaders.
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


{#
    One row per file of a table that cannot be read at all (_load_error unparseable:file),
    as a select over no table; files: list of {rel, problem, message}.
#}
{% macro unreadable_file_rows(columns, files, load_id, string_type) %}
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
        {%- do selects.append('select ' ~ (items | join(', '))) -%}
    {%- endfor -%}
    {{ return(selects | join('\nunion all\n')) }}
{% endmacro %}


{% macro duckdb__load_raw_tables() %}
    {%- set raw_dir = (var('raw_data_dir') | string).rstrip('/') -%}
    {%- set raw_schema = var('raw_schema') -%}
    {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
    {%- set erasure = ecommerce_segmentation.duckdb__load_erasure_list(raw_dir, raw_schema) -%}
    {%- set dialect_file = ecommerce_segmentation.duckdb__read_dialect(raw_dir) -%}
    {%- do ecommerce_segmentation.duckdb__list_raw_files(raw_dir) -%}
    {%- do ecommerce_segmentation.duckdb__create_file_manifest(raw_schema) -%}
    {%- set loaded = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set dialect = ecommerce_segmentation.table_dialect(dialect_file, table_name) -%}
        {%- set found = ecommerce_segmentation.duckdb__find_raw_files(raw_dir, table_name) -%}
        {%- if found.files | length == 0 and meta.get('required_file', false) -%}
            {{ exceptions.raise_compiler_error(
                "Required raw file missing: neither " ~ raw_dir ~ "/" ~ table_name ~ ".parquet nor "
                ~ raw_dir ~ "/" ~ table_name ~ ".csv nor a folder " ~ raw_dir ~ "/" ~ table_name
                ~ "/ with CSV or Parquet files exists (raw_data_dir = '" ~ raw_dir ~ "'). "
                ~ "Generate sample data with scripts/generate_data.py or set RAW_DATA_DIR.") }}
        {%- endif -%}
        {#- incremental tables: only the files not yet in the manifest -#}
        {%- set batch = ecommerce_segmentation.duckdb__select_new_files(raw_schema, table_name, found.files) -%}
        {%- set load_id = batch.load_id -%}
        {%- set files = batch.files -%}
        {%- set erased = ecommerce_segmentation.duckdb__erasure_predicate(table_name, columns, erasure, raw_schema) -%}
        {%- set csv_files = files | selectattr('format', 'equalto', 'csv') | list -%}
        {%- set parquet_files = files | selectattr('format', 'equalto', 'parquet') | list -%}
        {%- set unreadable = [] -%}
        {%- for file in files if file.format == 'unknown' -%}
            {%- do unreadable.append({'rel': file.rel, 'problem': 'unknown_format',
                'message': 'neither a CSV (.csv) nor a Parquet (.parquet) file'}) -%}
        {%- endfor -%}
        {%- set parts = [] -%}
        {%- if not csv_files -%}
            {#- copies of an earlier CSV load of this table -#}
            {%- do run_query('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__csv_rows; '
                ~ 'drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__rejected_lines') -%}
        {%- else -%}
            {%- do parts.append(ecommerce_segmentation.duckdb__load_csv_files(
                csv_files, found.layout, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable)) -%}
        {%- endif -%}
        {%- if parquet_files -%}
            {%- do parts.append(ecommerce_segmentation.duckdb__parquet_select(
                parquet_files, found.layout, table_name, columns, meta, dialect, load_id, unreadable)) -%}
        {%- endif -%}
        {%- if unreadable -%}
            {%- for file in unreadable -%}
                {{- log('Raw file ' ~ raw_dir ~ '/' ~ file.rel ~ ' cannot be read (' ~ file.problem ~ '): it is '
                    ~ 'quarantined as unparseable:file; the other files of ' ~ table_name ~ ' load', info=true) -}}
            {%- endfor -%}
            {%- do parts.append(ecommerce_segmentation.unreadable_file_rows(columns, unreadable, load_id, 'varchar')) -%}
        {%- endif -%}
        {%- set parts = parts | reject('none') | list -%}
        {%- if not parts -%}
            {%- set select_list = [] -%}
            {%- for column in columns -%}
                {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
            {%- endfor -%}
            {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
                {%- do select_list.append('cast(null as ' ~ duckdb_type ~ ') as ' ~ name) -%}
            {%- endfor -%}
            {%- set body = 'select ' ~ (select_list | join(', ')) ~ ' where false' -%}
        {%- else -%}
            {%- set body = parts | join('\nunion all by name\n') -%}
        {%- endif -%}
        {%- if found.files | length == 0 -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- elif found.layout == 'file' -%}
            {%- do loaded.append(table_name ~ ' (' ~ found.files[0].rel ~ (', no new file' if not files else '') ~ ')') -%}
        {%- else -%}
            {%- do loaded.append(table_name ~ ' (' ~ found.label ~ ': ' ~ (files | length) ~ ' of '
                ~ (found.files | length) ~ ' file(s), load ' ~ load_id ~ ')') -%}
        {%- endif -%}
        {%- if erased -%}
            {%- set body = 'select * from (\n' ~ body ~ '\n) as loaded\nwhere not (' ~ erased ~ ')' -%}
        {%- endif -%}
        {#- the same column order whatever the parts -#}
        {%- set ordered = [] -%}
        {%- for column in columns -%}
            {%- do ordered.append(column.name) -%}
        {%- endfor -%}
        {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
            {%- do ordered.append(name) -%}
        {%- endfor -%}
        {%- do run_query('create or replace view ' ~ raw_schema ~ '.' ~ table_name ~ ' as\nselect '
            ~ (ordered | join(', ')) ~ ' from (\n' ~ body ~ '\n) as raw_rows') -%}
    {%- endfor -%}
    {%- do run_query('drop table if exists temp._raw_listing') -%}
    {{ return(loaded) }}
{% endmacro %}


{#
    Every file under raw_dir, once per run, into temp._raw_listing (path,
    file_path: relative to raw_dir, size_bytes, modified_at, parts: the
    path's components, hidden: a component starts with _ or .).
#}
{% macro duckdb__list_raw_files(raw_dir) %}
    {%- set pattern = (raw_dir ~ '/**') | replace("'", "''") -%}
    {%- set prefix_length = (raw_dir | length) + 1 -%}
    {%- set count = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    {%- set sql -%}
        create or replace temp table _raw_listing as
        select
            filename as path,
            substr(filename, {{ prefix_length + 1 }}) as file_path,
            size as size_bytes,
            cast(last_modified as timestamp) as modified_at,
            string_split(substr(filename, {{ prefix_length + 1 }}), '/') as parts,
            list_bool_or(list_transform(string_split(substr(filename, {{ prefix_length + 1 }}), '/'),
                p -> starts_with(p, '_') or starts_with(p, '.'))) as hidden
        from
        {%- if count > 0 %}
            read_blob('{{ pattern }}')
        {%- else %}
            (select cast(null as varchar) as filename, cast(null as bigint) as size,
                cast(null as timestamp) as last_modified where false)
        {%- endif %}
    {%- endset -%}
    {%- do run_query(sql) -%}
{% endmacro %}


{#
    The files of one table, from temp._raw_listing: {layout: 'file' | 'folder'
    | none, label, files: [{path, rel, name, format: csv | parquet | unknown,
    size}]}, in path order. Stops the run when the table is given twice
    (<table>.csv and <table>.parquet, or a file and a folder) or a file is
    empty (0 bytes).
#}
{% macro duckdb__find_raw_files(raw_dir, table_name) %}
    {%- set sql -%}
        select path, file_path, size_bytes, len(parts) = 1 as is_top,
            case
                when lower(file_path) like '%.csv' then 'csv'
                when lower(file_path) like '%.parquet' then 'parquet'
                else 'unknown'
            end as format,
            parts[1] as top
        from temp._raw_listing
        where not hidden
            and ((len(parts) = 1 and lower(file_path) in ('{{ table_name }}.csv', '{{ table_name }}.parquet'))
                or (len(parts) > 1 and lower(parts[1]) = '{{ table_name }}'))
        order by file_path
    {%- endset -%}
    {%- set rows = run_query(sql) -%}
    {%- set singles = [] -%}
    {%- set folders = [] -%}
    {%- set files = [] -%}
    {%- for row in rows -%}
        {%- do files.append({'path': row['path'], 'rel': row['file_path'], 'name': row['file_path'].split('/')[-1],
            'format': row['format'], 'size': row['size_bytes']}) -%}
        {%- if row['is_top'] -%}
            {%- do singles.append(row['file_path']) -%}
        {%- elif (row['top'] ~ '/') not in folders -%}
            {%- do folders.append(row['top'] ~ '/') -%}
        {%- endif -%}
    {%- endfor -%}
    {#- named Parquet first, as in the error since issue #11 -#}
    {%- set ordered = [] -%}
    {%- for fmt in ['.parquet', '.csv'] -%}
        {%- for name in singles if (name | lower).endswith(fmt) -%}
            {%- do ordered.append(name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set singles = ordered -%}
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
    {{ return({'layout': layout, 'label': (singles + folders)[0] if files else '', 'files': files}) }}
{% endmacro %}


{#
    The Parquet files of a table as one select (one multi-file read_parquet,
    union_by_name), or none when none can be read. A file of a folder
    without the Parquet marks (PAR1 at its start and end) is appended to
    `unreadable` instead; a required column missing in one file stops the
    run naming that file.
#}
{% macro duckdb__parquet_select(files, layout, table_name, columns, meta, dialect, load_id, unreadable) %}
    {%- set readable = [] -%}
    {%- if layout == 'folder' -%}
        {%- set paths = [] -%}
        {%- for file in files -%}
            {%- do paths.append(ecommerce_segmentation.sql_string(file.path)) -%}
        {%- endfor -%}
        {%- set bad = [] -%}
        {%- for row in run_query("select filename from read_blob([" ~ (paths | join(', ')) ~ "]) "
                ~ "where octet_length(content) < 12 or hex(content[1:4]) <> '50415231' "
                ~ "or hex(content[-4:]) <> '50415231'") -%}
            {%- do bad.append(row[0]) -%}
        {%- endfor -%}
        {%- for file in files -%}
            {%- if file.path in bad -%}
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
    {%- set paths = [] -%}
    {%- for file in readable -%}
        {%- do paths.append(ecommerce_segmentation.sql_string(file.path)) -%}
    {%- endfor -%}
    {#- every file's own columns: a required column missing in one file is an error naming it -#}
    {%- set by_file = {} -%}
    {%- set file_columns = {} -%}
    {%- for row in run_query("select file_name, name from parquet_schema([" ~ (paths | join(', ')) ~ "]) "
            ~ "where coalesce(num_children, 0) = 0") -%}
        {%- do by_file.setdefault(row['file_name'], []).append(row['name']) -%}
        {%- set key = row['name'] | trim | lower -%}
        {%- if adapter.quote(row['name']) not in file_columns.setdefault(key, []) -%}
            {%- do file_columns[key].append(adapter.quote(row['name'])) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for file in readable -%}
        {%- set found_names = by_file.get(file.path, []) -%}
        {%- set keys = found_names | map('trim') | map('lower') | list -%}
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
    {%- set prefix_length = (readable[0].path | length) - (readable[0].rel | length) -%}
    {%- set select_list = [] -%}
    {%- for column in columns -%}
        {%- if column.name in file_columns -%}
            {%- set names = file_columns[column.name] -%}
            {%- set read = names[0] if names | length == 1 else 'coalesce(' ~ (names | join(', ')) ~ ')' -%}
            {%- do select_list.append(ecommerce_segmentation.dialect_value(
                'cast(' ~ read ~ ' as varchar)', column.contract_type, dialect) ~ ' as ' ~ column.name) -%}
        {%- else -%}
            {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do select_list.append('substr(filename, ' ~ (prefix_length + 1) ~ ') as _source_file') -%}
    {%- do select_list.append('cast(file_row_number + 1 as bigint) as _source_line') -%}
    {%- do select_list.append('cast(' ~ load_id ~ ' as bigint) as _load_id') -%}
    {%- if meta.get('record_time_column') and meta.record_time_column in file_columns -%}
        {%- set names = file_columns[meta.record_time_column] -%}
        {%- set read = names[0] if names | length == 1 else 'coalesce(' ~ (names | join(', ')) ~ ')' -%}
        {%- do select_list.append(ecommerce_segmentation.try_parse_timestamp(ecommerce_segmentation.dialect_value(
            'cast(' ~ read ~ ' as varchar)', 'timestamp', dialect)) ~ ' as _record_at') -%}
    {%- else -%}
        {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
    {%- endif -%}
    {%- do select_list.append('cast(null as varchar) as _load_error') -%}
    {%- do select_list.append('cast(null as varchar) as _rejected_record') -%}
    {%- do select_list.append('cast(null as varchar) as _unreadable_columns') -%}
    {{ return('select ' ~ (select_list | join(',\n    ')) ~ '\nfrom read_parquet([' ~ (paths | join(', '))
        ~ '], filename = true, file_row_number = true, union_by_name = true, hive_partitioning = false)') }}
{% endmacro %}


{#
    The CSV files of a table, read into <raw_schema>.<table>__csv_rows (records
    read) and <raw_schema>.<table>__rejected_lines (records that could not
    be read); returns the select of both. Files are grouped by their header
    (the same columns in the same order) and each group read by one
    multi-file read (duckdb__read_csv_group); a file with a quote left open
    is read again alone (duckdb__reread_open_quotes). A header row that
    cannot be decoded stops the run for a single-file table and makes the
    file unparseable:file in a folder; a required column missing from one
    file stops the run naming it.
#}
{% macro duckdb__load_csv_files(files, layout, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable) %}
    {%- do ecommerce_segmentation.duckdb__load_encoding(dialect, files[0]) -%}
    {%- set headers = ecommerce_segmentation.duckdb__csv_headers(files, dialect) -%}
    {%- set groups = {} -%}
    {%- set group_order = [] -%}
    {%- for file in files -%}
        {%- set header = headers[file.path] -%}
        {%- if header.bad -%}
            {%- if layout == 'file' -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ file.path ~ ": the header row (line 1) is not valid UTF-8. The raw data contract "
                    ~ "requires UTF-8 CSV files unless the folder's _dialect.yml says otherwise: re-export the file "
                    ~ "as UTF-8, or set its encoding (e.g. encoding: CP1250 for Windows-1250) in _dialect.yml.") }}
            {%- endif -%}
            {%- do unreadable.append({'rel': file.rel, 'problem': 'invalid_encoding',
                'message': 'the header row (line 1) cannot be decoded as ' ~ dialect.encoding
                    ~ ' (the encoding of _dialect.yml, default UTF-8)'}) -%}
        {%- else -%}
            {%- set keys = header.names | map('trim') | map('lower') | list -%}
            {%- set missing = [] -%}
            {%- for column in columns if column.name not in keys and not column.optional_column -%}
                {%- do missing.append(column.name) -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ file.path ~ " lacks the column(s) " ~ (missing | join(', '))
                    ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
                    ~ "Columns found: " ~ (header.names | join(', '))
                    ~ ecommerce_segmentation.delimiter_hint(header.names, dialect)) }}
            {%- endif -%}
            {%- set key = keys | join('\x1f') -%}
            {%- if key not in groups -%}
                {%- do groups.update({key: {'header': header.names, 'files': []}}) -%}
                {%- do group_order.append(key) -%}
            {%- endif -%}
            {%- do groups[key].files.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rows_relation = raw_schema ~ '.' ~ table_name ~ '__csv_rows' -%}
    {%- set rejected_relation = raw_schema ~ '.' ~ table_name ~ '__rejected_lines' -%}
    {%- set column_defs = [] -%}
    {%- for column in columns -%}
        {%- do column_defs.append(column.name ~ ' varchar') -%}
    {%- endfor -%}
    {%- for name, duckdb_type, spark_type in ecommerce_segmentation.raw_metadata_columns() -%}
        {%- do column_defs.append(name ~ ' ' ~ duckdb_type) -%}
    {%- endfor -%}
    {%- do run_query('create or replace table ' ~ rows_relation ~ ' (' ~ (column_defs | join(', ')) ~ '); '
        ~ 'create or replace table ' ~ rejected_relation ~ ' (source_file varchar, line bigint, load_error varchar, '
        ~ 'rejected_record varchar, is_open_quote boolean, first_line varchar, encoding_columns bigint[])') -%}
    {%- for key in group_order -%}
        {%- set group = groups[key] -%}
        {%- set select_list = ecommerce_segmentation.duckdb__csv_select_list(group.header, columns, meta, dialect, load_id) -%}
        {%- do ecommerce_segmentation.duckdb__read_csv_group(group.files, none, group.header, table_name, select_list,
            rows_relation, rejected_relation, erased, dialect, dialect.encoding) -%}
        {%- set reread = [] -%}
        {%- for row in run_query('select distinct source_file from ' ~ rejected_relation ~ ' where is_open_quote') -%}
            {%- do reread.append(row[0]) -%}
        {%- endfor -%}
        {%- for file in group.files if file.rel in reread -%}
            {%- do ecommerce_segmentation.duckdb__reread_open_quotes(file, group.header, table_name, raw_schema,
                select_list, rows_relation, rejected_relation, erased, dialect) -%}
        {%- endfor -%}
        {%- set rels = [] -%}
        {%- for file in group.files -%}
            {%- do rels.append(ecommerce_segmentation.sql_string(file.rel)) -%}
        {%- endfor -%}
        {%- set rejected = run_query('select count(*) from ' ~ rejected_relation ~ ' where source_file in ('
            ~ (rels | join(', ')) ~ ')').columns[0].values()[0] -%}
        {%- if rejected > 0 -%}
            {%- do ecommerce_segmentation.duckdb__stage_unreadable_optional_values(
                group.header, table_name, dialect, rows_relation, rejected_relation, select_list, erased,
                'source_file in (' ~ (rels | join(', ')) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for row in run_query('select source_file, count(*) from ' ~ rejected_relation ~ ' group by 1 order by 1') -%}
        {{- log('Raw file ' ~ row[0] ~ ': ' ~ row[1] ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endfor -%}
    {%- if not group_order -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set null_list = [] -%}
    {%- for column in columns -%}
        {%- do null_list.append('cast(null as varchar) as ' ~ column.name) -%}
    {%- endfor -%}
    {%- do null_list.append('source_file as _source_file') -%}
    {%- do null_list.append('line as _source_line') -%}
    {%- do null_list.append('cast(' ~ load_id ~ ' as bigint) as _load_id') -%}
    {%- do null_list.append('cast(null as timestamp) as _record_at') -%}
    {%- do null_list.append('load_error as _load_error') -%}
    {%- do null_list.append('rejected_record as _rejected_record') -%}
    {%- do null_list.append('cast(null as varchar) as _unreadable_columns') -%}
    {{ return('select * from ' ~ rows_relation ~ '\nunion all by name\nselect ' ~ (null_list | join(',\n    '))
        ~ '\nfrom ' ~ rejected_relation) }}
{% endmacro %}


{#
    The select list of a CSV read over positional columns c1..cN (N = fields
    in the header) and the columns _src_file and _src_line the read adds.
#}
{% macro duckdb__csv_select_list(header, columns, meta, dialect, load_id) %}
    {%- set file_columns = {} -%}
    {%- for name in header -%}
        {%- set key = name | trim | lower -%}
        {%- if key not in file_columns -%}
            {%- do file_columns.update({key: 'c' ~ loop.index}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set select_list = [] -%}
    {%- for column in columns -%}
        {%- if column.name in file_columns -%}
            {%- do select_list.append(ecommerce_segmentation.dialect_value(
                'cast(' ~ file_columns[column.name] ~ ' as varchar)', column.contract_type, dialect) ~ ' as ' ~ column.name) -%}
        {%- else -%}
            {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do select_list.append('_src_file as _source_file') -%}
    {%- do select_list.append('cast(_src_line as bigint) as _source_line') -%}
    {%- do select_list.append('cast(' ~ load_id ~ ' as bigint) as _load_id') -%}
    {%- if meta.get('record_time_column') and meta.record_time_column in file_columns -%}
        {%- do select_list.append(
            ecommerce_segmentation.try_parse_timestamp(ecommerce_segmentation.dialect_value(
                'cast(' ~ file_columns[meta.record_time_column] ~ ' as varchar)', 'timestamp', dialect))
            ~ ' as _record_at') -%}
    {%- else -%}
        {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
    {%- endif -%}
    {%- do select_list.append('cast(null as varchar) as _load_error') -%}
    {%- do select_list.append('cast(null as varchar) as _rejected_record') -%}
    {%- do select_list.append('cast(null as varchar) as _unreadable_columns') -%}
    {{ return(select_list) }}
{% endmacro %}


{#
    The header row of every CSV file, by one sequential scan of the files'
    lines: {path: {names: [...], bad: true when line 1 cannot be decoded}}
    (names: quotes and white space around each name removed).
#}
{% macro duckdb__csv_headers(files, dialect) %}
    {%- set paths = [] -%}
    {%- for file in files -%}
        {%- do paths.append(ecommerce_segmentation.sql_string(file.path)) -%}
    {%- endfor -%}
    {%- set previous_order = run_query("select current_setting('preserve_insertion_order')").columns[0].values()[0] -%}
    {%- set sql -%}
        drop table if exists temp._header_rejects;
        drop table if exists temp._header_scans;
        set preserve_insertion_order = true;
        create or replace temp table _header_lines as
        select filename, arg_min(header_line, n) as header_line
        from (
            select filename, header_line, row_number() over () as n
            from read_csv([{{ paths | join(', ') }}], header = false, auto_detect = false,
                columns = {'header_line': 'varchar'}, delim = '\x1f', quote = '', escape = '',
                encoding = {{ ecommerce_segmentation.sql_string(dialect.encoding) }},
                ignore_errors = true, strict_mode = false, parallel = false, filename = true,
                hive_partitioning = false, store_rejects = true,
                rejects_table = '_header_rejects', rejects_scan = '_header_scans')
        ) as lines
        group by filename;
        set preserve_insertion_order = {{ 'true' if previous_order else 'false' }};
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- set rows = run_query(
        "select files.path, lines.header_line, "
        ~ "exists (select 1 from temp._header_rejects as r inner join temp._header_scans as s "
        ~ "on r.scan_id = s.scan_id and r.file_id = s.file_id where r.line = 1 and s.file_path = files.path) as bad "
        ~ "from (select unnest([" ~ (paths | join(', ')) ~ "]) as path) as files "
        ~ "left join temp._header_lines as lines on lines.filename = files.path") -%}
    {%- do run_query('drop table if exists temp._header_rejects; drop table if exists temp._header_scans; '
        ~ 'drop table if exists temp._header_lines') -%}
    {%- set headers = {} -%}
    {%- for row in rows -%}
        {%- set names = [] -%}
        {%- for part in (row['header_line'] or '').lstrip('\ufeff').split(dialect.delimiter) -%}
            {%- do names.append(part.strip().strip(dialect.quote).strip()) -%}
        {%- endfor -%}
        {%- do headers.update({row['path']: {'names': names, 'bad': row['bad']}}) -%}
    {%- endfor -%}
    {{ return(headers) }}
{% endmacro %}


{#
    One read of CSV files with one header (files: [{path, rel}]) appended to
    rows_relation (the select_list over c1..cN, _src_file, _src_line) and
    rejected_relation (every record DuckDB cannot read: not in the encoding,
    bad quoting, too few or too many fields, a line over the size limit,
    with its quarantine reason and {line, problem, message, raw_line}). One
    scan fills both, so together they hold every record exactly once (a
    view would re-read the files and DuckDB checks the encoding only in the
    columns a query reads). read_path: read this file instead of the one
    file given (the copy of duckdb__blank_open_quotes), its rows named as
    the file. _src_line: the record number in the file, header = 1, counting
    the rejected records (whose line numbers DuckDB gives).
#}
{% macro duckdb__read_csv_group(files, read_path, header, table_name, select_list, rows_relation, rejected_relation,
    erased, dialect, encoding) %}
    {%- set quote = ecommerce_segmentation.sql_string(dialect.quote) -%}
    {%- set null_tokens = ["''"] if dialect.null_tokens else [] -%}
    {%- for token in dialect.null_tokens if token != '' -%}
        {%- do null_tokens.append(ecommerce_segmentation.sql_string(token)) -%}
    {%- endfor -%}
    {%- set paths = [] -%}
    {%- if read_path -%}
        {%- do paths.append(ecommerce_segmentation.sql_string(read_path)) -%}
        {%- set source_of = ecommerce_segmentation.sql_string(files[0].rel) -%}
        {%- set source_of_scan = source_of -%}
    {%- else -%}
        {%- for file in files -%}
            {%- do paths.append(ecommerce_segmentation.sql_string(file.path)) -%}
        {%- endfor -%}
        {%- set prefix_length = (files[0].path | length) - (files[0].rel | length) -%}
        {%- set source_of = 'substr(filename, ' ~ (prefix_length + 1) ~ ')' -%}
        {%- set source_of_scan = 'substr(file_path, ' ~ (prefix_length + 1) ~ ')' -%}
    {%- endif -%}
    {%- set fields = [] -%}
    {%- for i in range(1, (header | length) + 1) -%}
        {%- do fields.append("'c" ~ i ~ "': 'varchar'") -%}
    {%- endfor -%}
    {#- field position -> contract column, for the reason of a field that cannot be read -#}
    {%- set contract_names = ecommerce_segmentation.contract_columns(table_name) | map(attribute='name') | list -%}
    {%- set reason_cases = [] -%}
    {%- for name in header -%}
        {%- set key = name | trim | lower -%}
        {%- if key in contract_names -%}
            {%- do reason_cases.append("when 'c" ~ loop.index ~ "' then 'unparseable:" ~ key ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do reason_cases.append("else 'unparseable:csv_record'") -%}
    {%- set rejects = '_rejects_' ~ table_name -%}
    {%- set scans = '_reject_scans_' ~ table_name -%}
    {%- set previous_order = run_query("select current_setting('preserve_insertion_order')").columns[0].values()[0] -%}
    {%- set single = paths | length == 1 -%}
    {%- set reader -%}
        read_csv([{{ paths | join(', ') }}], header = true, auto_detect = false,
            columns = { {{- fields | join(', ') -}} },
            delim = {{ ecommerce_segmentation.sql_string(dialect.delimiter) }}, quote = {{ quote }}, escape = {{ quote }},
            encoding = {{ ecommerce_segmentation.sql_string(encoding) }},
            {%- if null_tokens %}
            nullstr = [{{ null_tokens | join(', ') }}],
            {%- endif %}
            filename = true, hive_partitioning = false,
            ignore_errors = true, store_rejects = true,
            rejects_table = '{{ rejects }}', rejects_scan = '{{ scans }}')
    {%- endset -%}
    {#- a record read after k records of its file, with i rejected before it, is record k + 1 + i (header = 1);
        one file: read straight into rows_relation (k = its row number), the few rows after a rejected
        record fixed afterwards; several files: k needs each file's first row, so through a temp table -#}
    {%- set sql -%}
        drop table if exists temp.{{ rejects }};
        drop table if exists temp.{{ scans }};
        set preserve_insertion_order = true;
        {%- if single %}
        insert into {{ rows_relation }} by name
        select * from (
            select
                {{ select_list | join(',\n                ') }}
            from (
                select *, {{ source_of }} as _src_file, row_number() over () + 1 as _src_line
                from {{ reader }}
            ) as records
        ) as records
        {%- if erased %}
        where not ({{ erased }})
        {%- endif %};
        {%- else %}
        create or replace temp table _csv_records as
        select *, {{ source_of }} as _src_file, row_number() over () as _n
        from {{ reader }};
        {%- endif %}
        set preserve_insertion_order = {{ 'true' if previous_order else 'false' }};
        create or replace temp table _csv_rejected as
        with errors as (
            select
                {{ source_of_scan }} as source_file,
                line,
                min(column_name) as column_name,
                min(error_type) as error_type,
                min(error_message) as error_message,
                min(csv_line) as csv_line,
                bool_or(error_type = 'UNQUOTED VALUE') as has_open_quote,
                bool_and(error_type = 'INVALID ENCODING') as only_encoding,
                list(distinct cast(column_idx as bigint)) as encoding_columns
            from temp.{{ rejects }} as rejects
            inner join temp.{{ scans }} as scans on rejects.scan_id = scans.scan_id and rejects.file_id = scans.file_id
            group by all
        )
        select
            source_file,
            cast(line as bigint) as line,
            case
                when error_type in ('INVALID ENCODING', 'UNQUOTED VALUE')
                    then case column_name
                        {{ reason_cases | join('\n                        ') }}
                    end
                else 'unparseable:csv_record'
            end as load_error,
            cast(to_json(struct_pack(
                line := line,
                problem := lower(replace(error_type, ' ', '_')),
                message := error_message,
                raw_line := csv_line
            )) as varchar) as rejected_record,
            -- a quote left open: the record runs on over the next lines (see duckdb__blank_open_quotes)
            has_open_quote and contains(csv_line, chr(10)) as is_open_quote,
            rtrim(split_part(csv_line, chr(10), 1), chr(13)) as first_line,
            -- every error of the record is a value not in the file's encoding: which fields (1 = first)
            case when only_encoding then encoding_columns end as encoding_columns
        from errors;
        -- records read from the k-th on come after `shift` rejected records of their file
        create or replace temp table _csv_shifts as
        select source_file, t, max(j) as shift
        from (
            select source_file, line - row_number() over (partition by source_file order by line) as t,
                row_number() over (partition by source_file order by line) as j
            from _csv_rejected
        ) as numbered
        group by all;
        {%- if single %}
        update {{ rows_relation }} as target
        set _source_line = fixed.new_line
        from (
            select records._source_line as old_line, records._source_line + shifts.shift as new_line
            from (
                select _source_line, _source_line - 1 as k
                from {{ rows_relation }}
                where _source_file = {{ ecommerce_segmentation.sql_string(files[0].rel) }}
            ) as records
            asof inner join _csv_shifts as shifts on records.k >= shifts.t
        ) as fixed
        where target._source_file = {{ ecommerce_segmentation.sql_string(files[0].rel) }}
            and target._source_line = fixed.old_line;
        {%- else %}
        insert into {{ rows_relation }} by name
        select * from (
            select
                {{ select_list | join(',\n                ') }}
            from (
                select records.*, records._k + 1 + coalesce(shifts.shift, 0) as _src_line
                from (
                    select r.*, r._n - firsts.first_n + 1 as _k
                    from _csv_records as r
                    inner join (
                        select _src_file as first_file, min(_n) as first_n from _csv_records group by 1
                    ) as firsts on r._src_file = firsts.first_file
                ) as records
                asof left join _csv_shifts as shifts
                    on records._src_file = shifts.source_file and records._k >= shifts.t
            ) as records
        ) as records
        {%- if erased %}
        where not ({{ erased }})
        {%- endif %};
        {%- endif %}
        insert into {{ rejected_relation }} by name select * from _csv_rejected;
        drop table if exists temp._csv_records;
        drop table if exists temp._csv_rejected;
        drop table if exists temp._csv_shifts;
        drop table if exists temp.{{ rejects }};
        drop table if exists temp.{{ scans }};
    {%- endset -%}
    {%- do run_query(sql) -%}
{% endmacro %}


{#
    A CSV file with a quote left open (is_open_quote in rejected_relation):
    its rows are taken out of both relations and it is read again alone,
    from a copy with the broken lines blanked (duckdb__blank_open_quotes),
    up to var max_open_quotes times, into the per-file tables
    <table>__open_quote_rows / __open_quote_rejected; then its rejected
    lines get their physical line (duckdb__recover_open_quotes) and both
    are appended back.
#}
{% macro duckdb__reread_open_quotes(file, header, table_name, raw_schema, select_list, rows_relation,
    rejected_relation, erased, dialect) %}
    {%- set rel = ecommerce_segmentation.sql_string(file.rel) -%}
    {%- set file_rows = raw_schema ~ '.' ~ table_name ~ '__open_quote_rows' -%}
    {%- set file_rejected = raw_schema ~ '.' ~ table_name ~ '__open_quote_rejected' -%}
    {%- set state = {'path': none, 'encoding': dialect.encoding, 'blanked': [], 'done': false} -%}
    {%- for attempt in range(ecommerce_segmentation.max_open_quotes() + 1) if not state.done -%}
        {%- if attempt == 0 -%}
            {%- do run_query('create or replace table ' ~ file_rows ~ ' as select * from ' ~ rows_relation
                ~ ' where _source_file = ' ~ rel ~ '; create or replace table ' ~ file_rejected
                ~ ' as select * from ' ~ rejected_relation ~ ' where source_file = ' ~ rel ~ '; '
                ~ 'delete from ' ~ rows_relation ~ ' where _source_file = ' ~ rel ~ '; '
                ~ 'delete from ' ~ rejected_relation ~ ' where source_file = ' ~ rel) -%}
        {%- else -%}
            {%- do run_query('delete from ' ~ file_rows ~ '; delete from ' ~ file_rejected) -%}
            {%- do ecommerce_segmentation.duckdb__read_csv_group([file], state.path, header, table_name, select_list,
                file_rows, file_rejected, erased, dialect, state.encoding) -%}
        {%- endif -%}
        {%- set open_quotes = run_query('select line, first_line from ' ~ file_rejected ~ ' where is_open_quote order by line') -%}
        {%- if open_quotes | length == 0 -%}
            {%- do state.update({'done': true}) -%}
        {%- elif attempt < ecommerce_segmentation.max_open_quotes() -%}
            {#- blank the broken lines in a UTF-8 copy of the file and read it again -#}
            {%- do state.update({'path': ecommerce_segmentation.duckdb__blank_open_quotes(
                file, table_name, dialect, open_quotes, state.blanked), 'encoding': 'utf-8'}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state.blanked -%}
        {%- do ecommerce_segmentation.duckdb__recover_open_quotes(file, state.path, file_rejected, state.blanked) -%}
    {%- endif -%}
    {%- do run_query('insert into ' ~ rows_relation ~ ' by name select * from ' ~ file_rows ~ '; '
        ~ 'insert into ' ~ rejected_relation ~ ' by name select * from ' ~ file_rejected ~ '; '
        ~ 'drop table if exists ' ~ file_rows ~ '; drop table if exists ' ~ file_rejected) -%}
{% endmacro %}


{#
    The folder's dialect file <raw_dir>/_dialect.yml, parsed and checked
    (macros/loading/dialect.sql), or none when there is none.
#}
{% macro duckdb__read_dialect(raw_dir) %}
    {%- set path = (raw_dir ~ '/_dialect.yml') | replace("'", "''") -%}
    {%- if run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = run_query("select content from read_text('" ~ path ~ "')").columns[0].values()[0] -%}
    {%- set dialect = ecommerce_segmentation.parse_dialect(text, raw_dir ~ '/_dialect.yml') -%}
    {{- log('Raw folder dialect from ' ~ raw_dir ~ '/_dialect.yml: ' ~ tojson(dialect), info=true) -}}
    {{ return(dialect) }}
{% endmacro %}


{#
    Encodings other than UTF-8, UTF-16 and Latin-1 (e.g. cp1250) need
    DuckDB's encodings extension. It comes from PyPI (package
    duckdb-extension-encodings, in requirements.txt) and is loaded by path:
    the env var DUCKDB_ENCODINGS_EXTENSION when set, else the file the
    package installs into the project's .venv, else an encodings extension
    DuckDB has installed itself. Nothing is downloaded.
#}
{% macro duckdb__load_encoding(dialect, raw_file) %}
    {%- if dialect.encoding in ('utf-8', 'utf-16', 'latin-1') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if run_query("select count(*) from duckdb_extensions() where extension_name = 'encodings' and loaded").columns[0].values()[0] > 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set candidates = [] -%}
    {%- set configured = env_var('DUCKDB_ENCODINGS_EXTENSION', '') | trim -%}
    {%- if configured -%}
        {%- do candidates.append(configured) -%}
    {%- else -%}
        {%- set version = run_query('select version()').columns[0].values()[0] -%}
        {%- set project = (flags.PROJECT_DIR or '.') | string -%}
        {%- set pattern = project ~ '/.venv/lib/python*/site-packages/duckdb_extension_encodings/extensions/'
            ~ version ~ '/encodings.duckdb_extension' -%}
        {%- for row in run_query("select file from glob('" ~ (pattern | replace("'", "''")) ~ "') order by file") -%}
            {%- do candidates.append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if candidates -%}
        {%- do run_query("load '" ~ (candidates[0] | replace("'", "''")) ~ "'") -%}
    {%- else -%}
        {%- set sql = "load encodings" -%}
        {%- set result = run_query("select count(*) from duckdb_extensions() where extension_name = 'encodings' and installed") -%}
        {%- if result.columns[0].values()[0] == 0 -%}
            {{ exceptions.raise_compiler_error(
                "Raw file " ~ raw_file.path ~ " is declared " ~ dialect.encoding ~ " in _dialect.yml, which needs "
                ~ "DuckDB's encodings extension: install the package duckdb-extension-encodings (requirements.txt) "
                ~ "into .venv, or set DUCKDB_ENCODINGS_EXTENSION to the path of encodings.duckdb_extension.") }}
        {%- endif -%}
        {%- do run_query(sql) -%}
    {%- endif -%}
{% endmacro %}


{#
    A value that is not in the file's encoding, in a column the contract does
    not require (issue #11 item 10): DuckDB rejects the whole record
    (INVALID ENCODING), but only that value is unreadable. For each rejected
    record whose every error is INVALID ENCODING, in fields that are neither
    a required contract column nor an identifier (a name ending in _id: an
    unreadable customer_id is not a guest order), and whose text (raw_line, each undecodable
    byte shown as '?') splits into exactly the header's number of RFC 4180
    fields: the record is staged, not quarantined. Its other fields are read
    as usual (the same select_list and erasure filter as the main read),
    those fields are null, and _unreadable_columns names their contract
    columns, comma separated (macro unreadable_columns merges it into the
    row's unreadable_columns). It moves from <table>__rejected_lines to
    <table>__csv_rows, so raw = staged + quarantined still holds. Returns
    the number of rejected records left.
#}
{% macro duckdb__stage_unreadable_optional_values(header, table_name, dialect, rows_relation, rejected_relation,
    select_list, erased='', file_filter='true') %}
    {%- set required = [] -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) if column.required -%}
        {%- do required.append(column.name) -%}
    {%- endfor -%}
    {%- set contract_names = ecommerce_segmentation.contract_columns(table_name) | map(attribute='name') | list -%}
    {%- set allowed = [] -%}
    {%- set names = [] -%}
    {%- for name in header -%}
        {%- set key = name | trim | lower -%}
        {#- an identifier that cannot be read is not a missing one (a customer_id would make a guest order) -#}
        {%- if key not in required and not key.endswith('_id') -%}
            {%- do allowed.append(loop.index) -%}
        {%- endif -%}
        {%- do names.append(ecommerce_segmentation.sql_string(key if key in contract_names else '')) -%}
    {%- endfor -%}
    {%- if not allowed -%}
        {{ return(run_query('select count(*) from ' ~ rejected_relation).columns[0].values()[0]) }}
    {%- endif -%}
    {%- set q = dialect.quote -%}
    {%- set d = dialect.delimiter -%}
    {%- set rq = ('\\' ~ q) if q in '.^$|?*+()[]{}\\' else q -%}
    {%- set rd = ('\\' ~ d) if d in '.^$|?*+()[]{}\\' else d -%}
    {%- set field = rq ~ '(?:[^' ~ rq ~ ']|' ~ rq ~ rq ~ ')*' ~ rq ~ '|[^' ~ rd ~ rq ~ ']*' -%}
    {%- set sql_q = ecommerce_segmentation.sql_string(q) -%}
    {%- set fields = [] -%}
    {%- for i in range(1, (header | length) + 1) -%}
        {%- do fields.append('case when list_contains(encoding_columns, ' ~ i ~ ') then null else fields[' ~ i ~ '] end as c' ~ i) -%}
    {%- endfor -%}
    {%- set flagged = "nullif(array_to_string(list_filter(list_transform(list_sort(encoding_columns), i -> ["
        ~ (names | join(', ')) ~ "][i]), x -> x <> ''), ','), '') as _unreadable_columns" -%}
    {%- set salvage_list = [] -%}
    {%- for item in select_list -%}
        {%- do salvage_list.append(flagged if item == 'cast(null as varchar) as _unreadable_columns' else item) -%}
    {%- endfor -%}
    {%- set sql -%}
        create or replace temp table _unreadable_records as
        select source_file, line, encoding_columns, fields
        from (
            select
                source_file,
                line,
                encoding_columns,
                regexp_full_match(raw_line, {{ ecommerce_segmentation.sql_string('(' ~ field ~ ')(' ~ rd ~ '(' ~ field ~ '))*') }})
                    as is_record,
                list_transform(
                    regexp_extract_all(raw_line || {{ ecommerce_segmentation.sql_string(d) }},
                        {{ ecommerce_segmentation.sql_string('(' ~ field ~ ')' ~ rd) }}, 1),
                    f -> case
                        when starts_with(f, {{ sql_q }})
                            then replace(substr(f, 2, length(f) - 2), {{ ecommerce_segmentation.sql_string(q ~ q) }}, {{ sql_q }})
                        else f
                    end
                ) as fields
            from (
                select source_file, line, encoding_columns, rtrim(rejected_record ->> 'raw_line', chr(13)) as raw_line
                from {{ rejected_relation }}
                where encoding_columns is not null and {{ file_filter }}
                    and list_has_all([{{ allowed | join(', ') }}], encoding_columns)
            ) as candidates
        ) as parsed
        where is_record and len(fields) = {{ header | length }};
        insert into {{ rows_relation }} by name
        select * from (
            select
                {{ salvage_list | join(',\n                ') }}
            from (
                select {{ fields | join(', ') }}, encoding_columns, source_file as _src_file, line as _src_line
                from _unreadable_records
            ) as records
        ) as records
        {%- if erased %}
        where not ({{ erased }})
        {%- endif %};
        delete from {{ rejected_relation }} as rejected
        where exists (select 1 from _unreadable_records as u where u.source_file = rejected.source_file and u.line = rejected.line);
        drop table if exists temp._unreadable_records;
    {%- endset -%}
    {%- do run_query(sql) -%}
    {{ return(run_query('select count(*) from ' ~ rejected_relation).columns[0].values()[0]) }}
{% endmacro %}


{# The most quotes left open that the loader recovers from in one file (each costs one more read). #}
{% macro max_open_quotes() %}
    {{ return(var('max_open_quotes', 20) | int) }}
{% endmacro %}


{#
    A quote left open (issue #11, item 5): in `O2,C2,"2025-01-11T10:00:00Z,delivered`
    the quote is never closed, so DuckDB's reader takes the following lines
    into that field, up to a later quote, and rejects it all as one record;
    the lines it swallowed are lost, and a legitimate quoted field after it
    (`O8,...,"Nowa<newline>Huta"`) is paired with the wrong quote. Only then
    (never for a file without such a record, so a clean file costs nothing
    more) duckdb__blank_open_quotes reads the file once as plain lines (no
    quoting, the dialect's encoding, one thread in file order) into
    temp._open_quote_lines (n: physical line, 1 = the header; line_text,
    null for a line that cannot be decoded), finds the physical line of each
    such record (its first line, by its text, at or after DuckDB's record
    number) and appends it to `blanked` (a list of physical line numbers),
    then writes a UTF-8 copy of the file with those lines (and lines that
    cannot be decoded) empty, beside the warehouse file
    (<warehouse>.<table>.open_quotes.csv). duckdb__load_csv reads that copy
    as CSV again, exactly as the file (a blank line is no record), so the
    lines after a broken line are records again, multi-line quoted fields
    included; a further open quote repeats this, up to var max_open_quotes
    (default 20) times. Returns the path of the copy.
#}
{% macro duckdb__blank_open_quotes(raw_file, table_name, dialect, open_quotes, blanked) %}
    {%- set source_path = raw_file.path | replace("'", "''") -%}
    {%- set copy_path = ((target.get('path') or 'warehouse/ecommerce.duckdb') ~ '.' ~ table_name ~ '.open_quotes.csv')
        | replace("'", "''") -%}
    {%- if not blanked -%}
        {%- set previous_order = run_query("select current_setting('preserve_insertion_order')").columns[0].values()[0] -%}
        {%- set sql -%}
            drop table if exists temp._open_quote_rejects;
            drop table if exists temp._open_quote_scans;
            set preserve_insertion_order = true;
            create or replace temp table _open_quote_read as
            select row_number() over () as k, line_text
            from read_csv('{{ source_path }}', header = false, auto_detect = false, columns = {'line_text': 'varchar'},
                delim = '\x1f', quote = '', escape = '', encoding = {{ ecommerce_segmentation.sql_string(dialect.encoding) }},
                strict_mode = false, parallel = false, ignore_errors = true, store_rejects = true,
                rejects_table = '_open_quote_rejects', rejects_scan = '_open_quote_scans');
            set preserve_insertion_order = {{ 'true' if previous_order else 'false' }};
            -- physical line numbers: a line that cannot be decoded is a gap in the rows read
            create or replace temp table _open_quote_lines as
            with bad as (
                select distinct line as n from temp._open_quote_rejects
            ),
            numbers as (
                select unnest(range(1, (select count(*) from _open_quote_read) + (select count(*) from bad) + 1)) as n
            ),
            good as (
                select n, row_number() over (order by n) as k from numbers where n not in (select n from bad)
            )
            select good.n, read.line_text from good inner join _open_quote_read as read on good.k = read.k
            union all
            select n, cast(null as varchar) as line_text from bad;
            drop table if exists temp._open_quote_read;
            drop table if exists temp._open_quote_rejects;
            drop table if exists temp._open_quote_scans;
        {%- endset -%}
        {%- do run_query(sql) -%}
    {%- endif -%}
    {%- for open_quote in open_quotes -%}
        {%- set found = run_query(
            'select coalesce(min(n), ' ~ open_quote[0] ~ ') from _open_quote_lines where n >= ' ~ open_quote[0]
            ~ ' and rtrim(line_text, chr(13)) = ' ~ ecommerce_segmentation.sql_string(open_quote[1] or '')
            ~ ((' and n not in (' ~ (blanked | join(', ')) ~ ')') if blanked else '')) -%}
        {%- set p = found.columns[0].values()[0] | int -%}
        {%- if p not in blanked -%}
            {%- do blanked.append(p) -%}
        {%- endif -%}
        {{- log('Raw file ' ~ raw_file.path ~ ': a quote opened on line ' ~ p ~ ' is never closed; that line is '
            ~ 'quarantined (unterminated_quote) and the lines after it are read again as CSV', info=true) -}}
    {%- endfor -%}
    {%- do run_query("copy (select string_agg(case when n in (" ~ (blanked | join(', '))
        ~ ") or line_text is null then '' else line_text end, chr(10) order by n) || chr(10) from _open_quote_lines) to '"
        ~ copy_path ~ "' (format csv, header false, quote '', escape '', delimiter '\\x1f')") -%}
    {{ return(copy_path) }}
{% endmacro %}


{#
    After duckdb__load_csv read the copy with the broken lines blanked: each
    blanked line is quarantined alone (unparseable:csv_record, problem
    unterminated_quote, raw_line = that line), and so is each line that
    cannot be decoded (problem invalid_encoding: the copy holds it empty).
    The other rejected records get their physical line, found by their text
    at or after DuckDB's record number. Every physical line stays accounted
    for: raw = staged + quarantined. In such a file every quarantined
    record's line number is its physical line (1 = the header); elsewhere it
    is DuckDB's, which counts records. The copy is then emptied (it held
    raw rows) and temp._open_quote_lines dropped.
#}
{% macro duckdb__recover_open_quotes(raw_file, copy_path, rejected_relation, blanked) %}
    {%- set source_file = ecommerce_segmentation.sql_string(raw_file.rel) -%}
    {%- set sql -%}
        update {{ rejected_relation }} as rejected
        set
            line = fixed.n,
            rejected_record = cast(json_merge_patch(rejected.rejected_record, json_object('line', fixed.n)) as varchar)
        from (
            select other.line as old_line, min(lines.n) as n
            from {{ rejected_relation }} as other
            inner join _open_quote_lines as lines
                on lines.n >= other.line and rtrim(lines.line_text, chr(13)) = other.first_line
            group by other.line
        ) as fixed
        where rejected.line = fixed.old_line;
        insert into {{ rejected_relation }} (source_file, line, load_error, rejected_record, is_open_quote, first_line)
        select
            {{ source_file }} as source_file,
            n as line,
            'unparseable:csv_record' as load_error,
            cast(to_json(struct_pack(
                line := n,
                problem := case when line_text is null then 'invalid_encoding' else 'unterminated_quote' end,
                message := case
                    when line_text is null then 'a line that cannot be decoded in the declared encoding'
                    else 'a quote opened on this line is never closed on it: the line is quarantined alone '
                        || 'and the lines after it are read again'
                end,
                raw_line := coalesce(rtrim(line_text, chr(13)), '')
            )) as varchar) as rejected_record,
            false as is_open_quote,
            rtrim(line_text, chr(13)) as first_line
        from _open_quote_lines
        where n in ({{ blanked | join(', ') }}) or line_text is null;
        drop table if exists temp._open_quote_lines;
        copy (select '' as emptied) to '{{ copy_path }}' (format csv, header false);
    {%- endset -%}
    {%- do run_query(sql) -%}
{% endmacro %}


{#
    The erasure list (right to be forgotten, ecomseg.gdpr): copies
    <erasure_dir>/erasure_list.csv into <raw_schema>._erasure_list (kind,
    value_hash: salted SHA-256 of an identifier, no personal data) and returns
    {'salt': ..., 'rows': n}, or none when there is no list. Stops the run
    when the list was written with another salt: its hashes would match
    nothing and erased customers would come back.
#}
{% macro duckdb__load_erasure_list(raw_dir, raw_schema) %}
    {%- set configured = (var('erasure_dir', '') or '') | string | trim -%}
    {%- set erasure_dir = configured.rstrip('/') if configured not in ('', 'none', 'None') else raw_dir ~ '/_erasure' -%}
    {%- set list_path = erasure_dir ~ '/erasure_list.csv' -%}
    {%- set quoted_path = list_path | replace("'", "''") -%}
    {%- do run_query('drop table if exists ' ~ raw_schema ~ '._erasure_list') -%}
    {%- if run_query("select count(*) from glob('" ~ quoted_path ~ "')").columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set salt = ecommerce_segmentation.erasure_salt() -%}
    {%- set fingerprint = ecommerce_segmentation.erasure_salt_fingerprint(salt) -%}
    {%- do run_query(
        "create table " ~ raw_schema ~ "._erasure_list as select kind, value_hash, salt_fingerprint "
        ~ "from read_csv('" ~ quoted_path ~ "', header = true, auto_detect = false, columns = "
        ~ "{'kind': 'varchar', 'value_hash': 'varchar', 'erasure_id': 'varchar', 'salt_fingerprint': 'varchar'})") -%}
    {{ return(ecommerce_segmentation.checked_erasure_list(raw_schema, list_path, salt, fingerprint)) }}
{% endmacro %}


{#
    The SQL condition that is true for a raw row of an erased customer, or
    '' when nothing is erased. var('erasure_identifiers') says, per table,
    which columns identify a person and whether they always do ("always") or
    only on rows without a customer_id ("anonymous": a visitor's or
    session's rows before the login). The hash matches ecomseg.gdpr.
#}
{% macro duckdb__erasure_predicate(table_name, columns, erasure, raw_schema) %}
    {%- if erasure is none or erasure.rows == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rules = (var('erasure_identifiers', {}) or {}).get(table_name, {}) or {} -%}
    {%- set names = columns | map(attribute='name') | list -%}
    {%- set always = [] -%}
    {%- set anonymous = [] -%}
    {%- for column, scope in rules.items() if column in names -%}
        {%- set term = "coalesce(" ~ ecommerce_segmentation.erasure_hash_sql(column, erasure.salt, column)
            ~ " in (select value_hash from " ~ raw_schema ~ "._erasure_list where kind = '" ~ column ~ "'), false)" -%}
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
    The salt of the erasure list: env ERASURE_SALT, else PSEUDONYMISATION_SALT,
    else the public development salt on a development target only (macro
    secret_salt).
#}
{% macro erasure_salt() %}
    {{ return(secret_salt(['ERASURE_SALT', 'PSEUDONYMISATION_SALT'])) }}
{% endmacro %}


{#
    checked_erasure_list: after an engine's loader has read the erasure list
    into <raw_schema>._erasure_list, stop the run when a row was written with
    another salt (its hashes would match nothing), else describe the list.
    Shared by the DuckDB and the Spark loader.
#}
{% macro checked_erasure_list(raw_schema, list_path, salt, fingerprint) %}
    {%- set other = run_query(
        "select count(*) from " ~ raw_schema ~ "._erasure_list where salt_fingerprint <> '" ~ fingerprint ~ "'"
        ).columns[0].values()[0] -%}
    {%- if other > 0 -%}
        {{ exceptions.raise_compiler_error(
            "The erasure list " ~ list_path ~ " was written with a different salt than the one set now "
            ~ "(ERASURE_SALT, else PSEUDONYMISATION_SALT): its hashes would match nothing and erased "
            ~ "customers would come back. Set the salt the list was written with (docs/privacy.md).") }}
    {%- endif -%}
    {%- set rows = run_query('select count(*) from ' ~ raw_schema ~ '._erasure_list').columns[0].values()[0] -%}
    {{ return({'salt': salt, 'rows': rows, 'path': list_path}) }}
{% endmacro %}


{# md5('ecomseg-erasure-salt|<salt>'), first 16 hex digits: tells two salts apart without revealing one. #}
{% macro erasure_salt_fingerprint(salt) %}
    {{ return(local_md5('ecomseg-erasure-salt|' ~ salt)[:16]) }}
{% endmacro %}


{#
    SQL for sha256('<salt>|<kind>|<value>') as lower-case hex, the value
    normalised by clean_text (the contract's text normalisation, as
    ecomseg.gdpr.clean / ecomseg.contract.normalise_text); null for a value
    that normalises to null. Must equal ecomseg.gdpr.value_hash of the
    normalised value.
#}
{% macro erasure_hash_sql(expression, salt, kind) %}
    {{- return(adapter.dispatch('erasure_hash_sql', 'ecommerce_segmentation')(expression, salt, kind)) -}}
{% endmacro %}

{% macro default__erasure_hash_sql(expression, salt, kind) %}
    {{- return("sha2('" ~ salt ~ "|" ~ kind ~ "|' || " ~ ecommerce_segmentation.clean_text(expression) ~ ", 256)") -}}
{% endmacro %}

{% macro duckdb__erasure_hash_sql(expression, salt, kind) %}
    {{- return("sha256('" ~ salt ~ "|" ~ kind ~ "|' || " ~ ecommerce_segmentation.clean_text(expression) ~ ")") -}}
{% endmacro %}
