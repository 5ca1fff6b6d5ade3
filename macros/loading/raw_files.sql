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
    | none, label, total (how many files the table has), files: [{path, rel,
    name, format: csv | parquet | unknown, size}]}, in path order. Stops the
    run when the table is given twice (<table>.csv and <table>.parquet, or a
    file and a folder) or a file is empty (0 bytes). For a table loaded
    incrementally (raw_table_is_incremental, not a --full-refresh), files
    leaves out the files already processed and unchanged (in
    <raw_schema>._file_manifest with the same size and modification time):
    they are not read again (select_new_files), so a batch costs its new files,
    not the table's history; the checks above still cover every file.
#}
{% macro duckdb__find_raw_files(raw_dir, table_name, listing) %}
    {%- set skip_processed = ecommerce_segmentation.raw_table_is_incremental(table_name) and not flags.FULL_REFRESH -%}
    {%- set manifest = var('raw_schema') ~ '._file_manifest' -%}
    {%- set sql -%}
        with table_files as (

            select path, file_path, size_bytes, modified_at, len(parts) = 1 as is_top,
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

        ),

        summary as (

            select
                count(*) as total_files,
                string_agg(distinct file_path, chr(10) order by file_path) filter (where is_top) as singles,
                string_agg(distinct top || '/', chr(10) order by top || '/') filter (where not is_top) as folders,
                min(path) filter (where size_bytes = 0) as empty_file
            from table_files

        )

        select
            null as path, null as file_path, null as size_bytes, null as format,
            summary.total_files, summary.singles, summary.folders, summary.empty_file, 0 as row_kind
        from summary
        union all
        select
            path, file_path, size_bytes, format,
            null, null, null, null, 1 as row_kind
        from table_files
        {%- if skip_processed %}
        where not exists (
            select 1 from {{ manifest }} as m
            where m.table_name = '{{ table_name }}' and m.file_path = table_files.file_path
                and m.size_bytes = table_files.size_bytes and m.modified_at = table_files.modified_at
        )
        {%- endif %}
        order by row_kind, file_path
    {%- endset -%}
    {%- set rows = run_query(sql) -%}
    {%- set summary = rows[0] -%}
    {%- set files = [] -%}
    {%- for row in rows if row['row_kind'] == 1 -%}
        {%- do files.append({'path': row['path'], 'rel': row['file_path'], 'name': row['file_path'].split('/')[-1],
            'format': row['format'], 'size': row['size_bytes']}) -%}
    {%- endfor -%}
    {%- set singles = summary['singles'].split('\n') if summary['singles'] else [] -%}
    {%- set folders = summary['folders'].split('\n') if summary['folders'] else [] -%}
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
    {%- if summary['empty_file'] is not none -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ summary['empty_file'] ~ " is empty (0 bytes). A CSV needs at least its header row; "
            ~ "a Parquet file its schema. Remove the file (an optional table without files is empty).") }}
    {%- endif -%}
    {%- set total = summary['total_files'] | int -%}
    {%- set layout = none if total == 0 else ('file' if singles else 'folder') -%}
    {{ return({'layout': layout, 'label': (singles + folders)[0] if total > 0 else '', 'total': total,
        'files': files}) }}
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
    {{ return({'layout': layout, 'label': label, 'folder': raw_dir ~ '/' ~ label.rstrip('/'), 'total': files | length,
        'files': files}) }}
{% endmacro %}


{#
    Every file under raw_dir, once per run, into temp._raw_listing (path,
    file_path: relative to raw_dir, size_bytes, modified_at, parts: the
    path's components, hidden: a component starts with _ or .). With
    tables (the loader passes var raw_tables_to_load: the real-time path
    loads events and sessions only), only the files of those tables: the
    file <table>.* and everything under the folder <table>/, names matched
    case-insensitively, so a micro-batch does not list the history of the
    tables it does not load.
#}
{% macro duckdb_list_raw_files(raw_dir, tables=none) %}
    {#- tables (var raw_tables_to_load, the real-time path): only those tables' files and folders,
        names matched case-insensitively ([eE][vV]...); none: every file under raw_dir -#}
    {%- set patterns = [] -%}
    {%- if tables is none -%}
        {%- do patterns.append(raw_dir ~ '/**') -%}
    {%- else -%}
        {%- for table_name in tables -%}
            {%- set cased = [] -%}
            {%- for letter in table_name | lower -%}
                {%- do cased.append(('[' ~ letter ~ (letter | upper) ~ ']') if letter.isalpha() else letter) -%}
            {%- endfor -%}
            {%- do patterns.append(raw_dir ~ '/' ~ (cased | join('')) ~ '/**') -%}
            {%- do patterns.append(raw_dir ~ '/' ~ (cased | join('')) ~ '.*') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for pattern in patterns -%}
        {%- do quoted.append("'" ~ (pattern | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- set pattern = '[' ~ (quoted | join(', ')) ~ ']' -%}
    {%- set prefix_length = (raw_dir | length) + 1 -%}
    {%- set count = run_query("select count(*) from glob(" ~ pattern ~ ")").columns[0].values()[0] -%}
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
            read_blob({{ pattern }})
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
