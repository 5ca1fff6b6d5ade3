{#
    The select list of a CSV read over positional columns c1..cN (N = fields
    in the header) and the columns _src_file and _src_line the read adds.
#}
{% macro duckdb_csv_select_list(header, columns, meta, dialect, load_id) %}
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
{% macro duckdb_csv_headers(files, dialect) %}
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
    file given (the copy of duckdb_blank_open_quotes), its rows named as
    the file. _src_line: the record number in the file, header = 1, counting
    the rejected records (whose line numbers DuckDB gives).
#}
{% macro duckdb_read_csv_group(files, read_path, header, table_name, select_list, rows_relation, rejected_relation,
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
            -- a quote left open: the record runs on over the next lines (see duckdb_blank_open_quotes)
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
    from a copy with the broken lines blanked (duckdb_blank_open_quotes),
    up to var max_open_quotes times, into the per-file tables
    <table>__open_quote_rows / __open_quote_rejected; then its rejected
    lines get their physical line (duckdb_recover_open_quotes) and both
    are appended back.
#}
{% macro duckdb_reread_open_quotes(file, header, table_name, raw_schema, select_list, rows_relation,
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
            {%- do ecommerce_segmentation.duckdb_read_csv_group([file], state.path, header, table_name, select_list,
                file_rows, file_rejected, erased, dialect, state.encoding) -%}
        {%- endif -%}
        {%- set open_quotes = run_query('select line, first_line from ' ~ file_rejected ~ ' where is_open_quote order by line') -%}
        {%- if open_quotes | length == 0 -%}
            {%- do state.update({'done': true}) -%}
        {%- elif attempt < ecommerce_segmentation.max_open_quotes() -%}
            {#- blank the broken lines in a UTF-8 copy of the file and read it again -#}
            {%- do state.update({'path': ecommerce_segmentation.duckdb_blank_open_quotes(
                file, table_name, dialect, open_quotes, state.blanked), 'encoding': 'utf-8'}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if state.blanked -%}
        {%- do ecommerce_segmentation.duckdb_recover_open_quotes(file, state.path, file_rejected, state.blanked) -%}
    {%- endif -%}
    {%- do run_query('insert into ' ~ rows_relation ~ ' by name select * from ' ~ file_rows ~ '; '
        ~ 'insert into ' ~ rejected_relation ~ ' by name select * from ' ~ file_rejected ~ '; '
        ~ 'drop table if exists ' ~ file_rows ~ '; drop table if exists ' ~ file_rejected) -%}
{% endmacro %}


{#
    Encodings other than UTF-8, UTF-16 and Latin-1 (e.g. cp1250) need
    DuckDB's encodings extension. It comes from PyPI (package
    duckdb-extension-encodings, in requirements.txt) and is loaded by path:
    the env var DUCKDB_ENCODINGS_EXTENSION when set, else the file the
    package installs into the project's .venv, else an encodings extension
    DuckDB has installed itself. Nothing is downloaded.
#}
{% macro duckdb_load_encoding(dialect, raw_file) %}
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
{% macro duckdb_stage_unreadable_optional_values(header, table_name, dialect, rows_relation, rejected_relation,
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
    more) duckdb_blank_open_quotes reads the file once as plain lines (no
    quoting, the dialect's encoding, one thread in file order) into
    temp._open_quote_lines (n: physical line, 1 = the header; line_text,
    null for a line that cannot be decoded), finds the physical line of each
    such record (its first line, by its text, at or after DuckDB's record
    number) and appends it to `blanked` (a list of physical line numbers),
    then writes a UTF-8 copy of the file with those lines (and lines that
    cannot be decoded) empty, beside the warehouse file
    (<warehouse>.<table>.open_quotes.csv). duckdb__csv_parts reads that copy
    as CSV again, exactly as the file (a blank line is no record), so the
    lines after a broken line are records again, multi-line quoted fields
    included; a further open quote repeats this, up to var max_open_quotes
    (default 20) times. Returns the path of the copy.
#}
{% macro duckdb_blank_open_quotes(raw_file, table_name, dialect, open_quotes, blanked) %}
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
    After duckdb__csv_parts read the copy with the broken lines blanked: each
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
{% macro duckdb_recover_open_quotes(raw_file, copy_path, rejected_relation, blanked) %}
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
