{#
    Cross-database "parse or null" casts. dbt.safe_cast is a plain cast on
    DuckDB, so a value that does not parse would fail the whole build; these
    return null instead, and the base_ models turn that null into a
    quarantine reason.
#}

{% macro try_cast(expression, data_type) %}
    {{- return(adapter.dispatch('try_cast', 'ecommerce_segmentation')(expression, data_type)) -}}
{% endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro spark__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{# Text: trimmed, empty strings become null. #}
{% macro clean_text(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}


{#
    Timestamps: ISO-8601 text; an offset is converted to UTC, no offset means
    UTC. The warehouse session runs in UTC (profiles.yml).
#}
{% macro try_parse_timestamp(expression) %}
    {{- return(adapter.dispatch('try_parse_timestamp', 'ecommerce_segmentation')(expression)) -}}
{% endmacro %}

{% macro default__try_parse_timestamp(expression) -%}
    {{ ecommerce_segmentation.try_cast(clean_text(expression), dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__try_parse_timestamp(expression) -%}
    cast(try_cast({{ clean_text(expression) }} as timestamptz) as timestamp)
{%- endmacro %}


{% macro try_parse_date(expression) -%}
    cast({{ ecommerce_segmentation.try_parse_timestamp(expression) }} as date)
{%- endmacro %}


{#
    Whole numbers only: '3' and '3.0' parse, '1.5' does not (a plain
    try_cast to integer would round it on DuckDB). Through decimal(18, 6),
    so whole numbers of up to 12 digits parse; a longer one is unparseable.
    (decimal(38, 6) would take any 32 digits, but on DuckDB it parses about
    fifteen times slower: a 128-bit decimal.)
#}
{% macro try_parse_integer(expression) -%}
    {%- set as_decimal = ecommerce_segmentation.try_cast(clean_text(expression), 'decimal(18, 6)') -%}
    case
        when {{ as_decimal }} = floor({{ as_decimal }})
            then cast({{ as_decimal }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}


{#
    Money and other decimals: kept at 6 decimals (decimal(18, 6): up to 12
    whole digits), so a unit price of 0.005678 stays 0.005678. Amounts are
    rounded to cents only at the documented point of rounding (an order's
    revenue, int_order_revenue; docs/raw-data-contract.md), never on reading.
#}
{% macro try_parse_decimal(expression, precision=18, scale=6) -%}
    {{ ecommerce_segmentation.try_cast(clean_text(expression), 'decimal(' ~ precision ~ ', ' ~ scale ~ ')') }}
{%- endmacro %}


{# true/false, t/f, 1/0, yes/no, y/n in any case; anything else is null. #}
{% macro try_parse_boolean(expression) -%}
    case
        when lower(trim({{ expression }})) in ('true', 't', '1', 'yes', 'y') then true
        when lower(trim({{ expression }})) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}


{# Parse a raw text column as the contract type given in the sources file. #}
{% macro parse_as(expression, contract_type) -%}
    {%- if contract_type == 'timestamp' -%}
        {{ ecommerce_segmentation.try_parse_timestamp(expression) }}
    {%- elif contract_type == 'date' -%}
        {{ ecommerce_segmentation.try_parse_date(expression) }}
    {%- elif contract_type == 'integer' -%}
        {{ ecommerce_segmentation.try_parse_integer(expression) }}
    {%- elif contract_type == 'decimal' -%}
        {{ ecommerce_segmentation.try_parse_decimal(expression) }}
    {%- elif contract_type == 'boolean' -%}
        {{ ecommerce_segmentation.try_parse_boolean(expression) }}
    {%- elif contract_type == 'text' -%}
        {{ clean_text(expression) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("parse_as: unknown contract type '" ~ contract_type ~ "'") }}
    {%- endif -%}
{%- endmacro %}
