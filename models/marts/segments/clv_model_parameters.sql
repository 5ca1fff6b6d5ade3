{#-
    One row per CLV fit (current, holdout): the maximum-likelihood BG/NBD and
    Gamma-Gamma parameters, their log-likelihoods, the calibration end and the
    fit time (int_clv_parameters; ecomseg/clv.py). Empty until the fit step has run.
-#}
with parameters as (

    select * from {{ ref('int_clv_parameters') }}

),

final as (

    select
        cast(fit_name as {{ dbt.type_string() }}) as fit_name,
        cast(calibration_end_date as date) as calibration_end_date,
        cast(holdout_end_date as date) as holdout_end_date,
        cast(time_unit_days as int) as time_unit_days,
        cast(customers as int) as customers,
        cast(r as double) as r,
        cast(alpha as double) as alpha,
        cast(a as double) as a,
        cast(b as double) as b,
        cast(bgnbd_log_likelihood as double) as bgnbd_log_likelihood,
        cast(gamma_gamma_customers as int) as gamma_gamma_customers,
        cast(p as double) as p,
        cast(q as double) as q,
        cast(v as double) as v,
        cast(gamma_gamma_log_likelihood as double) as gamma_gamma_log_likelihood,
        cast(fitted_at as timestamp) as fitted_at
    from parameters

)

select * from final
