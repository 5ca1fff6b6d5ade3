{% macro parquet_select(files, found, table_name, raw_schema, columns, meta, dialect, load_id, unreadable, raw_dir) %}
    {{- return(adapter.dispatch('parquet_select', 'ecommerce_segmentation')(files, found, table_name, raw_schema, columns, meta, dialect, load_id, unreadable, raw_dir)) -}}
{% endmacro %}


{#
    The Parquet files of a table as one select (one multi-file read_parquet,
    union_by_name), or none when none can be read. A file of a folder
    without the Parquet marks (PAR1 at its start and end) is appended to
    `unreadable` instead; a required column missing in one file stops the
    run naming that file.
#}
{% macro duckdb__parquet_select(files, found, table_name, raw_schema, columns, meta, dialect, load_id, unreadable, raw_dir) %}
    {%- set readable = [] -%}
    {%- if found.layout == 'folder' -%}
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
        {%- do ecommerce_segmentation.check_required_columns(file.path, table_name, columns, found_names, keys) -%}
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
            ~ ecommerce_segmentation.spark_path_options(found.folder, 'parquet', true) ~ ')') -%}
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
        {%- set found_names = ecommerce_segmentation.spark_file_column_names(file_table, file, dialect) -%}
        {%- set keys = [] -%}
        {%- for name in found_names -%}
            {%- set key = name | trim | lower -%}
            {%- do keys.append(key) -%}
            {%- if key not in file_columns -%}
                {%- do file_columns.update({key: '`' ~ (name | replace('`', '``')) ~ '`'}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do ecommerce_segmentation.check_required_columns(file.path, table_name, columns, found_names, keys) -%}
    {%- endfor -%}
    {%- set source = raw_schema ~ '.' ~ table_name ~ '__parquet' -%}
    {%- set is_folder = found.layout == 'folder' -%}
    {%- do adapter.execute('create table ' ~ source ~ ' using parquet options ('
        ~ ecommerce_segmentation.spark_path_options(found.folder if is_folder else readable[0].path, 'parquet', is_folder)
        ~ (", mergeSchema 'true', ignoreCorruptFiles 'true'" if is_folder else '') ~ ')') -%}
    {%- set rel_sql = ecommerce_segmentation.spark_relative_path_sql(raw_dir) if is_folder
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
