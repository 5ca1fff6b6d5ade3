{#-
    One row per CLV fit (current, holdout): the maximum-likelihood BG/NBD and
    Gamma-Gamma parameters, their log-likelihoods, the calibration end and the
    fit time (int_clv_parameters; ecomseg/clv.py), and the largest estimated
    truncation of the hypergeometric series in the fit's expected purchases
    (int_clv_expected_purchases). Empty until the fit step has run.
-#}
with parameters as (

    select * from {{ ref('int_clv_parameters') }}

),

expected_purchases as (

    select * from {{ ref('int_clv_expected_purchases') }}

),

series_remainders as (

    select
        fit_name,
        max(series_relative_remainder) as max_series_relative_remainder
    from expected_purchases
    group by fit_name

),

final as (

    select
        cast(parameters.fit_name as {{ dbt.type_string() }}) as fit_name,
        cast(parameters.calibration_end_date as date) as calibration_end_date,
        cast(parameters.holdout_end_date as date) as holdout_end_date,
        cast(parameters.time_unit_days as int) as time_unit_days,
        cast(parameters.customers as int) as customers,
        cast(parameters.r as double) as r,
        cast(parameters.alpha as double) as alpha,
        cast(parameters.a as double) as a,
        cast(parameters.b as double) as b,
        cast(parameters.bgnbd_log_likelihood as double) as bgnbd_log_likelihood,
        cast(parameters.gamma_gamma_customers as int) as gamma_gamma_customers,
        cast(parameters.p as double) as p,
        cast(parameters.q as double) as q,
        cast(parameters.v as double) as v,
        cast(parameters.gamma_gamma_log_likelihood as double) as gamma_gamma_log_likelihood,
        cast(series_remainders.max_series_relative_remainder as double)
            as max_series_relative_remainder,
        cast(parameters.fitted_at as timestamp) as fitted_at
    from parameters
    left join series_remainders on parameters.fit_name = series_remainders.fit_name

)

select * from final
