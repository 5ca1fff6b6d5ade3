{#
    load_raw_tables: run by on-run-start. For every table of the raw data
    contract it (re)creates the relation {{ var('raw_schema') }}.<table> over the
    file <raw_data_dir>/<table>.parquet or .csv:
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
        so raw rows = staged + quarantined still holds;
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
    {%- set loaded = [] -%}
    {%- for table_name in ecommerce_segmentation.contract_table_names() -%}
        {%- set meta = ecommerce_segmentation.contract_table_meta(table_name) -%}
        {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
        {%- set raw_file = ecommerce_segmentation.duckdb__find_raw_file(raw_dir, table_name) -%}
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
            {%- set body = 'select ' ~ (select_list | join(', ')) ~ ' where false' -%}
            {%- do loaded.append(table_name ~ ' (no file: empty)') -%}
        {%- else -%}
            {#- file_columns: lower-cased trimmed name -> the expression reading it -#}
            {%- set file_columns = {} -%}
            {%- set found_names = [] -%}
            {%- if raw_file.format == 'csv' -%}
                {%- set header = ecommerce_segmentation.duckdb__csv_header(raw_file) -%}
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
                    {%- do select_list.append('cast(' ~ file_columns[column.name] ~ ' as varchar) as ' ~ column.name) -%}
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
                    ~ "Columns found: " ~ (found_names | join(', '))) }}
            {%- endif -%}
            {%- do select_list.append("'" ~ raw_file.name ~ "' as _source_file") -%}
            {%- if meta.get('record_time_column') and meta.record_time_column in file_columns -%}
                {%- do select_list.append(
                    ecommerce_segmentation.try_parse_timestamp('cast(' ~ file_columns[meta.record_time_column] ~ ' as varchar)')
                    ~ ' as _record_at') -%}
            {%- else -%}
                {%- do select_list.append('cast(null as timestamp) as _record_at') -%}
            {%- endif -%}
            {%- do select_list.append('cast(null as varchar) as _load_error') -%}
            {%- do select_list.append('cast(null as varchar) as _rejected_record') -%}
            {%- if raw_file.format == 'csv' -%}
                {#- read once into a table, with the records DuckDB could not read kept as rows for the quarantine -#}
                {%- set tables = ecommerce_segmentation.duckdb__load_csv(raw_file, header, table_name, raw_schema, select_list,
                    ecommerce_segmentation.duckdb__erasure_predicate(table_name, columns, erasure, raw_schema)) -%}
                {%- do null_list.append("'" ~ raw_file.name ~ "' as _source_file") -%}
                {%- do null_list.append('cast(null as timestamp) as _record_at') -%}
                {%- do null_list.append('load_error as _load_error') -%}
                {%- do null_list.append('rejected_record as _rejected_record') -%}
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


{#
    The header row of a CSV file as a list of names (quotes and white space
    around each name removed). One sequential scan of the file's lines
    records which lines are not UTF-8: a header row that is not stops the
    run with an error naming the file (a data row that is not goes to the
    quarantine, see duckdb__load_csv).
#}
{% macro duckdb__csv_header(raw_file) %}
    {%- set path = raw_file.path | replace("'", "''") -%}
    {%- set lines = "read_csv('" ~ path ~ "', header = false, auto_detect = false, "
        ~ "columns = {'header_line': 'varchar'}, delim = '\\x1f', quote = '', escape = '', "
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
            ~ "requires UTF-8 CSV files: re-export the file as UTF-8.") }}
    {%- endif -%}
    {%- set rows = run_query("select header_line from " ~ lines ~ ") limit 1") -%}
    {%- set line = (rows.columns[0].values()[0] if rows | length > 0 else '') or '' -%}
    {%- set names = [] -%}
    {%- for part in line.lstrip('\ufeff').split(',') -%}
        {%- do names.append(part.strip().strip('"').strip()) -%}
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
{% macro duckdb__load_csv(raw_file, header, table_name, raw_schema, select_list, erased='') %}
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
    {%- set sql -%}
        drop table if exists temp.{{ rejects }};
        drop table if exists temp.{{ scans }};
        create or replace table {{ rows_relation }} as
        select * from (
            select
                {{ select_list | join(',\n                ') }}
            from read_csv('{{ path }}', header = true, auto_detect = false,
                columns = { {{- fields | join(', ') -}} },
                delim = ',', quote = '"', escape = '"',
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
                min(csv_line) as csv_line
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
            )) as varchar) as rejected_record
        from errors;
        drop table if exists temp.{{ rejects }};
        drop table if exists temp.{{ scans }};
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- set rejected = run_query('select count(*) from ' ~ rejected_relation).columns[0].values()[0] -%}
    {%- if rejected > 0 -%}
        {{- log('Raw file ' ~ raw_file.path ~ ': ' ~ rejected ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endif -%}
    {{ return({'rows': rows_relation, 'rejected': rejected_relation}) }}
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
