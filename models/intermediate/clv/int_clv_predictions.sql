{#-
    Per fit and customer (int_clv_fit_inputs), given the fit's parameters
    (int_clv_parameters; no rows while nothing is fitted):
    - probability_alive: BG/NBD P(alive | x, t_x, T) = 1 / (1 + [x > 0] *
      a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) (Fader, Hardie and Lee 2005, eq. 11);
    - expected_purchases: E[X(t)] over the fit's prediction horizon
      (int_clv_expected_purchases, horizon_index 0);
    - expected_average_order_value: Gamma-Gamma E[M | x, m] = (1 - w) * p v / (q - 1)
      + w * m with w = p x / (p x + q - 1) (Fader and Hardie 2013, eq. 5;
      the population mean for x = 0), shop currency; null when q <= 1 (the
      fitted distribution of value has no mean: Gamma-Gamma does not describe
      the shop's order values) or Gamma-Gamma was not fitted;
    - customer_lifetime_value (current fit): sum over the months i = 1 ..
      var clv_horizon_months of (E[X(30 i days)] - E[X(30 (i - 1) days)])
      * expected_average_order_value / (1 + var clv_monthly_discount_rate)^i,
      shop currency (lifetimes' customer_lifetime_value).
-#}
with fit_inputs as (

    select * from {{ ref('int_clv_fit_inputs') }}

),

parameters as (

    select * from {{ ref('int_clv_parameters') }}
    where r is not null

),

expected_purchases as (

    select * from {{ ref('int_clv_expected_purchases') }}

),

monthly as (

    select
        clv_fit_customer_id,
        horizon_index,
        expected_purchases - coalesce(lag(expected_purchases) over (
            partition by clv_fit_customer_id order by horizon_index
        ), 0) as month_purchases
    from expected_purchases
    where horizon_index >= 1

),

discounted_purchases as (

    select
        clv_fit_customer_id,
        sum(
            month_purchases / power(1 + cast({{ var('clv_monthly_discount_rate') }} as double), horizon_index)
        ) as discounted_purchases
    from monthly
    group by clv_fit_customer_id

),

customer_values as (

    select
        fit_inputs.clv_fit_customer_id,
        fit_inputs.fit_name,
        fit_inputs.customer_id,
        fit_inputs.calibration_end_date,
        fit_inputs.frequency,
        fit_inputs.recency,
        fit_inputs.customer_age,
        fit_inputs.monetary_value,
        fit_inputs.holdout_purchases,
        1 / (1 + case
            when fit_inputs.frequency > 0
                then parameters.a / (parameters.b + fit_inputs.frequency - 1)
                    * power(
                        (parameters.alpha + fit_inputs.customer_age) / (parameters.alpha + fit_inputs.recency),
                        parameters.r + fit_inputs.frequency
                    )
            else 0
        end) as probability_alive,
        case
            when parameters.q > 1
                then
                    (1 - parameters.p * fit_inputs.frequency / (parameters.p * fit_inputs.frequency + parameters.q - 1))
                    * parameters.v * parameters.p / (parameters.q - 1)
                    + parameters.p * fit_inputs.frequency / (parameters.p * fit_inputs.frequency + parameters.q - 1)
                    * fit_inputs.monetary_value
        end as expected_average_order_value
    from fit_inputs
    inner join parameters on fit_inputs.fit_name = parameters.fit_name

),

final as (

    select
        customer_values.clv_fit_customer_id,
        customer_values.fit_name,
        customer_values.customer_id,
        customer_values.calibration_end_date,
        customer_values.frequency,
        customer_values.recency,
        customer_values.customer_age,
        customer_values.monetary_value,
        customer_values.holdout_purchases,
        customer_values.probability_alive,
        expected_purchases.horizon as prediction_horizon,
        expected_purchases.expected_purchases,
        customer_values.expected_average_order_value,
        discounted_purchases.discounted_purchases * customer_values.expected_average_order_value
            as customer_lifetime_value
    from customer_values
    inner join expected_purchases
        on
            customer_values.clv_fit_customer_id = expected_purchases.clv_fit_customer_id
            and expected_purchases.horizon_index = 0
    left join discounted_purchases
        on customer_values.clv_fit_customer_id = discounted_purchases.clv_fit_customer_id

)

select * from final
