{#-
    The CLV parameters (var clv_parameters) were fitted on this warehouse's
    calibration summary: same calibration end and same number of customers
    per fit. A row here = stale parameters (fitted before new data or other
    vars): run the fit step again (ecomseg build does).
-#}
with parameters as (

    select * from {{ ref('int_clv_parameters') }}

),

fit_inputs as (

    select * from {{ ref('int_clv_fit_inputs') }}

),

fit_customers as (

    select
        fit_name,
        count(*) as customers
    from fit_inputs
    group by fit_name

),

final as (

    select
        parameters.fit_name,
        parameters.customers as fitted_customers,
        fit_customers.customers,
        parameters.fitted_calibration_end_date,
        parameters.calibration_end_date
    from parameters
    left join fit_customers on parameters.fit_name = fit_customers.fit_name
    where
        parameters.fitted_calibration_end_date <> parameters.calibration_end_date
        or parameters.customers <> coalesce(fit_customers.customers, 0)

)

select * from final
