{#
    as_of_date(latest_data_date): the SQL expression (type date) of the day
    the customer facts are computed "as of". Called in one place only, the
    one-row model int_as_of_date; every model that needs the as-of date
    joins that model (`cross join as_of`, with
    `as_of as (select * from {{ '{{' }} ref('int_as_of_date') {{ '}}' }})`),
    so the dependency is a visible ref in its SQL.

    - dbt var `as_of_date` set (YYYY-MM-DD): that date, as a literal.
    - var unset / null / empty (the default): latest_data_date, the
      expression given (int_as_of_date passes the latest order or event date
      in shop time, model int_latest_data_date). Re-running on the same
      historical data therefore gives the same results, whatever the
      wall-clock date.

    The as-of date is a reference day, not a filter: facts after it (when the
    var is set to an earlier day) are still counted in lifetime measures.
#}
{% macro as_of_date(latest_data_date) %}
    {%- set configured = var('as_of_date', none) -%}
    {%- set text = (configured | string | trim) if configured is not none else '' -%}
    {%- if text | lower in ('', 'none', 'null') -%}
        {{ latest_data_date }}
    {%- else -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error("var('as_of_date') must be a date written YYYY-MM-DD (or empty for the latest data date); got '" ~ text ~ "'") }}
        {%- endif -%}
        cast('{{ text }}' as date)
    {%- endif -%}
{% endmacro %}
