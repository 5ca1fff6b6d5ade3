{#
    Shop time: every date, hour, weekday, month and quarter a person reads is
    in the shop's own time zone, var('shop_timezone') (an IANA name such as
    'Europe/Warsaw'; default 'UTC'). Timestamps (<event>_at columns) stay UTC
    instants, stored as naive UTC timestamps; only what is derived from them
    for people to read goes through these macros. Daylight saving time is the
    engine's time-zone database (DuckDB: ICU, built into the duckdb package;
    Spark: the JVM's tz database), so e.g. 2025-03-30T01:30:00Z is 03:30 in
    Warsaw (CEST, +2) and 2025-03-29T23:30:00Z is 00:30 (CET, +1).

    - shop_timezone(): the validated var, as text. A name that is not an IANA
      time zone (checked against pytz's list at compile time) fails the
      compilation with a clear message.
    - to_shop_time(expression): the wall-clock time in the shop of a naive
      UTC timestamp, as a naive timestamp (type timestamp). With shop_timezone
      'UTC' (or 'Etc/UTC') it is the expression itself.
    - shop_date(expression): the shop's calendar date (type date) of a naive
      UTC timestamp.
    - shop_date_of_run(): the shop's calendar date at the run's start
      (run_started_at), as a date literal.
#}
{% macro shop_timezone() %}
    {%- set name = var('shop_timezone', 'UTC') -%}
    {%- set text = (name | string | trim) if name is not none else '' -%}
    {%- if text not in modules.pytz.all_timezones_set -%}
        {{ exceptions.raise_compiler_error("var('shop_timezone') must be an IANA time zone name such as 'Europe/Warsaw' or 'UTC'; got '" ~ text ~ "'") }}
    {%- endif -%}
    {{- return(text) -}}
{% endmacro %}


{% macro to_shop_time(expression) %}
    {%- if ecommerce_segmentation.shop_timezone() in ('UTC', 'Etc/UTC') -%}
        {{- return('(' ~ expression ~ ')') -}}
    {%- endif -%}
    {{- return(adapter.dispatch('to_shop_time', 'ecommerce_segmentation')(expression, ecommerce_segmentation.shop_timezone())) -}}
{% endmacro %}

{#- ANSI / PostgreSQL: a timestamp without time zone AT TIME ZONE 'UTC' is the
    instant; that instant AT TIME ZONE the shop's zone is its local wall clock. -#}
{% macro default__to_shop_time(expression, timezone) -%}
    (({{ expression }}) at time zone 'UTC' at time zone '{{ timezone }}')
{%- endmacro %}

{#- DuckDB (ICU): timezone('UTC', naive) is the instant (timestamptz);
    timezone(zone, instant) its wall clock there (timestamp). Independent of
    the session's TimeZone setting. -#}
{% macro duckdb__to_shop_time(expression, timezone) -%}
    timezone('{{ timezone }}', timezone('UTC', {{ expression }}))
{%- endmacro %}

{#- Spark: from_utc_timestamp renders a UTC timestamp in the given zone (the
    project's sessions run with spark.sql.session.timeZone=UTC, docs/spark.md).
    The explicit cast makes a timestamp_ntz input (raw Parquet timestamps) a
    timestamp first; with the session in UTC its wall clock is kept. -#}
{% macro spark__to_shop_time(expression, timezone) -%}
    from_utc_timestamp(cast({{ expression }} as timestamp), '{{ timezone }}')
{%- endmacro %}


{#- from_shop_time(expression): the inverse of to_shop_time: the naive UTC
    timestamp of a wall-clock time in the shop (a naive timestamp), e.g. the
    end of an as-of date (issue #14 part B: visitor_scores.as_of_at). A wall
    clock that occurs twice (daylight saving's fall back) or never (spring
    forward) is resolved as the engine does. -#}
{% macro from_shop_time(expression) %}
    {%- if ecommerce_segmentation.shop_timezone() in ('UTC', 'Etc/UTC') -%}
        {{- return('(' ~ expression ~ ')') -}}
    {%- endif -%}
    {{- return(adapter.dispatch('from_shop_time', 'ecommerce_segmentation')(expression, ecommerce_segmentation.shop_timezone())) -}}
{% endmacro %}

{% macro default__from_shop_time(expression, timezone) -%}
    (({{ expression }}) at time zone '{{ timezone }}' at time zone 'UTC')
{%- endmacro %}

{#- DuckDB (ICU): timezone(zone, naive) reads the naive time as the zone's
    wall clock (timestamptz); timezone('UTC', instant) its UTC wall clock. -#}
{% macro duckdb__from_shop_time(expression, timezone) -%}
    timezone('UTC', timezone('{{ timezone }}', {{ expression }}))
{%- endmacro %}

{#- Spark: to_utc_timestamp reads the timestamp as the zone's wall clock. -#}
{% macro spark__from_shop_time(expression, timezone) -%}
    to_utc_timestamp(cast({{ expression }} as timestamp), '{{ timezone }}')
{%- endmacro %}


{% macro shop_date(expression) -%}
    cast({{ ecommerce_segmentation.to_shop_time(expression) }} as date)
{%- endmacro %}


{% macro shop_date_of_run() -%}
    {%- set zone = modules.pytz.timezone(ecommerce_segmentation.shop_timezone()) -%}
    {%- set started = run_started_at if run_started_at.tzinfo is not none else modules.pytz.utc.localize(run_started_at) -%}
    cast('{{ started.astimezone(zone).strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}
