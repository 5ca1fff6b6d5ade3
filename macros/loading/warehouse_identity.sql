{#
    check_warehouse_identity: run by on-run-start, before load_raw_tables.
    A warehouse knows which data it was built from, so that another shop's
    files are never built into it (their customers would stay in the
    segment history for good):

      - <raw_schema>._warehouse_identity holds one row: built_from (var
        warehouse_identity if set, else the raw folder as an absolute,
        normalised path) and first_built_at (UTC, ISO text). The first build
        of a warehouse writes it.
      - every later run compares: another value stops the run with an error
        naming both, before anything is read or written, and the way out:
        a separate warehouse file (DUCKDB_PATH / build_warehouse.py
        --duckdb) or --full-refresh.
      - the record binds the warehouse only once something was built from
        that data: another value is refused only when the warehouse holds a
        relation of one of the project's models or snapshots (staging,
        quarantine, intermediate, marts, snapshots; seeds and the raw views
        do not count). A first build that failed before building any model
        (e.g. while loading the raw tables) binds nothing: the next run
        records its own data.
      - --full-refresh starts over: the row is written anew and, when the
        data differ, every incremental model's table (customer_segment_history)
        is dropped first, selected or not, so no row of the old data stays.
        (dbt itself rebuilds selected incremental models on --full-refresh.)
      - a warehouse without the row (a new file, or one built before this
        check existed) records the data of this run.

    A relative raw folder (the default data/raw) is made absolute with the
    working directory (env PWD), so `dbt build` from the repository root and
    scripts/build_warehouse.py (which passes an absolute path) agree.
    Deliveries that arrive in different folders (one per day) but are one
    shop: set var warehouse_identity (env WAREHOUSE_IDENTITY) to one name.
#}

{% macro check_warehouse_identity() %}
    {%- if execute -%}
        {#- Plain statements only (no adapter.get_relation): a relation lookup
            opens a transaction that dbt rolls back after the hooks. DDL through
            adapter.execute (no fetch: docs/spark.md, "Never fetch the result of
            DDL"), run_query only for the select. -#}
        {%- set raw_schema = var('raw_schema') -%}
        {%- set relation_name = raw_schema ~ '._warehouse_identity' -%}
        {%- set configured = (var('warehouse_identity', '') or '') | string | trim -%}
        {%- set current = configured if configured else ecommerce_segmentation.absolute_folder(var('raw_data_dir')) -%}
        {%- set create_sql = 'create table if not exists ' ~ relation_name
            ~ ' (built_from string, first_built_at string) ' ~ ecommerce_segmentation.warehouse_identity_table_format() -%}
        {%- do adapter.execute('create schema if not exists ' ~ raw_schema) -%}
        {%- do adapter.execute(create_sql) -%}
        {%- set rows = run_query('select built_from, first_built_at from ' ~ relation_name) -%}
        {%- set stored = rows[0] if rows | length > 0 else none -%}
        {%- set other_data = stored is not none and stored[0] != current -%}
        {%- if other_data and not flags.FULL_REFRESH
              and not ecommerce_segmentation.warehouse_holds_built_data() -%}
            {#- recorded, but nothing was ever built from it (the first build failed
                while loading the raw tables): this run's data takes the warehouse -#}
            {{- log('Warehouse ' ~ ecommerce_segmentation.warehouse_name() ~ " was recorded for '" ~ stored[0]
                ~ "' but holds nothing built from it: it now records this run's data", info=true) -}}
            {%- set stored = none -%}
            {%- set other_data = false -%}
        {%- endif -%}
        {%- if other_data and not flags.FULL_REFRESH -%}
            {{ exceptions.raise_compiler_error(
                "This warehouse (" ~ ecommerce_segmentation.warehouse_name() ~ ") was built from '" ~ stored[0]
                ~ "' (first build " ~ stored[1] ~ "); this run reads '" ~ current ~ "'. Building other data into it "
                ~ "would mix two shops (the segment history keeps every customer for good). Either build the new data "
                ~ "into its own warehouse file (DUCKDB_PATH=<file>, or scripts/build_warehouse.py --duckdb <file>), "
                ~ "or start this warehouse over from the new data, history included, with --full-refresh "
                ~ "(dbt build --full-refresh, or scripts/build_warehouse.py --full-refresh). If both are the same shop "
                ~ "delivered into different folders, set WAREHOUSE_IDENTITY (var warehouse_identity) to one name.") }}
        {%- endif -%}
        {%- if other_data -%}
            {#- a full refresh onto other data: no incremental table keeps rows of the old data -#}
            {%- for node in graph.nodes.values() -%}
                {%- if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
                    {#- adapter.drop_relation also forgets the table in dbt's relation cache -#}
                    {%- set old = api.Relation.create(database=node.database, schema=node.schema,
                                                      identifier=node.alias, type='table') -%}
                    {{- log('Full refresh onto other data: dropping ' ~ old, info=true) -}}
                    {%- do adapter.drop_relation(old) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if stored is none or other_data or flags.FULL_REFRESH -%}
            {%- do adapter.execute('drop table if exists ' ~ relation_name) -%}
            {%- do adapter.execute(create_sql) -%}
            {%- do adapter.execute('insert into ' ~ relation_name ~ ' values (' ~ ecommerce_segmentation.text_literal(current)
                ~ ', ' ~ ecommerce_segmentation.text_literal(modules.datetime.datetime.now(modules.pytz.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))
                ~ ')') -%}
            {{- log('Warehouse ' ~ ecommerce_segmentation.warehouse_name() ~ ' is built from ' ~ current, info=true) -}}
        {%- endif -%}
    {%- endif -%}
    select 1 as warehouse_identity_checked
{%- endmacro %}


{#
    warehouse_holds_built_data(): true when a relation of one of the
    project's models or snapshots (materialised, i.e. not ephemeral) exists
    in the warehouse, whatever was selected. Seeds do not count (they are not
    the shop's data), nor the raw views (load_raw_tables rebuilds them on
    every run). Plain queries (run_query), no relation cache.
#}
{% macro warehouse_holds_built_data() %}
    {%- set built = {} -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ('model', 'snapshot') and node.config.materialized != 'ephemeral' -%}
            {%- set key = (node.schema | lower) -%}
            {%- do built.setdefault(key, []).append(node.alias | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(adapter.dispatch('warehouse_holds_built_data', 'ecommerce_segmentation')(built)) -}}
{% endmacro %}

{#- relations_by_schema: {schema: [relation name, ...]}, lower case. -#}
{% macro default__warehouse_holds_built_data(relations_by_schema) %}
    {#- Spark: the schemas that exist (show schemas), then their tables and views (show tables). -#}
    {%- set existing = run_query('show schemas') -%}
    {%- set schemas = [] -%}
    {%- for row in existing -%}
        {%- do schemas.append(row[0] | lower) -%}
    {%- endfor -%}
    {%- for schema, names in relations_by_schema.items() -%}
        {%- if schema in schemas -%}
            {%- for row in run_query('show tables in ' ~ schema) -%}
                {%- if (row[1] | lower) in names -%}
                    {{- return(true) -}}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(false) -}}
{% endmacro %}

{% macro duckdb__warehouse_holds_built_data(relations_by_schema) %}
    {%- set pairs = [] -%}
    {%- for schema, names in relations_by_schema.items() -%}
        {%- for name in names -%}
            {%- do pairs.append(ecommerce_segmentation.text_literal(schema ~ '.' ~ name)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if pairs | length == 0 -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set found = run_query('select count(*) from information_schema.tables'
        ~ ' where table_catalog = current_database()'
        ~ " and lower(table_schema) || '.' || lower(table_name) in (" ~ pairs | join(', ') ~ ')') -%}
    {{- return(found[0][0] > 0) -}}
{% endmacro %}


{#- The warehouse, as people name it: the DuckDB file, else the target's schema. -#}
{% macro warehouse_name() %}
    {{- return(target.get('path') or (target.type ~ ' schema ' ~ target.schema)) -}}
{% endmacro %}


{#- A SQL string literal (single quotes doubled, backslashes doubled on engines that read them as escapes). -#}
{% macro text_literal(text) %}
    {{- return(adapter.dispatch('text_literal', 'ecommerce_segmentation')(text)) -}}
{% endmacro %}

{% macro default__text_literal(text) %}
    {#- Spark SQL reads a backslash in a string literal as an escape. -#}
    {{- return("'" ~ (text | string).replace('\\', '\\\\').replace("'", "\\'") ~ "'") -}}
{% endmacro %}

{% macro duckdb__text_literal(text) %}
    {{- return("'" ~ (text | string).replace("'", "''") ~ "'") -}}
{% endmacro %}


{#- The clause that makes a table a managed table of the engine's own format. -#}
{% macro warehouse_identity_table_format() %}
    {{- return(adapter.dispatch('warehouse_identity_table_format', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__warehouse_identity_table_format() %}
    {{- return('using parquet') -}}
{% endmacro %}

{% macro duckdb__warehouse_identity_table_format() %}
    {{- return('') -}}
{% endmacro %}


{#
    absolute_folder(path): the folder as an absolute path with '.', '..',
    repeated and trailing slashes resolved (no symlinks: Jinja cannot see the
    file system). Relative paths are taken from the working directory (env
    PWD); URLs (scheme://...) are kept as they are.
#}
{% macro absolute_folder(path) %}
    {%- set text = (path | string | trim).replace('\\', '/') -%}
    {%- if '://' in text -%}
        {{- return(text.rstrip('/')) -}}
    {%- endif -%}
    {%- if not text.startswith('/') and not modules.re.match('^[A-Za-z]:/', text) -%}
        {%- set text = env_var('PWD', '') ~ '/' ~ text -%}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for part in text.split('/') -%}
        {%- if part == '..' -%}
            {%- if parts | length > 0 -%}
                {%- do parts.pop() -%}
            {%- endif -%}
        {%- elif part not in ('', '.') -%}
            {%- do parts.append(part) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if modules.re.match('^[A-Za-z]:/', text) -%}
        {{- return(parts | join('/')) -}}
    {%- endif -%}
    {{- return('/' ~ (parts | join('/'))) -}}
{% endmacro %}
