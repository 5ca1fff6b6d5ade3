{#
    The file manifest (issue #12, "Incremental: a new batch costs the batch").

    <raw_schema>._file_manifest holds one row per file of a table loaded
    incrementally that a build has processed: table_name, file_path
    (relative to raw_data_dir, as _source_file), size_bytes, modified_at,
    content_hash (md5 of the file's bytes), row_count (its rows in
    raw.<table>), load_id (the load that read it: 1, 2, ...) and
    processed_at. <raw_schema>._file_manifest_pending has the same columns
    and holds the files the current run's on-run-start loaded; the post-hook
    record_processed_files(table_name) of the model that consumes
    raw.<table> moves them into the manifest, so a run that failed before
    processing a file reads it again next time.

    A table is loaded incrementally when raw_table_is_incremental says so
    (var incremental_raw_tables, else the contract meta `incremental: true`;
    never on Spark, whose staging models are full rebuilds:
    incremental_loading_supported, macros/staging/incremental.sql).
    Then, unless the run is a --full-refresh, and once the manifest has rows
    for the table, raw.<table> holds only the files not yet in it, with
    _load_id = max(load_id) + 1; a processed file that disappeared or whose
    content changed (size or modification time differ and the content hash
    differs; same bytes with a new time is no change) stops the run naming
    it. Otherwise (first load, --full-refresh, a table not loaded
    incrementally) raw.<table> holds every file with _load_id = 1; a full
    refresh forgets the table's manifest rows. Tables not loaded
    incrementally get no manifest rows (nothing is hashed for them).
#}

{% macro raw_table_is_incremental(table_name) %}
    {#- Spark keeps staging as full rebuilds, so its raw tables hold every file (macros/staging/incremental.sql) -#}
    {%- if not ecommerce_segmentation.incremental_loading_supported() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set configured = var('incremental_raw_tables', none) -%}
    {%- if configured is none -%}
        {{ return(ecommerce_segmentation.contract_table_meta(table_name).get('incremental', false) == true) }}
    {%- endif -%}
    {%- if configured is string -%}
        {%- set configured = configured.split(',') | map('trim') | list -%}
    {%- endif -%}
    {{ return(table_name in configured) }}
{% endmacro %}


{#
    The error for a processed file that disappeared or changed; shared by
    both loaders.
#}
{% macro raise_processed_file_changed(raw_dir, table_name, file_path, what) %}
    {{ exceptions.raise_compiler_error(
        "Raw file " ~ raw_dir ~ "/" ~ file_path ~ " of table '" ~ table_name ~ "' was already processed "
        ~ "(it is in " ~ var('raw_schema') ~ "._file_manifest) and " ~ what ~ " since. A table loaded "
        ~ "incrementally reads only new files, so the warehouse would no longer match its files. Restore "
        ~ "the file as it was, or rebuild from the files as they are now with --full-refresh "
        ~ "(dbt build --full-refresh, or scripts/build_warehouse.py --full-refresh).") }}
{% endmacro %}


{# Creates <raw_schema>._file_manifest and _file_manifest_pending if they do not exist (the columns above). #}
{% macro create_file_manifest(raw_schema) %}
    {{- return(adapter.dispatch('create_file_manifest', 'ecommerce_segmentation')(raw_schema)) -}}
{% endmacro %}

{% macro duckdb__create_file_manifest(raw_schema) %}
    {%- set columns = 'table_name varchar, file_path varchar, size_bytes bigint, modified_at timestamp, '
        ~ 'content_hash varchar, row_count bigint, load_id bigint, processed_at timestamp' -%}
    {%- do run_query('create table if not exists ' ~ raw_schema ~ '._file_manifest (' ~ columns ~ '); '
        ~ 'create table if not exists ' ~ raw_schema ~ '._file_manifest_pending (' ~ columns ~ ')') -%}
{% endmacro %}


{#
    The files of a table this load reads and their load id: {files, load_id}
    (files: those of find_raw_files). For a table loaded incrementally also
    checks the processed files (see above) and writes the files read into
    _file_manifest_pending with their content hash; raw_dir names the files
    in errors.
#}
{% macro select_new_files(raw_schema, table_name, files, raw_dir) %}
    {{- return(adapter.dispatch('select_new_files', 'ecommerce_segmentation')(raw_schema, table_name, files, raw_dir)) -}}
{% endmacro %}

{#
    The files of a table this load reads and their load id: {files, load_id}.
    For a table loaded incrementally also checks the processed files (see
    above) and writes the files read into _file_manifest_pending, with their
    content hash (md5 of the bytes, read_blob).
#}
{% macro duckdb__select_new_files(raw_schema, table_name, files, raw_dir) %}
    {%- set manifest = raw_schema ~ '._file_manifest' -%}
    {%- set pending = raw_schema ~ '._file_manifest_pending' -%}
    {%- set name = ecommerce_segmentation.sql_string(table_name) -%}
    {%- do run_query('delete from ' ~ pending ~ ' where table_name = ' ~ name) -%}
    {%- if not ecommerce_segmentation.raw_table_is_incremental(table_name) -%}
        {{ return({'files': files, 'load_id': 1}) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {%- do run_query('delete from ' ~ manifest ~ ' where table_name = ' ~ name) -%}
    {%- endif -%}
    {%- set raw_dir = (var('raw_data_dir') | string).rstrip('/') -%}
    {%- set rels = [] -%}
    {%- for file in files -%}
        {%- do rels.append(ecommerce_segmentation.sql_string(file.rel)) -%}
    {%- endfor -%}
    {%- set in_table = ('file_path in (' ~ (rels | join(', ')) ~ ')') if rels else 'false' -%}
    {#- processed files: gone, or touched (size or time differ), with their recorded hash. files leaves
        out the processed files that are unchanged (duckdb__find_raw_files), so "gone" is checked against
        the whole listing: a processed file's path names its table's file or folder -#}
    {%- set sql -%}
        select m.file_path, l.path, l.file_path is null as is_gone, m.content_hash,
            (select max(load_id) from {{ manifest }} where table_name = {{ name }}) as last_load
        from {{ manifest }} as m
        left join (select * from temp._raw_listing where not hidden) as l on l.file_path = m.file_path
        where m.table_name = {{ name }}
            and (l.file_path is null or l.size_bytes <> m.size_bytes or l.modified_at <> m.modified_at)
        order by m.file_path
    {%- endset -%}
    {%- for row in run_query(sql) -%}
        {%- if row['is_gone'] -%}
            {%- do ecommerce_segmentation.raise_processed_file_changed(raw_dir, table_name, row['file_path'], 'has disappeared') -%}
        {%- endif -%}
        {%- set hash = run_query("select md5(content) from read_blob(" ~ ecommerce_segmentation.sql_string(row['path'])
            ~ ")").columns[0].values()[0] -%}
        {%- if hash != row['content_hash'] -%}
            {%- do ecommerce_segmentation.raise_processed_file_changed(raw_dir, table_name, row['file_path'],
                'its content has changed (another content hash)') -%}
        {%- endif -%}
        {#- the same bytes with another time or copy: no change; remember the new size and time -#}
        {%- do run_query('update ' ~ manifest ~ ' as m set size_bytes = l.size_bytes, modified_at = l.modified_at '
            ~ 'from temp._raw_listing as l where m.table_name = ' ~ name ~ ' and m.file_path = l.file_path and l.file_path = '
            ~ ecommerce_segmentation.sql_string(row['file_path'])) -%}
    {%- endfor -%}
    {%- set known = [] -%}
    {%- for row in run_query('select file_path from ' ~ manifest ~ ' where table_name = ' ~ name ~ ' and ' ~ in_table) -%}
        {%- do known.append(row[0]) -%}
    {%- endfor -%}
    {%- set last = run_query('select coalesce(max(load_id), 0) from ' ~ manifest ~ ' where table_name = '
        ~ name).columns[0].values()[0] -%}
    {%- set load_id = (last | int) + 1 -%}
    {%- set new_files = [] -%}
    {%- set paths = [] -%}
    {%- for file in files if file.rel not in known -%}
        {%- do new_files.append(file) -%}
        {%- do paths.append(ecommerce_segmentation.sql_string(file.path)) -%}
    {%- endfor -%}
    {%- if new_files -%}
        {%- set prefix_length = (new_files[0].path | length) - (new_files[0].rel | length) -%}
        {%- do run_query('insert into ' ~ pending ~ ' select ' ~ name ~ ', substr(filename, ' ~ (prefix_length + 1)
            ~ '), size, cast(last_modified as timestamp), md5(content), cast(null as bigint), ' ~ load_id
            ~ ', cast(null as timestamp) from read_blob([' ~ (paths | join(', ')) ~ '])') -%}
    {%- endif -%}
    {{- log('Raw table ' ~ table_name ~ ' is loaded incrementally: ' ~ (new_files | length) ~ ' new file(s), load '
        ~ load_id, info=true) -}}
    {{ return({'files': new_files, 'load_id': load_id}) }}
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
{% macro spark_rewrite_where(relation, keep) %}
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
        {%- do ecommerce_segmentation.spark_rewrite_where(pending, 'table_name <> ' ~ name) -%}
    {%- endif -%}
    {%- if not ecommerce_segmentation.raw_table_is_incremental(table_name) -%}
        {{ return({'files': files, 'load_id': 1}) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {%- do ecommerce_segmentation.spark_rewrite_where(manifest, 'table_name <> ' ~ name) -%}
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
                ~ ecommerce_segmentation.spark_path_options(file.path, 'any', false) ~ ')') -%}
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
            ~ ecommerce_segmentation.spark_path_options(root if is_folder else new_files[0].path, 'any', is_folder) ~ ')') -%}
        {%- do adapter.execute('insert into ' ~ pending ~ ' select ' ~ name ~ ', ' ~ rel_of_path ~ ', length, modificationTime, '
            ~ 'md5(content), cast(null as bigint), ' ~ load_id ~ ', cast(null as timestamp) from ' ~ probe
            ~ ' where ' ~ rel_of_path ~ ' in (' ~ (rels | join(', ')) ~ ')') -%}
        {%- do adapter.execute('drop table if exists ' ~ probe) -%}
    {%- endif -%}
    {{- log('Raw table ' ~ table_name ~ ' is loaded incrementally: ' ~ (new_files | length) ~ ' new file(s), load '
        ~ load_id, info=true) -}}
    {{ return({'files': new_files, 'load_id': load_id}) }}
{% endmacro %}


{#
    record_processed_files(table_name): a post-hook for the model that
    consumes raw.<table> (its base_ model). Moves the table's rows of
    <raw_schema>._file_manifest_pending into <raw_schema>._file_manifest,
    with row_count (the file's rows in raw.<table>) and processed_at. Does
    nothing for a table without pending rows (not loaded incrementally).
    Renders to a harmless `select 1`; the work is done while rendering.
#}
{% macro record_processed_files(table_name) %}
    {%- if execute -%}
        {%- do adapter.dispatch('record_processed_files', 'ecommerce_segmentation')(table_name) -%}
    {%- endif -%}
    select 1 as processed_files_recorded
{%- endmacro %}


{% macro default__record_processed_files(table_name) %}
    {%- set raw_schema = var('raw_schema') -%}
    {%- set manifest = raw_schema ~ '._file_manifest' -%}
    {%- set pending = raw_schema ~ '._file_manifest_pending' -%}
    {%- set name = ecommerce_segmentation.sql_string(table_name) -%}
    {%- set exists = run_query("select count(*) from information_schema.tables where table_schema = '"
        ~ raw_schema ~ "' and table_name = '_file_manifest_pending'").columns[0].values()[0] -%}
    {%- if exists == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set sql -%}
        delete from {{ manifest }}
        where table_name = {{ name }}
            and file_path in (select file_path from {{ pending }} where table_name = {{ name }});
        insert into {{ manifest }}
        select
            p.table_name, p.file_path, p.size_bytes, p.modified_at, p.content_hash,
            coalesce(c.row_count, 0) as row_count, p.load_id, current_timestamp as processed_at
        from {{ pending }} as p
        left join (
            select _source_file, count(*) as row_count
            from {{ raw_schema }}.{{ table_name }}
            group by _source_file
        ) as c on c._source_file = p.file_path
        where p.table_name = {{ name }};
        delete from {{ pending }} where table_name = {{ name }};
    {%- endset -%}
    {%- do run_query(sql) -%}
{% endmacro %}


{#
    Spark: Parquet tables support no delete, so both tables are rewritten
    (insert overwrite) from a copy made first (Spark cannot overwrite a
    table it reads in the same statement).
#}
{% macro spark__record_processed_files(table_name) %}
    {%- set raw_schema = var('raw_schema') -%}
    {%- set manifest = raw_schema ~ '._file_manifest' -%}
    {%- set pending = raw_schema ~ '._file_manifest_pending' -%}
    {%- set name = ecommerce_segmentation.sql_string(table_name) -%}
    {%- set listed = run_query("show tables in " ~ raw_schema ~ " like '_file_manifest_pending'") -%}
    {%- if listed | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if run_query('select count(*) from ' ~ pending ~ ' where table_name = ' ~ name).columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- do adapter.execute('drop table if exists ' ~ manifest ~ '__copy') -%}
    {%- do adapter.execute('drop table if exists ' ~ pending ~ '__copy') -%}
    {%- do adapter.execute('create table ' ~ manifest ~ '__copy using parquet as select * from ' ~ manifest) -%}
    {%- do adapter.execute('create table ' ~ pending ~ '__copy using parquet as select * from ' ~ pending) -%}
    {%- set sql -%}
        insert overwrite table {{ manifest }}
        select * from {{ manifest }}__copy as m
        where not (m.table_name = {{ name }}
            and m.file_path in (select file_path from {{ pending }}__copy where table_name = {{ name }}))
        union all
        select
            p.table_name, p.file_path, p.size_bytes, p.modified_at, p.content_hash,
            cast(coalesce(c.row_count, 0) as bigint) as row_count, p.load_id, current_timestamp() as processed_at
        from {{ pending }}__copy as p
        left join (
            select _source_file, count(*) as row_count
            from {{ raw_schema }}.{{ table_name }}
            group by _source_file
        ) as c on c._source_file = p.file_path
        where p.table_name = {{ name }}
    {%- endset -%}
    {%- do adapter.execute(sql) -%}
    {%- do adapter.execute('insert overwrite table ' ~ pending ~ ' select * from ' ~ pending ~ '__copy where table_name <> ' ~ name) -%}
    {%- do adapter.execute('drop table if exists ' ~ manifest ~ '__copy') -%}
    {%- do adapter.execute('drop table if exists ' ~ pending ~ '__copy') -%}
{% endmacro %}
