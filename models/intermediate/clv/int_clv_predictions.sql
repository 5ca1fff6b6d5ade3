{#-
    Per fit and customer (int_clv_fit_inputs), given the fit's parameters
    (int_clv_parameters; no rows while nothing is fitted):
    - probability_alive: BG/NBD P(alive | x, t_x, T) = 1 / (1 + [x > 0] *
      a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) (Fader, Hardie and Lee 2005, eq. 11);
    - expected_purchases: E[X(t)] over the fit's prediction horizon
      (int_clv_expected_purchases, horizon_index 0);
    - expected_average_order_value: Gamma-Gamma E[M | x, m] = p (v + x m)
      / (p x + q - 1) (Fader and Hardie 2013, eq. 5, the shrinkage of the
      customer's average repeat value m towards the population mean
      p v / (q - 1), written without dividing by q - 1), shop currency.
      It is finite whenever p x + q > 1: for a repeat customer (x >= 1) also
      when q <= 1 (the population has no mean, the customer's own purchases
      still give a finite one); for x = 0 it is the population mean, finite
      only when q > 1. Null, with the reason in expected_order_value_note,
      when Gamma-Gamma was not fitted, when p x + q <= 1, or for a repeat
      customer whose repeat days are worth <= 0 on average (returns: outside
      the model, which was fitted on positive values);
    - customer_lifetime_value (current fit): sum over the months i = 1 ..
      var clv_horizon_months of (E[X(30 i days)] - E[X(30 (i - 1) days)])
      * expected_average_order_value / (1 + var clv_monthly_discount_rate)^i,
      shop currency (lifetimes' customer_lifetime_value); null when
      expected_average_order_value is (same reason).
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
                then parameters.a / (parameters.b + (fit_inputs.frequency - 1))
                    * power(
                        (parameters.alpha + fit_inputs.customer_age) / (parameters.alpha + fit_inputs.recency),
                        parameters.r + fit_inputs.frequency
                    )
            else 0
        end) as probability_alive,
        case
            when
                parameters.p is not null
                and (fit_inputs.frequency = 0 or fit_inputs.monetary_value > 0)
                and parameters.p * fit_inputs.frequency + parameters.q > 1
                then
                    parameters.p * (parameters.v + fit_inputs.frequency * fit_inputs.monetary_value)
                    / (parameters.p * fit_inputs.frequency + parameters.q - 1)
        end as expected_average_order_value,
        case
            when parameters.p is null
                then 'Gamma-Gamma not fitted: fewer than two customers with a repeat purchase of positive value'
            when fit_inputs.frequency > 0 and fit_inputs.monetary_value <= 0
                then 'repeat purchases worth <= 0 on average (returns): outside the Gamma-Gamma model'
            when fit_inputs.frequency = 0 and parameters.q <= 1
                then 'no repeat purchase and q <= 1: the population mean is infinite'
            when parameters.p * fit_inputs.frequency + parameters.q <= 1
                then 'p x + q <= 1: the expected value given the repeat purchases is infinite'
        end as expected_order_value_note
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
        cast(customer_values.expected_order_value_note as {{ dbt.type_string() }}) as expected_order_value_note,
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
