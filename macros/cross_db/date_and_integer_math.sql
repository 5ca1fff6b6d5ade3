{#
    Portable date and integer arithmetic used by the customer facts.
    Each macro dispatches (adapter.dispatch(..., 'ecommerce_segmentation'))
    because DuckDB and Spark spell these differently. All are null-safe: a
    null argument gives null (dbt.datediff on Spark raises on null dates,
    which is why days_between does not simply wrap it).
#}

{# ISO day of week of a date or timestamp: 1 = Monday ... 7 = Sunday. #}
{% macro iso_day_of_week(expression) %}
    {{- return(adapter.dispatch('iso_day_of_week', 'ecommerce_segmentation')(expression)) -}}
{% endmacro %}

{% macro default__iso_day_of_week(expression) -%}
    cast(extract(isodow from {{ expression }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro duckdb__iso_day_of_week(expression) -%}
    cast(isodow({{ expression }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__iso_day_of_week(expression) -%}
    {#- Spark's dayofweek is 1 = Sunday ... 7 = Saturday. -#}
    cast(((dayofweek({{ expression }}) + 5) % 7) + 1 as {{ dbt.type_int() }})
{%- endmacro %}


{# Whole calendar days from start_date to end_date (negative when end is earlier). #}
{% macro days_between(start_date, end_date) %}
    {{- return(adapter.dispatch('days_between', 'ecommerce_segmentation')(start_date, end_date)) -}}
{% endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff('cast(' ~ start_date ~ ' as date)', 'cast(' ~ end_date ~ ' as date)', 'day') }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    cast(cast({{ end_date }} as date) - cast({{ start_date }} as date) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}


{# Whole seconds from start_at to end_at (timestamps). #}
{% macro seconds_between(start_at, end_at) %}
    {{- return(adapter.dispatch('seconds_between', 'ecommerce_segmentation')(start_at, end_at)) -}}
{% endmacro %}

{% macro default__seconds_between(start_at, end_at) -%}
    {{ dbt.datediff(start_at, end_at, 'second') }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_at, end_at) -%}
    date_diff('second', {{ start_at }}, {{ end_at }})
{%- endmacro %}

{% macro spark__seconds_between(start_at, end_at) -%}
    (unix_timestamp({{ end_at }}) - unix_timestamp({{ start_at }}))
{%- endmacro %}


{#
    Integer division of two whole numbers (bigint), truncated towards zero,
    exact (no detour through doubles). Used for cent-exact allocations and
    rounding; callers pass non-negative numerators and positive divisors.
#}
{% macro integer_divide(numerator, denominator) %}
    {{- return(adapter.dispatch('integer_divide', 'ecommerce_segmentation')(numerator, denominator)) -}}
{% endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    cast(trunc(({{ numerator }}) / ({{ denominator }})) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro duckdb__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}
