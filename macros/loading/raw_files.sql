{#
    The files of one table in the raw folder, as {layout ('file', 'folder' or none), label (the file or
    folder name), files: [{path, rel, name, size, modified, format}]} (Spark adds folder, the folder's
    full path). listing: the folder's files on Spark (spark_list_raw_files); none on DuckDB, which
    reads the temporary table _raw_listing (duckdb_list_raw_files). Stops the run for two files of one
    table or an empty (0-byte) file.
#}
{% macro find_raw_files(raw_dir, table_name, listing) %}
    {{- return(adapter.dispatch('find_raw_files', 'ecommerce_segmentation')(raw_dir, table_name, listing)) -}}
{% endmacro %}


{#
    The files of one table, from temp._raw_listing: {layout: 'file' | 'folder'
    | none, label, files: [{path, rel, name, format: csv | parquet | unknown,
    size}]}, in path order. Stops the run when the table is given twice
    (<table>.csv and <table>.parquet, or a file and a folder) or a file is
    empty (0 bytes).
#}
{% macro duckdb__find_raw_files(raw_dir, table_name, listing) %}
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
    Every file under raw_dir, once per run, into temp._raw_listing (path,
    file_path: relative to raw_dir, size_bytes, modified_at, parts: the
    path's components, hidden: a component starts with _ or .).
#}
{% macro duckdb_list_raw_files(raw_dir) %}
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
    Every file under `folder` (recursively; Spark skips names starting with _
    or .) as a list of {path, rel, name, size, modified}, through the external
    binaryFile table <raw_schema>.<listing_table> (dropped again). rel is the
    path relative to the folder. A folder that does not exist stops the run
    with Spark's PATH_NOT_FOUND.
#}
{% macro spark_list_raw_files(folder, raw_schema, listing_table) %}
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
