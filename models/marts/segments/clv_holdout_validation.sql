{#-
    Calibration / holdout validation of BG/NBD (the classic plot's data): the
    holdout fit's customers grouped by their repeat purchases in the
    calibration period (0, 1, ..., var clv_holdout_max_frequency_group, the
    last group holding that many or more), with the mean purchases the model
    predicted for the holdout days and the mean they made (int_clv_predictions).
-#}
{%- set max_group = var('clv_holdout_max_frequency_group') | int -%}
with predictions as (

    select * from {{ ref('int_clv_predictions') }}
    where fit_name = 'holdout'

),

grouped as (

    select
        case when frequency >= {{ max_group }} then {{ max_group }} else frequency end as frequency_group,
        calibration_end_date,
        prediction_horizon,
        holdout_purchases,
        expected_purchases
    from predictions

),

final as (

    select
        cast(frequency_group as int) as frequency_group,
        cast(case
            when frequency_group = {{ max_group }}
                then {{ dbt.concat(['cast(frequency_group as ' ~ dbt.type_string() ~ ')', "'+'"]) }}
            else cast(frequency_group as {{ dbt.type_string() }})
        end as {{ dbt.type_string() }}) as frequency_group_label,
        cast(min(calibration_end_date) as date) as calibration_end_date,
        cast(min(prediction_horizon) as double) as holdout_length,
        cast(count(*) as bigint) as customers,
        cast(sum(holdout_purchases) as bigint) as actual_purchases,
        cast(sum(expected_purchases) as double) as predicted_purchases,
        cast(avg(holdout_purchases) as double) as actual_purchases_per_customer,
        cast(avg(expected_purchases) as double) as predicted_purchases_per_customer
    from grouped
    group by frequency_group

)

select * from final
