{#
    as_of_date(): a SQL expression (type date) for the day the customer facts
    are computed "as of": ages, the last-90/365-day revenue windows and any
    later recency measure count back from it.

    - dbt var `as_of_date` set (YYYY-MM-DD): that date, as a literal.
    - var unset / null / empty (the default): the latest order or event time
      in the data, as a date in shop time (var shop_timezone; model
      int_latest_data_date). Re-running on
      the same historical data therefore gives the same results, whatever
      the wall-clock date.

    The as-of date is a reference day, not a filter: facts after it (when the
    var is set to an earlier day) are still counted in lifetime measures.
    Use it in a CTE that is cross joined once, e.g.
        as_of as (select {{ '{{' }} as_of_date() {{ '}}' }} as as_of_date)
#}
{% macro as_of_date() %}
    {%- set configured = var('as_of_date', none) -%}
    {%- set text = (configured | string | trim) if configured is not none else '' -%}
    {%- if text | lower in ('', 'none', 'null') -%}
        (select latest_data.latest_data_date from {{ ref('int_latest_data_date') }} as latest_data)
    {%- else -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error("var('as_of_date') must be a date written YYYY-MM-DD (or empty for the latest data date); got '" ~ text ~ "'") }}
        {%- endif -%}
        cast('{{ text }}' as date)
    {%- endif -%}
{% endmacro %}
