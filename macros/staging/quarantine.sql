{#
    Contract enforcement for the base_ models. Reason codes, first failing
    check wins, in this order:
      (load error)               a CSV record the loader could not read
                                 (_load_error: unparseable:<column> or
                                 unparseable:csv_record, see load_raw_tables)
      missing_required:<column>  a column the contract requires is empty
      unparseable:<column>       a non-empty value of a required column that is
                                 not of the contract type (in a column that is
                                 not required, such a value does not quarantine
                                 the row: it becomes null and the column is
                                 named in unreadable_columns, see below)
      out_of_range:<column>      a timestamp or date outside 1900-2100 or later
                                 than the run's start plus
                                 var('future_date_tolerance_days')
      out_of_range:<column>,     the contract's per-column value rules (meta
      invalid_value:<column>     range, accepted_values, length), in the order
                                 of contract_value_checks
                                 (macros/loading/contract.sql)
      (extra_checks)             table-specific checks, e.g. unknown_order
                                 (order lines and returns),
                                 unknown_exchange_rate:currency (orders)
      duplicate_key              a later copy of a primary key among valid rows,
                                 in delivery order (a fact: across files and
                                 batches; an entity: within one file, a later
                                 file's row being a new version)
#}

{#
    parsed_columns(table_name): select items, each followed by a comma, that
    parse every non-text contract column once, from its normalised text
    cleaned__<column> (cleaned_columns), as parsed__<column> (the contract
    type, null when the text does not parse). The base_ models select them
    in a `parsed` CTE over their `cleaned` CTE; contract_violation and the table's extra
    checks use them instead of parsing again for every check (a timestamp
    with an offset is the costliest parse of a build: parsed once, the
    contract checks of events run about five times faster). The same
    parsed values are the base model's typed columns (base_columns): the
    stg_ and quarantine_ models never parse again.
#}
{% macro parsed_columns(table_name) -%}
    {#- trimmed: the first item lands where the caller wrote the call, no blank line before it -#}
    {%- set items -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) if column.contract_type != 'text' %}
        {{ ecommerce_segmentation.parse_as(cleaned_column(column.name), column.contract_type, cleaned=true) }} as {{ parsed_column(column.name) }},
    {%- endfor %}
    {%- endset -%}
    {{ items | trim }}
{%- endmacro %}

{% macro parsed_column(column_name) -%}
    parsed__{{ column_name }}
{%- endmacro %}

{#
    cleaned_columns(table_name): select items, each followed by a comma, of
    clean_text of every contract column, as cleaned__<column>: the contract's
    text normalisation computed once a row and column. A base_ model selects
    them in a `cleaned` CTE over its raw rows, before `parsed`; the key
    joins, parsed_columns, contract_violation, unreadable_columns, the
    duplicate-key check (quarantine_reason_ctes) and base_columns read them
    instead of normalising the raw text again (event_id was normalised up to
    seven times a row).
#}
{% macro cleaned_columns(table_name) -%}
    {%- set items -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) %}
        {{ clean_text(column.name) }} as {{ cleaned_column(column.name) }},
    {%- endfor %}
    {%- endset -%}
    {{ items | trim }}
{%- endmacro %}

{% macro cleaned_column(column_name) -%}
    cleaned__{{ column_name }}
{%- endmacro %}


{#- contract_violation reads the parsed__<column> columns of parsed_columns and the cleaned__<column> columns of cleaned_columns. -#}
{% macro contract_violation(table_name, extra_checks=[]) -%}
    {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
    {%- set latest = ecommerce_segmentation.latest_accepted_timestamp() -%}
    case
        when _load_error is not null then _load_error
    {%- for column in columns if column.required %}
        when {{ cleaned_column(column.name) }} is null then 'missing_required:{{ column.name }}'
    {%- endfor %}
    {%- for column in columns if column.contract_type != 'text' and column.required %}
        when {{ cleaned_column(column.name) }} is not null
            and {{ parsed_column(column.name) }} is null
            then 'unparseable:{{ column.name }}'
    {%- endfor %}
    {%- for column in columns if column.contract_type in ('timestamp', 'date') %}
        {%- set parsed = parsed_column(column.name) %}
        when extract(year from {{ parsed }}) not between 1900 and 2100
            {%- if latest is not none %}
            or {{ parsed }} > cast({{ latest }} as {{ 'date' if column.contract_type == 'date' else dbt.type_timestamp() }})
            {%- endif %}
            then 'out_of_range:{{ column.name }}'
    {%- endfor %}
    {%- for check in ecommerce_segmentation.contract_value_checks(table_name) + extra_checks %}
        when {{ check.when }} then '{{ check.reason }}'
    {%- endfor %}
    end
{%- endmacro %}


{#
    unreadable_columns(table_name): an order must not vanish because an
    optional column is unreadable. For the columns the contract does not
    require (meta.required false) and that are not text: the names, comma
    separated in contract order, of those whose non-empty value does not
    parse (their parsed__<column> is null), e.g. 'discount_amount'; null when
    every value was read. The base_shop__ models read such a value as null
    (e.g. a discount of 0 in stg_shop__orders) and keep the row's raw values
    in raw_record; the stg_shop__ models carry unreadable_columns. Reads the
    parsed__<column> columns of parsed_columns.
#}
{% macro unreadable_columns(table_name) -%}
    {%- set checks = [] -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name)
        if column.contract_type != 'text' and not column.required -%}
        {%- do checks.append('case when ' ~ cleaned_column(column.name) ~ ' is not null and '
            ~ parsed_column(column.name) ~ " is null then '" ~ column.name ~ "' end") -%}
    {%- endfor -%}
    {#- _unreadable_columns: set by the loader for a value not in the file's encoding (duckdb_stage_unreadable_optional_values) -#}
    nullif(concat_ws(',', _unreadable_columns{{ ',\n        ' if checks else '' }}{{ checks | join(',\n        ') }}), '')
{%- endmacro %}


{#
    latest_accepted_timestamp(): the latest time a raw timestamp or date may
    hold, as an SQL timestamp literal: the run's start (run_started_at, UTC)
    plus var('future_date_tolerance_days'). Later values are in the future,
    which no recorded event can be, and are quarantined as
    out_of_range:<column>. One literal per run, so every model of a run
    judges alike. none when the var is null (check off).
#}
{% macro latest_accepted_timestamp() %}
    {%- set days = var('future_date_tolerance_days', 1) -%}
    {%- if days is none or (days | string | trim | lower) in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set latest = run_started_at + modules.datetime.timedelta(days=(days | float)) -%}
    {{ return("cast('" ~ latest.strftime('%Y-%m-%d %H:%M:%S') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}


{#
    first_copy_ctes: the duplicate-key check, as CTEs to write after the
    CTE `input` (a CTE list continues after them). The CTE `output` is every
    row of `input` plus `reason_column`: the input's `violation_column`,
    else 'duplicate_key' for the second and later copy of a key among the
    candidate rows (`violation_column` null and `only_when` true; only_when
    must be a function of the key, as `<line_number> is not null` is). Which
    copy is kept is deterministic: the first in `order_by` (SQL, nulls
    placed); partition_by: the key as SQL expressions (of required columns:
    never null in a candidate row). known_column (SQL, boolean, optional): a
    candidate row whose key was delivered in an earlier batch (a valid row of
    {{ this }} in an incremental base_ model) is a duplicate_key too, its
    first copy included.

    The same result as
        row_number() over (partition by <violation> is null, <key>
                           order by <order_by>) > 1
    over all rows, at the cost it should have: the keys of the candidate
    rows are counted with one hash aggregate, and only the rows of a key
    that occurs more than once are sorted (on the large shop, 49M events
    of which a few thousand repeat, instead of a sort of all 49M rows).
    Helper columns are named <output>__*. <output>__keyed is read twice:
    DuckDB computes it once; on Spark, shared_cte_condition() keeps it
    from being copied into both readers.
#}
{% macro first_copy_ctes(input, output, partition_by, order_by, violation_column='contract_violation',
                         only_when='true', reason_column='quarantine_reason', known_column=none,
                         possibly_repeated_column=none) -%}
{%- if possibly_repeated_column %}
{{ output }}__flagged as {{ ecommerce_segmentation.not_materialized() }} (

    select
        *,
        ({{ violation_column }} is null and {{ only_when }}) as {{ output }}__candidate,
        ({{ violation_column }} is null and {{ only_when }} and {{ possibly_repeated_column }}) as {{ output }}__is_repeated
        {%- for expression in partition_by %},
        {{ expression }} as {{ output }}__key_{{ loop.index }}
        {%- endfor %}
    from {{ input }}

),

{{ output }}__ranked as (

    select
        *,
        row_number() over (
            partition by
                {%- for expression in partition_by %}
                {{ output }}__key_{{ loop.index }}{{ ',' if not loop.last }}
                {%- endfor %}
            order by {{ order_by }}
        ) as {{ output }}__copy
    from {{ output }}__flagged
    {#- the possibly-repeated test first and alone: a filter on a joined key that the engine pushes below the parsing #}
    where {{ possibly_repeated_column }} and {{ output }}__is_repeated
    union all
    select
        *,
        1 as {{ output }}__copy
    from {{ output }}__flagged
    where not coalesce({{ output }}__is_repeated, false)

),
{%- else %}
{{ output }}__keyed as (

    select
        *,
        ({{ violation_column }} is null and {{ only_when }}) as {{ output }}__candidate
        {%- for expression in partition_by %},
        {{ expression }} as {{ output }}__key_{{ loop.index }}
        {%- endfor %}
    from {{ input }}
    {#- read twice below: computed once on Spark too (macros/cross_db/shared_cte.sql) #}
    where true{{ ecommerce_segmentation.shared_cte_condition() }}

),

{{ output }}__repeated_keys as (

    select
        {%- for expression in partition_by %}
        {{ output }}__key_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ output }}__keyed
    where {{ output }}__candidate
    group by
        {%- for expression in partition_by %}
        {{ output }}__key_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    having count(*) > 1

),

{{ output }}__flagged as (

    select
        {{ output }}__keyed.*,
        coalesce({{ output }}__keyed.{{ output }}__candidate
            and {{ output }}__repeated_keys.{{ output }}__key_1 is not null, false) as {{ output }}__is_repeated
    from {{ output }}__keyed
    left join {{ output }}__repeated_keys
        on
        {%- for expression in partition_by %}
            {{ 'and ' if not loop.first }}{{ output }}__keyed.{{ output }}__key_{{ loop.index }}
            = {{ output }}__repeated_keys.{{ output }}__key_{{ loop.index }}
        {%- endfor %}

),

{{ output }}__ranked as (

    select
        *,
        row_number() over (
            partition by
                {%- for expression in partition_by %}
                {{ output }}__key_{{ loop.index }}{{ ',' if not loop.last }}
                {%- endfor %}
            order by {{ order_by }}
        ) as {{ output }}__copy
    from {{ output }}__flagged
    where {{ output }}__is_repeated
    union all
    select
        *,
        1 as {{ output }}__copy
    from {{ output }}__flagged
    where not {{ output }}__is_repeated

),
{%- endif %}

{{ output }} as (

    select
        *,
        coalesce(
            {{ violation_column }},
            case
                when {{ output }}__copy > 1 then 'duplicate_key'
                {%- if known_column %}
                when {{ output }}__candidate and {{ known_column }} then 'duplicate_key'
                {%- endif %}
            end
        ) as {{ reason_column }}
    from {{ output }}__ranked

)
{%- endmacro %}


{#
    The duplicate-key check without holding the checked rows twice (large
    tables: 49M events). repeated_raw_keys(relation, keys, when) is the body
    of a CTE of the key hashes (raw_key_hash of keys: SQL over the raw
    columns, e.g. clean_text of the key columns) that occur more than once
    among the raw rows of relation where `when` holds: one scan of the key
    columns and a hash aggregate of one integer per row. A base_ model left
    joins it to its raw rows on the same hash and passes
    `<cte>.key_hash is not null` (a boolean column) to first_copy_ctes /
    quarantine_reason_ctes as possibly_repeated_column: only those rows (a
    superset of the rows whose key repeats among the candidates: keys that
    repeat among all raw rows, plus the rare hash collision) are ranked, and
    a filter on that joined column lets the engine parse and check the
    others once. The keys may be coarser than partition_by (a subset of its
    parts, raw-level), never finer.
#}
{% macro repeated_raw_keys(relation, keys, when='true') -%}
    select {{ ecommerce_segmentation.raw_key_hash(keys) }} as key_hash
    from {{ relation }}
    where {{ when }}
    group by {{ ecommerce_segmentation.raw_key_hash(keys) }}
    having count(*) > 1
{%- endmacro %}

{#- raw_key_hash(expressions): one 64-bit hash of the parts (SQL of any type); equal parts give equal hashes (collisions only widen the superset of repeated_raw_keys; as int_sessions_stitched's orders signature a change is missed with probability 2^-64). -#}
{% macro raw_key_hash(expressions) %}
    {{- return(adapter.dispatch('raw_key_hash', 'ecommerce_segmentation')(expressions)) -}}
{% endmacro %}

{% macro default__raw_key_hash(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__raw_key_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro spark__raw_key_hash(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}

{#- not_materialized(): the keyword that has a CTE read twice inlined (DuckDB materialises such a CTE, all its rows and columns, by default); nothing elsewhere (Spark inlines CTEs). -#}
{% macro not_materialized() %}
    {{- return(adapter.dispatch('not_materialized', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}


{#
    quarantine_reason_ctes: first_copy_ctes for a table's primary key
    (key_columns: raw column names or SQL of them, compared as clean_text),
    the first delivered copy kept: first in delivery order (load id, file,
    line; macro delivery_order), ties broken by all contract columns as read
    (raw text, nulls last). per_file: the key is checked within each file
    only (an entity: a later file's row for a known key is a new version,
    not a duplicate; docs/raw-data-contract.md, "Facts and entities").
    known_column: see first_copy_ctes. Without key columns, `output` is
    `input` with reason_column = violation_column (identical rows are
    separate rows).
#}
{% macro quarantine_reason_ctes(table_name, input, output, key_columns, violation_column='contract_violation',
                                only_when='true', per_file=false, known_column=none,
                                possibly_repeated_column=none) -%}
    {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
    {%- if not key_columns or not columns -%}
{{ output }} as (

    select
        *,
        {{ violation_column }} as quarantine_reason
    from {{ input }}

)
    {%- else -%}
    {%- set names = [] -%}
    {%- for column in columns -%}
        {%- do names.append(column.name) -%}
    {%- endfor -%}
    {%- set keys = [] -%}
    {%- for key in key_columns -%}
        {#- a contract column: its cleaned__<column> (cleaned_columns); other SQL normalised here -#}
        {%- do keys.append(cleaned_column(key) if key in names else clean_text(key)) -%}
    {%- endfor -%}
    {%- if per_file -%}
        {%- do keys.append("coalesce(_source_file, '')") -%}
    {%- endif -%}
{{ ecommerce_segmentation.first_copy_ctes(input, output, keys, ecommerce_segmentation.delivery_order(names),
    violation_column=violation_column, only_when=only_when, known_column=known_column,
    possibly_repeated_column=possibly_repeated_column) }}
    {%- endif -%}
{%- endmacro %}


{#
    loader_metadata_columns(relation): the columns the loader adds to every
    raw relation and the base_ models pass through to staging and the
    quarantine: _source_file, any other _source_* column (e.g. the line of a
    CSV record) and _load_id, in the relation's order, then _record_at. The
    one list of them: a new loader column of that kind is passed through
    without a change here. When the relation's columns cannot be read (a
    dbt unit test reads a fixture, parse time), _source_file and _record_at.
#}
{% macro loader_metadata_columns(relation) %}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- set name = column.name | lower -%}
            {%- if (name.startswith('_source_') or name == '_load_id') and name not in names -%}
                {%- do names.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if '_source_file' not in names -%}
        {%- do names.insert(0, '_source_file') -%}
    {%- endif -%}
    {%- do names.append('_record_at') -%}
    {{ return(names) }}
{% endmacro %}


{#
    base_columns(table_name, relation, lower, upper, expressions): the select
    list of a base_ model's final CTE, read from the CTE that holds the raw
    columns, parsed__<column>, unreadable_columns and quarantine_reason:
      - every contract column under its own name, typed and normalised once
        for staging: a non-text column its parsed value (the contract type;
        null when it does not parse: an unreadable optional value), a text
        column clean_text of it, lower- or upper-cased when named in lower /
        upper, or the SQL given in expressions[<column>];
      - unreadable_columns, quarantine_reason (null: a valid row);
      - the loader's metadata columns (loader_metadata_columns of relation,
        the raw relation);
      - raw_record: the row's contract columns as read, as JSON text, for a
        quarantined row (a CSV record the loader could not read: its
        _rejected_record) and for a row with an unreadable optional value
        (its raw value is shown in the quarantine limit's message); null
        for every other row, so a clean row carries no raw copy.
#}
{% macro base_columns(table_name, relation, lower=[], upper=[], expressions={}) -%}
    {%- set record = ecommerce_segmentation.raw_record_json(table_name) if execute else "''" -%}
    {#- trimmed: the first item lands where the caller wrote the call, no blank line before it -#}
    {%- set items -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) %}
        {% if column.name in expressions -%}
        {{ expressions[column.name] }}
        {%- elif column.contract_type != 'text' -%}
        {{ parsed_column(column.name) }}
        {%- elif column.name in lower -%}
        lower({{ cleaned_column(column.name) }})
        {%- elif column.name in upper -%}
        upper({{ cleaned_column(column.name) }})
        {%- else -%}
        {{ cleaned_column(column.name) }}
        {%- endif %} as {{ column.name }},
    {%- endfor %}
        unreadable_columns,
        quarantine_reason,
    {%- set record_time = ecommerce_segmentation.record_time_contract_column(table_name) %}
    {%- for name in ecommerce_segmentation.loader_metadata_columns(relation) %}
        {%- if name == '_record_at' and record_time %}
        {#- the loader's _record_at is this same parse of the record-time column, null for a record it could not read (load_raw_tables): not parsed twice #}
        case when _load_error is null then {{ parsed_column(record_time) }} end as _record_at,
        {%- else %}
        {{ name }},
        {%- endif %}
    {%- endfor %}
        case
            when quarantine_reason is not null then coalesce(_rejected_record, {{ record }})
            when unreadable_columns is not null then {{ record }}
        end as raw_record
    {%- endset -%}
    {{ items | trim }}
{%- endmacro %}


{#
    record_time_contract_column(table_name): the table's meta.record_time_column
    when it is a timestamp column of the contract (the loader's _record_at is
    then try_parse_timestamp of its text, exactly as parsed__<column>, and
    null for a record with a _load_error), else
    none (unit tests, parse time: _record_at is passed through).
#}
{% macro record_time_contract_column(table_name) %}
    {%- set name = ecommerce_segmentation.contract_table_meta(table_name).get('record_time_column') -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) if name and column.name == name and column.contract_type == 'timestamp' -%}
        {{ return(name) }}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{#
    json_text_field(json, field): the text value of a top-level field of a
    JSON object text (null when the field is missing or JSON null), as it
    was before it was written to JSON.
#}
{% macro json_text_field(json, field) %}
    {{- return(adapter.dispatch('json_text_field', 'ecommerce_segmentation')(json, field)) -}}
{% endmacro %}

{% macro default__json_text_field(json, field) -%}
    get_json_object({{ json }}, '$.{{ field }}')
{%- endmacro %}

{% macro duckdb__json_text_field(json, field) -%}
    json_extract_string({{ json }}, '$.{{ field }}')
{%- endmacro %}

{% macro spark__json_text_field(json, field) -%}
    get_json_object({{ json }}, '$.{{ field }}')
{%- endmacro %}


{# The contract columns of a raw row as one JSON text, for the quarantine. #}
{% macro raw_record_json(table_name) %}
    {{- return(adapter.dispatch('raw_record_json', 'ecommerce_segmentation')(table_name)) -}}
{% endmacro %}

{% macro default__raw_record_json(table_name) -%}
    to_json(named_struct(
    {%- for column in ecommerce_segmentation.contract_columns(table_name) %}
        '{{ column.name }}', {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    ))
{%- endmacro %}

{% macro duckdb__raw_record_json(table_name) -%}
    cast(to_json(struct_pack(
    {%- for column in ecommerce_segmentation.contract_columns(table_name) %}
        {{ column.name }} := {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    )) as varchar)
{%- endmacro %}

{#- Spark's to_json drops null fields unless ignoreNullFields is false: kept ("c":null), as DuckDB writes them, so raw_record and quarantine_id are the same on both engines. -#}
{% macro spark__raw_record_json(table_name) -%}
    to_json(named_struct(
    {%- for column in ecommerce_segmentation.contract_columns(table_name) %}
        '{{ column.name }}', {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}


{#
    The body of a quarantine_shop__<table> model: every quarantined row of the
    base model, with its reason, the file it came from and the raw row as
    JSON (raw_record of the base model; for a CSV record the loader could
    not read: its line number, problem and text). carry_columns are raw
    columns kept as their own text columns, as the file gave them (keys,
    customer_id, read back from raw_record), so a row can be found again,
    e.g. to erase a customer. Nothing is parsed here: the base model did.

    quarantine_id: md5 of raw_record, '-', the row's occurrence number among
    the quarantined rows with the same raw_record and reason, in delivery
    order (load id, then file). Incremental (staging_materialization, as the
    stg_ models; macros/staging/incremental.sql): a run appends the
    quarantined rows of the load ids not seen yet (_load_id), numbered on from
    the largest occurrence number {{ this }} already holds for the same
    raw_record and reason, so the same bad row delivered in two batches is
    <hash>-1 and <hash>-2, as a full refresh over the same files numbers them
    (files named in delivery order, as the loader asks). A table the raw layer
    reads whole again is rebuilt (pre-hook reset_incremental_model). A table
    built before the quarantine was incremental (no _load_id column) is
    rebuilt once from every base row: the pre-hook
    reset_quarantine_without_load_id adds the column and empties it. Not with a selective --full-refresh:
    that empties the file manifest, whose files the next build would load
    again (macros/loading/file_manifest.sql).
#}
{% macro quarantine_select(table_name, base_relation, carry_columns=[]) -%}
{{- config(
    materialized=ecommerce_segmentation.staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('" ~ table_name ~ "') }}", "{{ reset_quarantine_without_load_id() }}"]) -}}
{#- a table built before the quarantine was incremental (no _load_id) is rebuilt from every base row, once -#}
{%- set appends = ecommerce_segmentation.processes_new_loads_only(table_name)
    and ecommerce_segmentation.quarantine_has_load_ids() -%}
with base as (

    select * from {{ base_relation }}
    where quarantine_reason is not null
        and {{ ecommerce_segmentation.new_load_ids_filter(table_name) if appends else 'true' }}

),

quarantined as (

    select
        quarantine_reason,
        _source_file,
        _load_id,
        {%- for column in carry_columns %}
        {{ ecommerce_segmentation.json_text_field('raw_record', column) }} as {{ column }},
        {%- endfor %}
        raw_record
    from base

),

earlier_occurrences as (

    {#- the largest occurrence number kept per raw row and reason that the batch delivers again #}
    {%- if appends %}
    select
        raw_record,
        quarantine_reason,
        max(cast({{ dbt.split_part('quarantine_id', "'-'", 2) | trim }} as {{ dbt.type_int() }})) as occurrences -- noqa: LT01
    from {{ this }}
    where raw_record in (select quarantined.raw_record from quarantined)
    group by raw_record, quarantine_reason
    {%- else %}
    select
        raw_record,
        quarantine_reason,
        0 as occurrences
    from quarantined
    where false
    {%- endif %}

),

numbered as (

    select
        quarantined.*,
        coalesce(earlier_occurrences.occurrences, 0) + row_number() over (
            partition by quarantined.raw_record, quarantined.quarantine_reason
            order by quarantined._load_id, quarantined._source_file
        ) as occurrence
    from quarantined
    left join earlier_occurrences
        on
            quarantined.raw_record = earlier_occurrences.raw_record
            and quarantined.quarantine_reason = earlier_occurrences.quarantine_reason

),

final as (

    select
        {{ dbt.concat([dbt.hash("raw_record"), "'-'", "cast(occurrence as " ~ dbt.type_string() ~ ")"]) }}
            as quarantine_id,
        '{{ table_name }}' as source_table,
        _source_file as source_file,
        quarantine_reason,
        {#- noqa: dbt-duckdb's split_part writes `[ 1 ]` #}
        {{ dbt.split_part('quarantine_reason', "':'", 1) | trim }} as reason_code, -- noqa: LT01
        {%- for column in carry_columns %}
        {{ column }},
        {%- endfor %}
        raw_record,
        _load_id
    from numbered

)

select * from final
{%- endmacro %}


{#- Whether {{ this }} (an incremental quarantine table) has the _load_id column (false while parsing, for a new table). -#}
{% macro quarantine_has_load_ids() %}
    {%- if not execute or this is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if relation is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower == '_load_id' -%}
        {{ return(true) }}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}


{#- pre-hook of the quarantine models: adds _load_id to a table built before they were incremental and empties it; quarantine_select then fills it from every base row. -#}
{% macro reset_quarantine_without_load_id() %}
    {%- if execute and this is not none and is_incremental()
        and ecommerce_segmentation.incremental_loading_supported()
        and not ecommerce_segmentation.quarantine_has_load_ids() -%}
        alter table {{ this }} add column _load_id {{ dbt.type_bigint() }};
        delete from {{ this }}
    {%- else -%}
        select 1 as nothing_to_reset
    {%- endif -%}
{% endmacro %}
