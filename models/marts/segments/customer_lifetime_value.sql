{#-
    One row per customer with a purchase up to the calibration end: the BG/NBD
    and Gamma-Gamma predictions of the current fit (int_clv_predictions;
    docs/clv.md, "Reading a CLV figure"). Empty until the fit step has run.
    expected_order_value_note says why expected_average_order_value and
    customer_lifetime_value are null where they are.
-#}
with predictions as (

    select * from {{ ref('int_clv_predictions') }}
    where fit_name = 'current'

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ pseudonymous_key('customer_id') }} as {{ dbt.type_string() }}) as customer_key,
        cast(calibration_end_date as date) as calibration_end_date,
        cast(frequency as int) as frequency,
        cast(recency as double) as recency,
        cast(customer_age as double) as customer_age,
        cast(monetary_value as double) as average_repeat_order_value,
        cast(probability_alive as double) as probability_alive,
        cast(prediction_horizon as double) as prediction_horizon,
        cast(expected_purchases as double) as expected_purchases,
        cast(expected_average_order_value as double) as expected_average_order_value,
        cast(customer_lifetime_value as double) as customer_lifetime_value,
        cast(expected_order_value_note as {{ dbt.type_string() }}) as expected_order_value_note
    from predictions

)

select * from final
