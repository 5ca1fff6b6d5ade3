{#-
    The fitted CLV parameters, one row per fit (int_clv_fits), from the var
    clv_parameters that the fit step (ecomseg/clv.py: maximum likelihood with
    scipy over int_clv_fit_inputs) writes and `ecomseg build` passes to dbt.
    Empty while the var is null (nothing fitted yet). Numbers are passed as
    text and cast to double (exact on both engines; Spark would read a bare
    literal as a decimal). The test assert_clv_parameters_match_fit_inputs
    fails when the parameters were fitted on other data (another calibration
    end or another number of customers).
-#}
{%- set fitted = var('clv_parameters') or {} -%}
{%- set number_names = ['r', 'alpha', 'a', 'b', 'bgnbd_log_likelihood', 'p', 'q', 'v', 'gamma_gamma_log_likelihood'] -%}
with fits as (

    select * from {{ ref('int_clv_fits') }}

),

fitted as (

    {%- for fit_name, values in fitted.items() | sort %}
        select
            '{{ fit_name }}' as fit_name,
            {%- for name in number_names %}
                {%- set value = values.get(name) %}
                cast({{ 'null' if value is none else "'" ~ value ~ "'" }} as double) as {{ name }},
            {%- endfor %}
            cast({{ values.get('customers') | int }} as {{ dbt.type_int() }}) as customers,
            cast({{ values.get('gamma_gamma_customers') | int }} as {{ dbt.type_int() }}) as gamma_gamma_customers,
            cast('{{ values.get('calibration_end_date') }}' as date) as fitted_calibration_end_date,
            cast('{{ values.get('fitted_at') }}' as timestamp) as fitted_at
        {{ 'union all' if not loop.last }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as fit_name,
            {%- for name in number_names %}
                cast(null as double) as {{ name }},
            {%- endfor %}
            cast(null as {{ dbt.type_int() }}) as customers,
            cast(null as {{ dbt.type_int() }}) as gamma_gamma_customers,
            cast(null as date) as fitted_calibration_end_date,
            cast(null as timestamp) as fitted_at
        where 1 = 0
    {%- endfor %}

),

final as (

    select
        fitted.fit_name,
        fits.calibration_end_date,
        fits.holdout_end_date,
        fits.time_unit_days,
        {%- for name in number_names %}
            fitted.{{ name }},
        {%- endfor %}
        fitted.customers,
        fitted.gamma_gamma_customers,
        fitted.fitted_calibration_end_date,
        fitted.fitted_at
    from fitted
    inner join fits on fitted.fit_name = fits.fit_name

)

select * from final
