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
      duplicate_key              a later copy of a primary key among valid rows
#}

{#
    parsed_columns(table_name): select items, each followed by a comma, that
    parse every non-text contract column once, as parsed__<column> (the
    contract type, null when the text does not parse). The base_ models
    select them in a `parsed` CTE; contract_violation and the table's extra
    checks use them instead of parsing again for every check (a timestamp
    with an offset is the costliest parse of a build: parsed once, the
    contract checks of events run about five times faster). The stg_ models
    parse the valid rows themselves, so that their unit tests show the
    parsing from text.
#}
{% macro parsed_columns(table_name) -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) if column.contract_type != 'text' %}
        {{ ecommerce_segmentation.parse_as(column.name, column.contract_type) }} as {{ parsed_column(column.name) }},
    {%- endfor %}
{%- endmacro %}

{% macro parsed_column(column_name) -%}
    parsed__{{ column_name }}
{%- endmacro %}


{#- contract_violation reads the parsed__<column> columns of parsed_columns. -#}
{% macro contract_violation(table_name, extra_checks=[]) -%}
    {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
    {%- set latest = ecommerce_segmentation.latest_accepted_timestamp() -%}
    case
        when _load_error is not null then _load_error
    {%- for column in columns if column.required %}
        when {{ clean_text(column.name) }} is null then 'missing_required:{{ column.name }}'
    {%- endfor %}
    {%- for column in columns if column.contract_type != 'text' and column.required %}
        when {{ clean_text(column.name) }} is not null
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
    every value was read. The stg_shop__ models carry it as
    unreadable_columns and read such a value as null (e.g. a discount of 0);
    the raw value stays in base_shop__<table> (the view of the raw rows with
    this column). Reads the parsed__<column> columns of parsed_columns.
#}
{% macro unreadable_columns(table_name) -%}
    {%- set checks = [] -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name)
        if column.contract_type != 'text' and not column.required -%}
        {%- do checks.append('case when ' ~ clean_text(column.name) ~ ' is not null and '
            ~ parsed_column(column.name) ~ " is null then '" ~ column.name ~ "' end") -%}
    {%- endfor -%}
    {#- _unreadable_columns: set by the loader for a value not in the file's encoding (duckdb__stage_unreadable_optional_values) -#}
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
    quarantine_reason: the contract violation, else 'duplicate_key' for the
    second and later valid row of a key. Which copy is kept is deterministic:
    the first in the order of all contract columns. key_columns are raw
    column names; only_when (SQL) limits the duplicate check to some rows.
#}
{% macro quarantine_reason(table_name, key_columns, violation_column='contract_violation', only_when='true') -%}
    {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
    {%- if not key_columns or not columns -%}
        {{ violation_column }}
    {%- else -%}
    coalesce(
        {{ violation_column }},
        case
            when {{ only_when }}
                and row_number() over (
                    partition by
                        {{ violation_column }} is null
                        {%- for key in key_columns %},
                        {{ clean_text(key) }}
                        {%- endfor %}
                    order by
                        {%- for column in columns %}
                        {{ column.name }} nulls last{{ ',' if not loop.last }}
                        {%- endfor %}
                ) > 1
                then 'duplicate_key'
        end
    )
    {%- endif -%}
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


{#
    The body of a quarantine_shop__<table> model: every quarantined row of the
    base model, with its reason, the file it came from and the raw row as
    JSON (for a CSV record the loader could not read: its line number,
    problem and text, from _rejected_record). carry_columns are raw columns kept as their own text columns (keys,
    customer_id) so a row can be found again, e.g. to erase a customer.
#}
{% macro quarantine_select(table_name, base_relation, carry_columns=[]) -%}
    {%- set record = ecommerce_segmentation.raw_record_json(table_name) if execute else "''" -%}
with base as (

    select * from {{ base_relation }}

),

quarantined as (

    select
        quarantine_reason,
        _source_file,
        {%- for column in carry_columns %}
        {{ column }},
        {%- endfor %}
        coalesce(_rejected_record, {{ record }}) as raw_record
    from base
    where quarantine_reason is not null

),

final as (

    select
        {{ dbt.concat([dbt.hash("raw_record"), "'-'", "cast(row_number() over (partition by raw_record, quarantine_reason order by _source_file) as " ~ dbt.type_string() ~ ")"]) }}
            as quarantine_id,
        '{{ table_name }}' as source_table,
        _source_file as source_file,
        quarantine_reason,
        {{ dbt.split_part('quarantine_reason', "':'", 1) }} as reason_code,
        {%- for column in carry_columns %}
        {{ column }},
        {%- endfor %}
        raw_record
    from quarantined

)

select * from final
{%- endmacro %}
