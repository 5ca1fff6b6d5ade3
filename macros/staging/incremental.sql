{#
    Incremental staging (issue #12, "a new batch costs the batch, not the
    history"; docs/raw-data-contract.md, "Facts and entities").

    The base_ / stg_ models of a table loaded incrementally (contract meta
    `incremental: true`, raw_table_is_incremental) and the session models
    built from events are dbt incremental models on DuckDB:
      - base_shop__<table> appends the rows of raw.<table>, which then holds
        only the files not yet processed (load id = previous max + 1); its
        post-hook record_processed_files moves those files into the manifest;
      - the models downstream read only rows of load ids they have not seen
        yet: new_load_ids_filter() compares _load_id with the largest one in
        {{ this }}, so a run that failed half-way (a base_ model appended
        load 5, a stg_ model did not) is caught up by the next run.
    When the raw table is NOT loaded incrementally (var incremental_raw_tables
    [] or a table without the meta), raw.<table> holds every file again with
    _load_id 1: the pre-hook reset_incremental_model() empties the model and
    the model processes everything (the result of a full rebuild).

    Spark (dbt-spark over Parquet: only append and insert_overwrite, no delete
    or merge): staging_materialization() is `table` and no table is loaded
    incrementally (incremental_loading_supported() is false), so every build
    is a full rebuild from all files, with the same result.
#}

{#- The materialisation of an incremental staging / session model. -#}
{% macro staging_materialization() %}
    {{- return(adapter.dispatch('staging_materialization', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__staging_materialization() %}
    {{- return('incremental') -}}
{% endmacro %}

{% macro spark__staging_materialization() %}
    {{- return('table') -}}
{% endmacro %}


{#- Whether the engine keeps staging incremental (see above); read by raw_table_is_incremental. -#}
{% macro incremental_loading_supported() %}
    {{- return(adapter.dispatch('incremental_loading_supported', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__incremental_loading_supported() %}
    {{- return(true) -}}
{% endmacro %}

{% macro spark__incremental_loading_supported() %}
    {{- return(false) -}}
{% endmacro %}


{#
    processes_new_loads_only(table_name): true when this model run adds to
    what it holds (dbt is_incremental()) and raw.<table_name> holds only new
    files; false on a first build, a --full-refresh, a table rebuilt from all
    files, or on Spark.
#}
{% macro processes_new_loads_only(table_name) %}
    {#- not while parsing, nor in a unit test (no relation: this is none) -#}
    {%- if not execute or this is none -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(is_incremental() and ecommerce_segmentation.raw_table_is_incremental(table_name)) }}
{% endmacro %}


{#
    reset_incremental_model(table_name): a pre-hook. Empties {{ this }} when
    the model is incremental and exists but raw.<table_name> holds every file
    again (not loaded incrementally), so the model is rebuilt from all rows.
#}
{% macro reset_incremental_model(table_name) %}
    {%- if execute and this is not none and is_incremental() and not ecommerce_segmentation.raw_table_is_incremental(table_name) -%}
        delete from {{ this }}
    {%- else -%}
        select 1 as nothing_to_reset
    {%- endif -%}
{% endmacro %}


{#
    new_load_ids_filter(table_name, column='_load_id'): a where condition that
    keeps the rows of load ids this model has not processed yet (larger than
    the largest in {{ this }}); `true` when the model is rebuilt from all rows.
    The largest load id is read when the model is compiled, just before it
    runs (largest_values), and written as a number: with a subquery in its
    place DuckDB cannot estimate how few rows pass, and at the large tier
    chose to build hash tables on millions of stored rows instead of on the
    batch.
#}
{% macro new_load_ids_filter(table_name, column='_load_id') %}
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) -%}
        {{ column }} > {{ ecommerce_segmentation.largest_values(this, ['_load_id'])[0] }}
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}


{#
    largest_values(relation, columns): the largest value of each of the
    integer columns (load ids) in relation, 0 when it has no rows, as a list
    of ints; read with one query when called (at compile time: a model's SQL
    is compiled right before it runs). [0, ...] while parsing.
#}
{% macro largest_values(relation, columns) %}
    {%- set maxima = [] -%}
    {%- set zeros = [] -%}
    {%- for column in columns -%}
        {%- do maxima.append('coalesce(max(' ~ column ~ '), 0)') -%}
        {%- do zeros.append(0) -%}
    {%- endfor -%}
    {%- if not execute -%}
        {{ return(zeros) }}
    {%- endif -%}
    {%- set row = run_query('select ' ~ maxima | join(', ') ~ ' from ' ~ relation).rows[0] -%}
    {%- set values = [] -%}
    {%- for value in row -%}
        {%- do values.append(value | int) -%}
    {%- endfor -%}
    {{ return(values) }}
{% endmacro %}


{#
    delivery_order(columns): the order in which raw rows were delivered, as
    an `order by` list: load id, then file path, then the row's place in its
    file (_source_line: the record number of a CSV, the ordinal of a Parquet
    row), then, for rows sharing a line (a CSV with blank lines, a rejected
    record), the given columns as read (nulls last), so ties are broken
    deterministically. In a full refresh every file is load 1 and the path
    decides: name files so that path order is delivery order
    (events/date=YYYY-MM-DD/part-0001.parquet is).
#}
{% macro delivery_order(columns=[], direction='') %}
    {%- set items = ['_load_id', '_source_file', '_source_line'] + columns -%}
    {%- set ordered = [] -%}
    {%- for item in items -%}
        {%- do ordered.append(item ~ (' ' ~ direction if direction else '') ~ ' nulls last') -%}
    {%- endfor -%}
    {{- return(ordered | join(', ')) -}}
{% endmacro %}


{#
    earlier_valid_keys(table_name, key_column): the body of a base_ model's
    CTE of the keys of the current batch (CTE `source`) that are already
    valid rows of {{ this }} (a fact delivered again in a later batch); no
    rows when the model is rebuilt from all rows.
#}
{% macro earlier_valid_keys(table_name, key_column) -%}
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) -%}
    select {{ key_column }} from {{ this }}
    where
        quarantine_reason is null
        and {{ key_column }} in (select {{ clean_text(key_column) }} from source)
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as {{ key_column }}
    where false
    {%- endif -%}
{%- endmacro %}


{#
    earlier_rows(table_name, new_cte, key_column, select_list): the body of
    a CTE holding the rows of {{ this }} whose key the batch (CTE new_cte)
    touches, as select_list (SQL over {{ this }}, in new_cte's column order),
    to merge with the batch's rows; no rows (new_cte's columns) when the
    model is rebuilt from all rows.
#}
{% macro earlier_rows(table_name, new_cte, key_column, select_list) -%}
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) -%}
    select
        {{ select_list | join(',\n        ') }}
    from {{ this }}
    where {{ key_column }} in (select {{ key_column }} from {{ new_cte }})
    {%- else -%}
    select * from {{ new_cte }}
    where false
    {%- endif -%}
{%- endmacro %}


{#
    entity_versions(table_name, base_relation, key_column, version_id_column,
    columns): the body of a stg_shop__<entity>_versions model (an entity's
    every delivery, docs/raw-data-contract.md, "Facts and entities"). One
    row per valid row of base_relation (a base_ model that checks its key
    per file: a key is delivered at most once per file), in delivery order
    (load, file, line) per key:
      - delivery_number 1, 2, ... ; version_id_column: <key>-<delivery_number>;
      - version_hash: md5 of every contract column of the row as staged
        (typed); is_new_version: true for the first delivery and for a
        delivery whose content differs from the delivery before it, false
        for a re-delivered identical row (it is not a new version);
      - version_number: 1 for the first version, +1 at each new version
        (an identical re-delivery keeps the number of the version it
        repeats); valid_from_file / valid_to_file: the file that delivered
        the version first / that delivered the next version (null: the
        current version), so a version is valid from one delivery to the
        next in delivery order;
      - superseded_in_file: the file of the next delivery (null for the
        latest), is_latest: the latest delivery (the row staged in
        stg_shop__<entity>; raw rows = staged + not is_latest + quarantined);
      - columns: [{'name': n, 'expression': sql}, ...] kept for tracing.
    Incremental (staging_materialization): the valid rows of the load ids not
    seen yet and the earlier deliveries of the keys they touch (from
    {{ this }}) are numbered again together and replace those keys' rows
    (delete+insert on version_id_column); when the raw table is read whole
    (not loaded incrementally) the model is rebuilt from all rows (pre-hook
    reset_incremental_model). Either way the result is the full computation.
#}
{% macro entity_versions(table_name, base_relation, key_column, version_id_column, columns) -%}
{%- set hashed = [] -%}
{%- for column in ecommerce_segmentation.contract_columns(table_name) -%}
    {%- do hashed.append("coalesce(" ~ dbt.concat(["'='", 'cast(' ~ column.name ~ ' as ' ~ dbt.type_string() ~ ')'])
        ~ ", '~')") -%}
    {%- if not loop.last -%}
        {%- do hashed.append('chr(31)') -%}
    {%- endif -%}
{%- endfor -%}
{%- set kept = [] -%}
{%- for column in columns -%}
    {%- do kept.append(column.name) -%}
{%- endfor -%}
with delivered as (

    select
        {{ key_column }},
        {%- for column in columns %}
        {{ column.expression }}{{ (' as ' ~ column.name) if column.expression != column.name }},
        {%- endfor %}
        {{ dbt.hash(dbt.concat(hashed)) }} as version_hash,
        _source_file as delivered_in_file,
        _source_line as delivered_at_line,
        _load_id
    from {{ base_relation }}
    where quarantine_reason is null
        and {{ ecommerce_segmentation.new_load_ids_filter(table_name) }}

),

earlier as (

    {#- the earlier deliveries of the keys the batch touches, numbered again with it #}
    {{ ecommerce_segmentation.earlier_rows(table_name, 'delivered', key_column,
        [key_column] + kept + ['version_hash', 'delivered_in_file', 'delivered_at_line', '_load_id']) }}

),

deliveries as (

    select * from delivered
    union all
    select * from earlier

),

sequenced as (

    select
        *,
        row_number() over (
            partition by {{ key_column }}
            order by _load_id, delivered_in_file, delivered_at_line nulls last, version_hash
        ) as delivery_number,
        lag(version_hash) over (
            partition by {{ key_column }}
            order by _load_id, delivered_in_file, delivered_at_line nulls last, version_hash
        ) as previous_version_hash,
        lead(delivered_in_file) over (
            partition by {{ key_column }}
            order by _load_id, delivered_in_file, delivered_at_line nulls last, version_hash
        ) as superseded_in_file
    from deliveries

),

flagged as (

    select
        *,
        coalesce(version_hash <> previous_version_hash, true) as is_new_version
    from sequenced

),

numbered as (

    select
        *,
        sum(case when is_new_version then 1 else 0 end) over (
            partition by {{ key_column }}
            order by delivery_number
            rows between unbounded preceding and current row
        ) as version_number
    from flagged

),

versions as (

    select
        {{ key_column }},
        version_number,
        delivered_in_file as valid_from_file,
        lead(delivered_in_file) over (
            partition by {{ key_column }}
            order by version_number
        ) as valid_to_file
    from numbered
    where is_new_version

),

final as (

    select
        {{ dbt.concat([
            'numbered.' ~ key_column, "'-'",
            'cast(numbered.delivery_number as ' ~ dbt.type_string() ~ ')']) }} as {{ version_id_column }},
        numbered.{{ key_column }},
        cast(numbered.delivery_number as {{ dbt.type_int() }}) as delivery_number,
        cast(numbered.version_number as {{ dbt.type_int() }}) as version_number,
        numbered.is_new_version,
        {%- for name in kept %}
        numbered.{{ name }},
        {%- endfor %}
        numbered.delivered_in_file,
        numbered.delivered_at_line,
        numbered.superseded_in_file,
        versions.valid_from_file,
        versions.valid_to_file,
        numbered.superseded_in_file is null as is_latest,
        numbered.version_hash,
        numbered._load_id
    from numbered
    inner join versions
        on
            numbered.{{ key_column }} = versions.{{ key_column }}
            and numbered.version_number = versions.version_number

)

select * from final
{%- endmacro %}


{#
    Incremental identity stitching (int_sessions_stitched). A session's row
    depends on its own sessions row, events (int_session_activity) and
    orders (int_order_revenue), and on its visitor's customer, which depends
    on all of the visitor's sessions and session-less identity links. So a
    new batch recomputes exactly:
      - the changed sessions: a stg_shop__sessions row or an
        int_session_activity row of a load id above the model's watermarks
        (_sessions_load_id, _events_load_id: the largest in {{ this }}), or
        whose orders' summary (_orders_signature: one 64-bit hash, raw_key_hash,
        of count, net revenue, first order time and the identifying order's
        customer) differs from the one
        stored (orders are entities, returns are read whole: compared, not
        watermarked);
      - the affected visitors: the visitors of the changed sessions (as
        now and as stored) and of the visitor links of a new load;
      - every session of an affected visitor (stored or changed).
    Those rows replace theirs (delete+insert on session_id); a changed session
    that no longer has any source (e.g. an order re-exported with another
    session) is written as a tombstone (not recorded, no events, no orders)
    that the post-hook delete_vanished_sessions removes. Every other row is
    unchanged by construction, so the result equals the full computation.
    Used only when events and sessions are both loaded incrementally
    (stitching_processes_new_loads_only); otherwise the model is rebuilt from
    all rows (pre-hooks reset_incremental_model('events' / 'sessions')).
#}
{% macro stitching_processes_new_loads_only() %}
    {{ return(ecommerce_segmentation.processes_new_loads_only('events')
        and ecommerce_segmentation.processes_new_loads_only('sessions')) }}
{% endmacro %}


{#- The CTEs scope_sessions and scope_visitors (each followed by a comma), or nothing on a full build. -#}
{% macro stitching_scope_ctes(sessions_relation, activity_relation, links_relation, session_orders_cte,
                              orders_unchanged=false) -%}
    {%- if ecommerce_segmentation.stitching_processes_new_loads_only() -%}
    {#- a table built when the signature was an md5 text: compared as text (every session with orders
        differs once, is recomputed and stored with the new signature); not looked up when no summary
        is compared -#}
    {%- set stored_as_text = [] -%}
    {%- for column in ([] if orders_unchanged else adapter.get_columns_in_relation(this))
        if column.name | lower == '_orders_signature' and column.is_string() -%}
        {%- do stored_as_text.append(column.name) -%}
    {%- endfor -%}
    {%- set now_signature = ('cast(now_orders.orders_signature as ' ~ dbt.type_string() ~ ')') if stored_as_text
        else 'now_orders.orders_signature' -%}
    {#- the watermarks, as numbers (largest_values, new_load_ids_filter) -#}
    {%- set watermarks = ecommerce_segmentation.largest_values(this, ['_sessions_load_id', '_events_load_id']) -%}
    {%- set sessions_load_id = watermarks[0] -%}
    {%- set events_load_id = watermarks[1] -%}
changed_sessions as (

    select session_id from {{ sessions_relation }}
    where _load_id > {{ sessions_load_id }}
    union
    select session_id from {{ activity_relation }}
    where _load_id > {{ events_load_id }}
    {%- if not orders_unchanged %}
    union
    select coalesce(now_orders.session_id, stored.session_id) as session_id
    from {{ session_orders_cte }} as now_orders
    full outer join (
        select session_id, _orders_signature from {{ this }}
        where _orders_signature is not null
    ) as stored
        on now_orders.session_id = stored.session_id
    where now_orders.session_id is null
        or stored.session_id is null
        or {{ now_signature }} <> stored._orders_signature
    {%- endif %}

),

scope_visitors as (

    select coalesce(recorded.visitor_id, activity.event_visitor_id) as visitor_id
    from changed_sessions
    left join {{ sessions_relation }} as recorded
        on changed_sessions.session_id = recorded.session_id
    left join {{ activity_relation }} as activity
        on changed_sessions.session_id = activity.session_id
    where coalesce(recorded.visitor_id, activity.event_visitor_id) is not null
    union
    select visitor_id from {{ this }}
    where visitor_id is not null
        and session_id in (select session_id from changed_sessions)
    union
    select visitor_id from {{ links_relation }}
    where link_type = 'visitor_customer'
        and _load_id > {{ events_load_id }}

),

scope_sessions as (

    select session_id from changed_sessions
    union
    select session_id from {{ this }}
    where visitor_id in (select visitor_id from scope_visitors)

),
    {%- endif -%}
{%- endmacro %}


{#
    The orders fingerprint of int_sessions_stitched: stitching_orders_fingerprint(orders_relation)
    is a select of one text, the count and the sum of a 64-bit hash (raw_key_hash) of every column
    the sessions' orders summaries are made of (session_id, order_id, customer_id, ordered_at,
    net_revenue) over the orders with a session: one scan, no sort. The post-hook
    record_stitching_orders keeps it in <raw_schema>._stitching_orders after every build of the
    model; stitching_orders_unchanged compares it with the orders read now, so that a build whose
    orders did not change (the raw_to_sessions step of a new day, which does not rebuild
    int_order_revenue; a micro-batch of ecomseg stream) skips comparing every session's summary
    with its stored signature. A changed order, line, return or rate changes the fingerprint (but
    for a 2^-64-like chance of equal sums), and the comparison runs as before.
#}
{% macro stitching_orders_fingerprint(orders_relation) -%}
    select {{ dbt.concat([
            'cast(count(*) as ' ~ dbt.type_string() ~ ')', "':'",
            'cast(coalesce(sum(' ~ ecommerce_segmentation.raw_key_hash(
                ['session_id', 'order_id', 'customer_id', 'ordered_at', 'net_revenue']) ~ '), 0) as '
                ~ dbt.type_string() ~ ')']) }} as fingerprint
    from {{ orders_relation }}
    where session_id is not null
{%- endmacro %}

{% macro stitching_orders_unchanged(orders_relation) %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set state = adapter.get_relation(database=target.database, schema=var('raw_schema'),
        identifier='_stitching_orders') -%}
    {%- if state is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stored = run_query('select fingerprint from ' ~ state).columns[0].values() -%}
    {%- set now = run_query(ecommerce_segmentation.stitching_orders_fingerprint(orders_relation)).columns[0].values() -%}
    {{ return(stored | length == 1 and stored[0] == now[0]) }}
{% endmacro %}

{#
    run_id(): this dbt invocation as a number, to stamp the rows a model
    writes: run_started_at in microseconds since 1970-01-01 UTC (a bigint).
    Every invocation starts later than the one before (dbt takes the time
    when it starts; a clock set back would break that), so the rows written
    since a given run are those with a larger run id, also after the table
    was dropped and rebuilt. int_sessions_stitched rewrites older sessions of
    the visitors a batch touches, which keep their load ids: its _run_id lets
    unique_in_new_loads (load_column) check only what was written since the
    test last passed.
#}
{% macro run_id() -%}
    cast({{ (run_started_at.timestamp() * 1000000) | round | int }} as {{ dbt.type_bigint() }})
{%- endmacro %}


{#
    add_column_if_missing(column, data_type): a pre-hook for a DuckDB
    incremental model that gained a column: adds it (null in the stored rows)
    to a table built before, so the incremental insert writes it; nothing
    otherwise (a new table, a full refresh, Spark).
#}
{% macro add_column_if_missing(column, data_type) %}
    {%- if execute and this is not none and is_incremental()
        and ecommerce_segmentation.incremental_loading_supported() -%}
        alter table {{ this }} add column if not exists {{ column }} {{ data_type }}
    {%- else -%}
        select 1 as no_column_added
    {%- endif -%}
{% endmacro %}


{#- post-hook of int_sessions_stitched: keeps the fingerprint of the orders this build read (nothing on Spark). -#}
{% macro record_stitching_orders(orders_relation) %}
    {%- if execute and ecommerce_segmentation.incremental_loading_supported() -%}
        {%- set state = var('raw_schema') ~ '._stitching_orders' -%}
        create schema if not exists {{ var('raw_schema') }};
        create table if not exists {{ state }} (fingerprint {{ dbt.type_string() }}, recorded_at {{ dbt.type_timestamp() }});
        delete from {{ state }};
        insert into {{ state }}
        select fingerprint, current_timestamp from ({{ ecommerce_segmentation.stitching_orders_fingerprint(orders_relation) }}) as orders_fingerprint
    {%- else -%}
        select 1 as no_stitching_orders_state
    {%- endif -%}
{% endmacro %}


{#- A where condition: column is in the CTE `scope` (stitching_scope_ctes); true on a full build. -#}
{% macro stitching_in_scope(column, scope='scope_sessions') -%}
    {%- if ecommerce_segmentation.stitching_processes_new_loads_only() -%}
    {{ column }} in (select {{ 'visitor_id' if scope == 'scope_visitors' else 'session_id' }} from {{ scope }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{#- `union all` tombstone rows (columns as tombstone_columns) for the scoped sessions missing from rows_cte (a CTE with one row per session_id that has a source: int_sessions_stitched passes `joined`, already computed, not its final rows); nothing on a full build. -#}
{% macro stitching_tombstones(rows_cte, tombstone_columns) -%}
    {%- if ecommerce_segmentation.stitching_processes_new_loads_only() %}
    union all
    select
        {{ tombstone_columns | join(',\n        ') }}
    from scope_sessions
    where not exists (
        select 1 from {{ rows_cte }}
        where {{ rows_cte }}.session_id = scope_sessions.session_id
    )
    {%- endif -%}
{%- endmacro %}


{#- post-hook: removes the tombstones (a session with no source: not recorded, no events, no orders). Only
    this run writes them (its _run_id; the hook runs in the model's transaction, so a failed run leaves
    none): the rows it wrote are the last ones, so the scan skips the row groups of the history. -#}
{% macro delete_vanished_sessions() %}
    {%- if execute and this is not none and is_incremental()
        and ecommerce_segmentation.incremental_loading_supported() -%}
        delete from {{ this }}
        where _run_id = {{ ecommerce_segmentation.run_id() }}
            and not is_recorded_session and event_count = 0 and order_count = 0
    {%- else -%}
        select 1 as no_vanished_sessions
    {%- endif -%}
{% endmacro %}


{#
    known_order_ids(orders_relation, table_name, batch_cte): the body of a
    base_ model's CTE of the valid order ids (orders_relation: base_shop__orders,
    typed; distinct: a re-exported order has a valid row per version) that its
    rows are checked against (unknown_order). When the model processes new loads
    only (processes_new_loads_only(table_name)), only the orders the batch names
    (cleaned__order_id of batch_cte, the model's CTE of the batch's normalised
    rows): a semi-join instead of every order of the history, with the same
    result for every row of the batch.
#}
{% macro known_order_ids(orders_relation, table_name, batch_cte) -%}
    select distinct order_id from {{ orders_relation }}
    where quarantine_reason is null
    {%- if ecommerce_segmentation.processes_new_loads_only(table_name) %}
        and order_id in (select {{ batch_cte }}.{{ cleaned_column('order_id') }} from {{ batch_cte }})
    {%- endif %}
{%- endmacro %}
