{#-
    The calibration summary of each CLV fit (int_clv_fits): one row per fit
    and customer whose first purchase day is on or before the fit's
    calibration end, in the model's time unit (var clv_time_unit; weeks =
    days / 7), as lifetimes' summary_data_from_transaction_data builds it:
    - frequency: repeat purchases = distinct purchase days up to the
      calibration end, less one;
    - recency: time from the first to the last of those days (0 without a
      repeat purchase); customer_age (T): from the first purchase day to the
      calibration end;
    - monetary_value: the average value of the repeat purchase days (the
      first day left out; 0 without a repeat purchase), shop currency;
    - holdout_purchases: purchase days after the calibration end up to the
      fit's holdout end (holdout fit; null for the current fit).
    ecomseg/clv.py fits BG/NBD and Gamma-Gamma on these rows.
-#}
with fits as (

    select * from {{ ref('int_clv_fits') }}

),

purchase_days as (

    select * from {{ ref('int_clv_purchase_days') }}

),

calibration_days as (

    select
        fits.fit_name,
        fits.calibration_end_date,
        fits.time_unit_days,
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.purchase_value,
        min(purchase_days.purchase_date) over (
            partition by fits.fit_name, purchase_days.customer_id
        ) as first_purchase_date
    from fits
    inner join purchase_days
        on fits.calibration_end_date >= purchase_days.purchase_date

),

holdout_counts as (

    select
        fits.fit_name,
        purchase_days.customer_id,
        count(*) as holdout_purchases
    from fits
    inner join purchase_days
        on
            fits.calibration_end_date < purchase_days.purchase_date
            and fits.holdout_end_date >= purchase_days.purchase_date
    group by fits.fit_name, purchase_days.customer_id

),

summary as (

    select
        fit_name,
        customer_id,
        calibration_end_date,
        time_unit_days,
        first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) - 1 as frequency,
        sum(case when purchase_date > first_purchase_date then purchase_value end) as repeat_value
    from calibration_days
    group by fit_name, customer_id, calibration_end_date, time_unit_days, first_purchase_date

),

final as (

    select
        {{ dbt.concat(['summary.fit_name', "'|'", 'summary.customer_id']) }} as clv_fit_customer_id,
        summary.fit_name,
        summary.customer_id,
        summary.calibration_end_date,
        summary.first_purchase_date,
        summary.last_purchase_date,
        cast(summary.frequency as {{ dbt.type_int() }}) as frequency,
        cast({{ days_between('summary.first_purchase_date', 'summary.last_purchase_date') }} as double)
        / summary.time_unit_days as recency,
        cast({{ days_between('summary.first_purchase_date', 'summary.calibration_end_date') }} as double)
        / summary.time_unit_days as customer_age,
        case
            when summary.frequency > 0 then cast(summary.repeat_value as double) / summary.frequency
            else cast(0 as double)
        end as monetary_value,
        case
            when summary.fit_name = 'holdout'
                then cast(coalesce(holdout_counts.holdout_purchases, 0) as {{ dbt.type_int() }})
        end as holdout_purchases
    from summary
    left join holdout_counts
        on
            summary.fit_name = holdout_counts.fit_name
            and summary.customer_id = holdout_counts.customer_id

)

select * from final
