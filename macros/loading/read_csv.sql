{% macro csv_parts(files, found, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable, raw_dir) %}
    {{- return(adapter.dispatch('csv_parts', 'ecommerce_segmentation')(files, found, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable, raw_dir)) -}}
{% endmacro %}


{#
    The CSV files of a table, read into <raw_schema>.<table>__csv_rows (records
    read) and <raw_schema>.<table>__rejected_lines (records that could not
    be read); returns the select of both. Files are grouped by their header
    (the same columns in the same order) and each group read by one
    multi-file read (duckdb_read_csv_group); a file with a quote left open
    is read again alone (duckdb_reread_open_quotes). A header row that
    cannot be decoded stops the run for a single-file table and makes the
    file unparseable:file in a folder; a required column missing from one
    file stops the run naming it.
#}
{% macro duckdb__csv_parts(files, found, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable, raw_dir) %}
    {%- if not files -%}
        {#- copies of an earlier CSV load of this table -#}
        {%- do run_query('drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__csv_rows; '
            ~ 'drop table if exists ' ~ raw_schema ~ '.' ~ table_name ~ '__rejected_lines') -%}
        {{ return([]) }}
    {%- endif -%}
    {%- do ecommerce_segmentation.duckdb_load_encoding(dialect, files[0]) -%}
    {%- set headers = ecommerce_segmentation.duckdb_csv_headers(files, dialect) -%}
    {%- set groups = {} -%}
    {%- set group_order = [] -%}
    {%- for file in files -%}
        {%- set header = headers[file.path] -%}
        {%- if header.bad -%}
            {%- if found.layout == 'file' -%}
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
            {%- do ecommerce_segmentation.check_required_columns(file.path, table_name, columns, header.names, keys, dialect) -%}
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
        {%- set select_list = ecommerce_segmentation.duckdb_csv_select_list(group.header, columns, meta, dialect, load_id) -%}
        {%- do ecommerce_segmentation.duckdb_read_csv_group(group.files, none, group.header, table_name, select_list,
            rows_relation, rejected_relation, erased, dialect, dialect.encoding) -%}
        {%- set reread = [] -%}
        {%- for row in run_query('select distinct source_file from ' ~ rejected_relation ~ ' where is_open_quote') -%}
            {%- do reread.append(row[0]) -%}
        {%- endfor -%}
        {%- for file in group.files if file.rel in reread -%}
            {%- do ecommerce_segmentation.duckdb_reread_open_quotes(file, group.header, table_name, raw_schema,
                select_list, rows_relation, rejected_relation, erased, dialect) -%}
        {%- endfor -%}
        {%- set rels = [] -%}
        {%- for file in group.files -%}
            {%- do rels.append(ecommerce_segmentation.sql_string(file.rel)) -%}
        {%- endfor -%}
        {%- set rejected = run_query('select count(*) from ' ~ rejected_relation ~ ' where source_file in ('
            ~ (rels | join(', ')) ~ ')').columns[0].values()[0] -%}
        {%- if rejected > 0 -%}
            {%- do ecommerce_segmentation.duckdb_stage_unreadable_optional_values(
                group.header, table_name, dialect, rows_relation, rejected_relation, select_list, erased,
                'source_file in (' ~ (rels | join(', ')) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for row in run_query('select source_file, count(*) from ' ~ rejected_relation ~ ' group by 1 order by 1') -%}
        {{- log('Raw file ' ~ row[0] ~ ': ' ~ row[1] ~ ' record(s) could not be read as CSV; '
            ~ 'they are quarantined with reason unparseable:<column> or unparseable:csv_record', info=true) -}}
    {%- endfor -%}
    {%- if not group_order -%}
        {{ return([]) }}
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
    {{ return(['select * from ' ~ rows_relation ~ '\nunion all by name\nselect ' ~ (null_list | join(',\n    '))
        ~ '\nfrom ' ~ rejected_relation]) }}
{% endmacro %}


{#
    The CSV files of a table as a list of selects, one per header: every
    file's header is read alone (spark_file_column_names); a header that is
    not UTF-8 stops the run for a table given as one file and makes the file
    unparseable:file in a folder; a required column missing in one file
    stops the run. Each group is read by spark_load_csv into
    <table>__csv_rows (the first group) or <table>__csv_rows_<k>.
#}
{% macro spark__csv_parts(files, found, table_name, raw_schema, columns, meta, dialect, erased, load_id, unreadable, raw_dir) %}
    {%- if not files -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set file_table = raw_schema ~ '.' ~ table_name ~ '__file' -%}
    {%- set groups = {} -%}
    {%- set group_order = [] -%}
    {%- for file in files -%}
        {%- set header = ecommerce_segmentation.spark_file_column_names(file_table, file, dialect) -%}
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
            {%- do ecommerce_segmentation.check_required_columns(file.path, table_name, columns, header, keys, dialect) -%}
            {%- set key = keys | join('\x1f') -%}
            {%- if key not in groups -%}
                {%- do groups.update({key: {'header': header, 'keys': keys, 'files': []}}) -%}
                {%- do group_order.append(key) -%}
            {%- endif -%}
            {%- do groups[key].files.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set is_folder = found.layout == 'folder' -%}
    {%- set rel_sql = ecommerce_segmentation.spark_relative_path_sql(raw_dir) if is_folder
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
        {%- do ecommerce_segmentation.spark_load_csv(source, group.header, table_name, raw_schema,
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
                {%- set value = ecommerce_segmentation.spark_null_tokens(
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
