{#-
    The CLV fits (docs/clv.md): one row per fit_name.
    - current: calibrated on the orders dated on or before the calibration end
      (var clv_calibration_end_date, else the as-of date); its parameters give
      the published predictions (customer_lifetime_value).
    - holdout: calibrated var clv_holdout_days days earlier; it predicts the
      purchases of the holdout days (calibration end, current calibration end]
      (clv_holdout_validation).
    time_unit_days: 7 for var clv_time_unit week, 1 for day.
-#}
{%- set time_unit = var('clv_time_unit') -%}
{%- set holdout_days = var('clv_holdout_days') | int -%}
{%- if time_unit not in ['week', 'day'] or holdout_days < 1 -%}
    {{ exceptions.raise_compiler_error(
        "CLV vars: clv_time_unit must be week or day (got " ~ time_unit
        ~ ") and clv_holdout_days >= 1 (got " ~ var('clv_holdout_days') ~ ")") }}
{%- endif -%}
{%- set calibration_end = var('clv_calibration_end_date') -%}
with as_of as (

    select * from {{ ref('int_as_of_date') }}

),

current_window as (

    select
        {%- if calibration_end is none %}
            as_of.as_of_date as calibration_end_date
        {%- else %}
            cast('{{ calibration_end }}' as date) as calibration_end_date
        {%- endif %}
    from as_of

),

final as (

    select
        'current' as fit_name,
        calibration_end_date,
        cast(null as date) as holdout_end_date,
        {{ 7 if time_unit == 'week' else 1 }} as time_unit_days
    from current_window
    union all
    select
        'holdout' as fit_name,
        cast({{ dbt.dateadd('day', -holdout_days, 'calibration_end_date') }} as date) as calibration_end_date,
        calibration_end_date as holdout_end_date,
        {{ 7 if time_unit == 'week' else 1 }} as time_unit_days
    from current_window

)

select * from final
