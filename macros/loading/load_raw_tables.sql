{#
    load_raw_tables: run by on-run-start. For every table of the raw data
    contract it (re)creates the relation {{ var('raw_schema') }}.<table> over the
    file <raw_data_dir>/<table>.parquet or .csv (the file name matched
    case-insensitively: Orders.csv, ORDERS.PARQUET):
      - every contract column as text, matched case-insensitively; a column
        the contract marks optional and the file lacks is all null; extra
        columns are ignored;
      - _source_file (the file name) and _record_at (the table's record time,
        parsed, used for source freshness);
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
      - _unreadable_columns: null, except for a CSV record whose only fault
        is a value not in the file's encoding in optional, non-identifier
        columns: it is read with those values null, named here, comma
        separated (duckdb__stage_unreadable_optional_values);
      - the folder's _dialect.yml (macros/loading/dialect.sql) sets the CSV
        delimiter, quote, encoding and null tokens, and turns decimal commas
        and dates in the shop's format into the contract's canonical text;
      - rows of erased customers are left out: the erasure list
        (<erasure_dir>/erasure_list.csv, written by scripts/forget_customer.py,
        salted hashes only) is copied to {{ var('raw_schema') }}._erasure_list and
        every raw relation filters the identifiers in var('erasure_identifiers');
      - a missing optional file gives an empty relation; a missing required
        file, a required column missing from a file, an empty (0-byte) file,
        two files for one table or an erasure list written with a different
        salt stop the run with an error naming the file.
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
    {%- set erasure = ecommerce_segmentation.duckdb__load_erasure_list(raw_dir, raw_schema) -%}
    {%- set dialect_file = ecommerce_segmentation.duckdb__read_dialect(raw_dir) -%}
    {%- set loaded = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set raw_file = ecommerce_segmentation.duckdb__find_raw_file(raw_dir, table_name) -%}
        {%- set dialect = ecommerce_segmentation.table_dialect(dialect_file, table_name) -%}
        {%- if raw_file is none or raw_file.format != 'csv' -%}
            {#- copies of an earlier CSV load of this table -#}
            {%- do run_query('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__csv_rows; '
                ~ 'drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__rejected_lines') -%}
        {%- endif -%}
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
            {%- do select_list.append('cast(null as varchar) as _load_error') -%}
            {%- do select_list.append('cast(null as varchar) as _rejected_record') -%}
            {%- do select_list.append('cast(null as varchar) as _unreadable_columns') -%}
            {%- set body = 'select ' ~ (select_list | join(', ')) ~ ' where false' -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- else -%}
            {#- file_columns: lower-cased trimmed name -> the expression reading it -#}
            {%- set file_columns = {} -%}
            {%- set found_names = [] -%}
            {%- if raw_file.format == 'csv' -%}
                {%- do ecommerce_segmentation.duckdb__load_encoding(dialect, raw_file) -%}
                {%- set header = ecommerce_segmentation.duckdb__csv_header(raw_file, dialect) -%}
                {%- for name in header -%}
                    {%- set key = name | trim | lower -%}
                    {%- do found_names.append(name) -%}
                    {%- if key not in file_columns -%}
                        {%- do file_columns.update({key: 'c' ~ loop.index}) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- else -%}
                {%- set reader = ecommerce_segmentation.duckdb__raw_reader(raw_file) -%}
                {%- for row in run_query('describe select * from ' ~ reader) -%}
                    {%- set key = row['column_name'] | trim | lower -%}
                    {%- do found_names.append(row['column_name']) -%}
                    {%- if key not in file_columns -%}
                        {%- do file_columns.update({key: adapter.quote(row['column_name'])}) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
            {%- set missing = [] -%}
            {%- set select_list = [] -%}
            {%- set null_list = [] -%}
            {%- for column in columns -%}
                {%- if column.name in file_columns -%}
                    {%- do select_list.append(ecommerce_segmentation.dialect_value(
                    'cast(' ~ file_columns[column.name] ~ ' as varchar)', column.contract_type, dialect) ~ ' as ' ~ column.name) -%}
                {%- elif column.optional_column -%}
                    {%- do select_list.append('cast(null as varchar) as ' ~ column.name) -%}
                {%- else -%}
                    {%- do missing.append(column.name) -%}
                {%- endif -%}
                {%- do null_list.append('cast(null as varchar) as ' ~ column.name) -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file " ~ raw_file.path ~ " lacks the column(s) " ~ (missing | join(', '))
                    ~ " that the raw data contract requires for table '" ~ table_name ~ "'. "
                    ~ "Columns found: " ~ (found_names | join(', '))
                    ~ ecommerce_segmentation.delimiter_hint(found_names, dialect)) }}
            {%- endif -%}
            {%- do select_list.append("'" ~ raw_file.name ~ "' as _source_file") -%}
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
            {%- if raw_file.format == 'csv' -%}
                {#- read once into a table, with the records DuckDB could not read kept as rows for the quarantine -#}
                {%- set tables = ecommerce_segmentation.duckdb__load_csv(raw_file, header, table_name, raw_schema, select_list,
                    ecommerce_segmentation.duckdb__erasure_predicate(table_name, columns, erasure, raw_schema), dialect) -%}
                {%- do null_list.append("'" ~ raw_file.name ~ "' as _source_file") -%}
                {%- do null_list.append('cast(null as timestamp) as _record_at') -%}
                {%- do null_list.append('load_error as _load_error') -%}
                {%- do null_list.append('rejected_record as _rejected_record') -%}
                {%- do null_list.append('cast(null as varchar) as _unreadable_columns') -%}
                {%- set body = 'select * from ' ~ tables.rows ~ '\nunion all\nselect ' ~ (null_list | join(',\n    '))
                    ~ '\nfrom ' ~ tables.rejected -%}
            {%- else -%}
                {%- set body = 'select ' ~ (select_list | join(',\n    ')) ~ '\nfrom ' ~ reader -%}
            {%- endif -%}
            {%- do loaded.append(table_name ~ ' (' ~ raw_file.name ~ ')') -%}
        {%- endif -%}
        {%- set erased = ecommerce_segmentation.duckdb__erasure_predicate(table_name, columns, erasure, raw_schema) -%}
        {%- if erased -%}
            {%- set body = 'select * from (\n' ~ body ~ '\n) as loaded\nwhere not (' ~ erased ~ ')' -%}
        {%- endif -%}
        {%- do run_query('create or replace view ' ~ raw_schema ~ '.' ~ table_name ~ ' as\n' ~ body) -%}
    {%- endfor -%}
    {{ return(loaded) }}
{% endmacro %}


{#
    The one file for a table, as {path, name, format}, or none. The file name
    matches case-insensitively (Orders.csv, ORDERS.PARQUET are the orders
    table); name is the file's own name.
#}
{% macro duckdb__find_raw_file(raw_dir, table_name) %}
    {%- set found = [] -%}
    {%- set pattern = (raw_dir ~ '/*') | replace("'", "''") -%}
    {%- set listing = run_query("select file, parse_filename(file) as name from glob('" ~ pattern ~ "') order by file") -%}
    {%- for fmt in ['parquet', 'csv'] -%}
        {%- for row in listing if (row['name'] | lower) == table_name ~ '.' ~ fmt -%}
            {%- do found.append({'path': row['file'], 'name': row['name'], 'format': fmt}) -%}
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


{% macro duckdb__raw_reader(raw_file) %}
    {%- set path = raw_file.path | replace("'", "''") -%}
    {%- if raw_file.format == 'parquet' -%}
        {{ return("read_parquet('" ~ path ~ "')") }}
    {%- else -%}
        {{ return("read_csv('" ~ path ~ "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')") }}
    {%- endif -%}
{% endmacro %}


{#
    The header row of a CSV file as a list of names (quotes and white space
    around each name removed). One sequential scan of the file's lines
    records which lines are not UTF-8: a header row that is not stops the
    run with an error naming the file (a data row that is not goes to the
    quarantine, see duckdb__load_csv).
#}
{% macro duckdb__csv_header(raw_file, dialect) %}
    {%- set path = raw_file.path | replace("'", "''") -%}
    {%- set lines = "read_csv('" ~ path ~ "', header = false, auto_detect = false, "
        ~ "columns = {'header_line': 'varchar'}, delim = '\\x1f', quote = '', escape = '', "
        ~ "encoding = " ~ ecommerce_segmentation.sql_string(dialect.encoding) ~ ", "
        ~ "ignore_errors = true, strict_mode = false, parallel = false" -%}
    {%- set sql -%}
        drop table if exists temp._header_rejects;
        drop table if exists temp._header_scans;
        create or replace temp table _header_lines as
            select count(header_line) as lines
            from {{ lines }}, store_rejects = true, rejects_table = '_header_rejects', rejects_scan = '_header_scans');
        create or replace temp table _header_check as
            select count(*) as rejected from temp._header_rejects where line = 1;
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- set header_rejected = run_query('select rejected from temp._header_check').columns[0].values()[0] -%}
    {%- do run_query('drop table if exists temp._header_rejects; drop table if exists temp._header_scans; '
        ~ 'drop table if exists temp._header_lines; drop table if exists temp._header_check') -%}
    {%- if header_rejected > 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ raw_file.path ~ ": the header row (line 1) is not valid UTF-8. The raw data contract "
            ~ "requires UTF-8 CSV files unless the folder's _dialect.yml says otherwise: re-export the file "
            ~ "as UTF-8, or set its encoding (e.g. encoding: CP1250 for Windows-1250) in _dialect.yml.") }}
    {%- endif -%}
    {%- set rows = run_query("select header_line from " ~ lines ~ ") limit 1") -%}
    {%- set line = (rows.columns[0].values()[0] if rows | length > 0 else '') or '' -%}
    {%- set names = [] -%}
    {%- for part in line.lstrip('\ufeff').split(dialect.delimiter) -%}
        {%- do names.append(part.strip().strip(dialect.quote).strip()) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{#
    A CSV file, read once: its records as text columns go to the table
    <raw_schema>.<table>__csv_rows (select_list over positional columns c1..cN,
    N = fields in the header; no type sniffing), and every record DuckDB
    cannot read (not UTF-8, bad quoting, too few or too many fields, a line
    over the size limit) to <raw_schema>.<table>__rejected_lines with its
    quarantine reason and {line, problem, message, raw_line}. One scan fills
    both, so together they hold every record of the file exactly once (a
    view would re-read the file and DuckDB checks UTF-8 only in the columns
    a query reads, so the rows a view returns could depend on the query).
    Returns {'rows': relation, 'rejected': relation}.
#}
{% macro duckdb__load_csv(raw_file, header, table_name, raw_schema, select_list, erased='', dialect=none) %}
    {%- set dialect = dialect or ecommerce_segmentation.table_dialect(none, table_name) -%}
    {%- set quote = ecommerce_segmentation.sql_string(dialect.quote) -%}
    {%- set null_tokens = ["''"] if dialect.null_tokens else [] -%}
    {%- for token in dialect.null_tokens if token != '' -%}
        {%- do null_tokens.append(ecommerce_segmentation.sql_string(token)) -%}
    {%- endfor -%}
    {%- set path = raw_file.path | replace("'", "''") -%}
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
    {%- set rows_relation = raw_schema ~ '.' ~ table_name ~ '__csv_rows' -%}
    {%- set rejected_relation = raw_schema ~ '.' ~ table_name ~ '__rejected_lines' -%}
    {#- state.path / state.encoding: the file read; after an open quote, a copy with the broken lines blanked -#}
    {%- set state = {'path': path, 'encoding': dialect.encoding, 'blanked': [], 'done': false} -%}
    {%- for attempt in range(ecommerce_segmentation.max_open_quotes() + 1) if not state.done -%}
    {%- set sql -%}
        drop table if exists temp.{{ rejects }};
        drop table if exists temp.{{ scans }};
        create or replace table {{ rows_relation }} as
        select * from (
            select
                {{ select_list | join(',\n                ') }}
            from read_csv('{{ state.path }}', header = true, auto_detect = false,
                columns = { {{- fields | join(', ') -}} },
                delim = {{ ecommerce_segmentation.sql_string(dialect.delimiter) }}, quote = {{ quote }}, escape = {{ quote }},
                encoding = {{ ecommerce_segmentation.sql_string(state.encoding) }},
                {%- if null_tokens %}
                nullstr = [{{ null_tokens | join(', ') }}],
                {%- endif %}
                ignore_errors = true, store_rejects = true,
                rejects_table = '{{ rejects }}', rejects_scan = '{{ scans }}')
        ) as records
        {%- if erased %}
        where not ({{ erased }})
        {%- endif %};
        create or replace table {{ rejected_relation }} as
        with errors as (
            select
                line,
                min(column_name) as column_name,
                min(error_type) as error_type,
                min(error_message) as error_message,
                min(csv_line) as csv_line,
                bool_or(error_type = 'UNQUOTED VALUE') as has_open_quote,
                bool_and(error_type = 'INVALID ENCODING') as only_encoding,
                list(distinct cast(column_idx as bigint)) as encoding_columns
            from temp.{{ rejects }}
            group by line
        )
        select
            line,
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
        drop table if exists temp.{{ rejects }};
        drop table if exists temp.{{ scans }};
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- set open_quotes = run_query('select line, first_line from ' ~ rejected_relation ~ ' where is_open_quote order by line') -%}
    {%- if open_quotes | length == 0 -%}
        {%- do state.update({'done': true}) -%}
    {%- elif attempt < ecommerce_segmentation.max_open_quotes() -%}
        {#- blank the broken lines in a UTF-8 copy of the file and read it again -#}
        {%- do state.update({'path': ecommerce_segmentation.duckdb__blank_open_quotes(
            raw_file, table_name, dialect, open_quotes, state.blanked), 'encoding': 'utf-8'}) -%}
    {%- endif -%}
    {%- endfor -%}
    {%- if state.blanked -%}
        {%- do ecommerce_segmentation.duckdb__recover_open_quotes(raw_file, state.path, rejected_relation, state.blanked) -%}
    {%- endif -%}
    {%- set rejected = run_query('select count(*) from ' ~ rejected_relation).columns[0].values()[0] -%}
    {%- if rejected > 0 -%}
        {%- set rejected = ecommerce_segmentation.duckdb__stage_unreadable_optional_values(
            header, table_name, dialect, rows_relation, rejected_relation, select_list, erased) -%}
    {%- endif -%}
    {%- if rejected > 0 -%}
        {{- log('Raw file ' ~ raw_file.path ~ ': ' ~ rejected ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endif -%}
    {{ return({'rows': rows_relation, 'rejected': rejected_relation}) }}
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
    select_list, erased='') %}
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
        select line, encoding_columns, fields
        from (
            select
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
                select line, encoding_columns, rtrim(rejected_record ->> 'raw_line', chr(13)) as raw_line
                from {{ rejected_relation }}
                where encoding_columns is not null
                    and list_has_all([{{ allowed | join(', ') }}], encoding_columns)
            ) as candidates
        ) as parsed
        where is_record and len(fields) = {{ header | length }};
        insert into {{ rows_relation }}
        select * from (
            select
                {{ salvage_list | join(',\n                ') }}
            from (
                select {{ fields | join(', ') }}, encoding_columns from _unreadable_records
            ) as records
        ) as records
        {%- if erased %}
        where not ({{ erased }})
        {%- endif %};
        delete from {{ rejected_relation }} where line in (select line from _unreadable_records);
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
        insert into {{ rejected_relation }} (line, load_error, rejected_record, is_open_quote, first_line)
        select
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
