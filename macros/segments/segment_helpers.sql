{#
    Helpers of the segment marts (lifecycle, behaviour segments, migration).
#}


{#
    add_days(date_expression, days_expression): the date `days` calendar days
    after the date (negative goes back), as a date; null when either is null.
    Dispatched because dbt.dateadd returns a timestamp on DuckDB and raises
    on a null date on Spark (assert_not_null).
#}
{% macro add_days(date_expression, days_expression) %}
    {{- return(adapter.dispatch('add_days', 'ecommerce_segmentation')(date_expression, days_expression)) -}}
{% endmacro %}

{% macro default__add_days(date_expression, days_expression) -%}
    cast({{ dbt.dateadd('day', days_expression, date_expression) }} as date)
{%- endmacro %}

{% macro duckdb__add_days(date_expression, days_expression) -%}
    cast(cast({{ date_expression }} as date) + cast({{ days_expression }} as integer) as date)
{%- endmacro %}

{% macro spark__add_days(date_expression, days_expression) -%}
    date_add(cast({{ date_expression }} as date), cast({{ days_expression }} as int))
{%- endmacro %}


{#
    numeric_var(name, minimum=none, integer=false): the dbt var as a number
    literal, checked at compile time (a typo in --vars fails the compile
    instead of silently changing a segment).
#}
{% macro numeric_var(name, minimum=none, integer=false) %}
    {%- set raw = var(name) -%}
    {%- set text = raw | string | trim -%}
    {%- if not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', text) -%}
        {{ exceptions.raise_compiler_error("var('" ~ name ~ "') must be a number; got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- if integer and '.' in text -%}
        {{ exceptions.raise_compiler_error("var('" ~ name ~ "') must be a whole number; got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- if minimum is not none and (text | float) < minimum -%}
        {{ exceptions.raise_compiler_error("var('" ~ name ~ "') must be at least " ~ minimum ~ "; got '" ~ text ~ "'") }}
    {%- endif -%}
    {{- return(text) -}}
{% endmacro %}


{#
    percent_var_text(name): a share var (e.g. 0.75) as text for reasons ('75%').
#}
{% macro percent_var_text(name) %}
    {%- set value = numeric_var(name, minimum=0) | float -%}
    {%- set percent = value * 100 -%}
    {%- if (percent - (percent | round(0))) | abs < 0.000001 -%}
        {{- return((percent | round(0) | int | string) ~ '%') -}}
    {%- else -%}
        {{- return((percent | round(2) | string) ~ '%') -}}
    {%- endif -%}
{% endmacro %}


{#
    percent_text(numerator, denominator): 100 x numerator / denominator rounded
    half up to a whole percent, as text with '%' (e.g. '67%'), computed in
    integer arithmetic so both engines print the same. Whole, non-negative
    numbers; denominator > 0.
#}
{% macro percent_text(numerator, denominator) -%}
    {{ dbt.concat([
        'cast(' ~ ecommerce_segmentation.integer_divide(
            '200 * cast(' ~ numerator ~ ' as ' ~ dbt.type_bigint() ~ ') + cast(' ~ denominator ~ ' as ' ~ dbt.type_bigint() ~ ')',
            '2 * cast(' ~ denominator ~ ' as ' ~ dbt.type_bigint() ~ ')') ~ ' as ' ~ dbt.type_string() ~ ')',
        "'%'",
    ]) }}
{%- endmacro %}


{#
    share(numerator, denominator): numerator / denominator as a double; null
    when the denominator is 0 or null. Both are cast to double first; with
    whole numbers (counts, cents) the quotient is correctly rounded, so a
    share exactly equal to a threshold such as 0.6 compares equal to it.
#}
{% macro share(numerator, denominator) -%}
    case
        when {{ denominator }} > 0
            then cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}


{#
    date_var(name): a YYYY-MM-DD dbt var as a date literal, or none when the
    var is unset / null / empty.
#}
{% macro date_var(name) %}
    {%- set configured = var(name, none) -%}
    {%- set text = (configured | string | trim) if configured is not none else '' -%}
    {%- if text | lower in ('', 'none', 'null') -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("var('" ~ name ~ "') must be a date written YYYY-MM-DD (or empty); got '" ~ text ~ "'") }}
    {%- endif -%}
    {{- return(text) -}}
{% endmacro %}

