{#-
    BG/NBD expected purchases E[X(t) | x, t_x, T] (Fader, Hardie and Lee 2005,
    eq. 10) per fit, customer and horizon (docs/clv.md):
    - horizon_index 0: t = the prediction horizon, var clv_prediction_weeks
      for the current fit, the holdout days for the holdout fit;
    - horizon_index 1..var clv_horizon_months (current fit): t = that many
      months of 30 days (customer_lifetime_value sums the months).
    E = (a+b+x-1)/(a-1) * (1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z))
        / (1 + [x > 0] * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)),  z = t/(alpha+T+t).
    The Gauss hypergeometric function is computed by its Euler transform
    2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z), so (1-z)^(r+x) 2F1(...)
    = (1-z)^(a-1) * S with S the series of 2F1(a+b-1-r, a-1; a+b+x-1; z),
    its terms fall like k^(a-r-x-2) z^k: summed until z^k < 1e-16 (plus 20
    terms), at most var clv_hypergeometric_terms terms; near z = 1 that cap
    truncates it (docs/clv.md): series_relative_remainder estimates the tail
    left out (last term * z / (1 - z), relative to the sum; 0 when t = 0),
    and clv_model_parameters publishes its maximum per fit. Each term is the running
    product of the ratios (C-A+j)(C-B+j) z / ((C+j)(j+1)), summed in logs
    with its sign counted (C-A, C-B and C may be negative). The series does
    not depend on t_x: it is summed once per distinct (fit, x, T, t) (at 1M
    customers about 18k, against 290k distinct (fit, x, t_x, T)), the rest
    of E once per distinct (fit, x, t_x, T, t), and both joined back.
-#}
{%- set term_count = var('clv_hypergeometric_terms') | int -%}
{%- set months = var('clv_horizon_months') | int -%}
{%- if term_count < 2 or term_count > 1000 or months < 0 -%}
    {{ exceptions.raise_compiler_error(
        "CLV vars: need 2 <= clv_hypergeometric_terms <= 1000 and clv_horizon_months >= 0") }}
{%- endif -%}
with fit_inputs as (

    select * from {{ ref('int_clv_fit_inputs') }}

),

parameters as (

    select * from {{ ref('int_clv_parameters') }}
    where r is not null

),

horizons as (

    select
        'current' as fit_name,
        0 as horizon_index,
        cast({{ var('clv_prediction_weeks') }} as double) * 7 as horizon_days
    union all
    select
        'holdout' as fit_name,
        0 as horizon_index,
        cast({{ var('clv_holdout_days') }} as double) as horizon_days
    {%- for month in range(1, months + 1) %}
        union all
        select
            'current' as fit_name,
            {{ month }} as horizon_index,
            cast({{ month * 30 }} as double) as horizon_days
    {%- endfor %}

),

digits as (

    {%- for digit in range(10) %}
        select {{ digit }} as digit
        {{ 'union all' if not loop.last }}
    {%- endfor %}

),

ratio_indices as (

    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as ratio_index
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    where ones.digit + 10 * tens.digit + 100 * hundreds.digit < {{ term_count - 1 }}

),

customer_points as (

    select
        fit_inputs.fit_name,
        fit_inputs.customer_id,
        horizons.horizon_index,
        fit_inputs.frequency,
        fit_inputs.recency,
        fit_inputs.customer_age,
        horizons.horizon_days / parameters.time_unit_days as horizon
    from fit_inputs
    inner join parameters on fit_inputs.fit_name = parameters.fit_name
    inner join horizons on fit_inputs.fit_name = horizons.fit_name

),

points as (

    select distinct
        fit_name,
        frequency,
        recency,
        customer_age,
        horizon
    from customer_points

),

series_points as (

    select distinct
        fit_name,
        frequency,
        customer_age,
        horizon
    from points
    where horizon > 0

),

point_limits as (

    select
        series_points.fit_name,
        series_points.frequency,
        series_points.customer_age,
        series_points.horizon,
        series_points.horizon / (parameters.alpha + series_points.customer_age + series_points.horizon) as z,
        -- ratios summed: enough for z^k < 1e-16 (plus 20), at most clv_hypergeometric_terms - 1
        least(
            {{ term_count - 1 }},
            cast(
                ceil(ln(1e-16) / ln(
                    series_points.horizon / (parameters.alpha + series_points.customer_age + series_points.horizon)
                ))
                as {{ dbt.type_int() }}
            ) + 20
        ) as ratio_count
    from series_points
    inner join parameters on series_points.fit_name = parameters.fit_name

),

point_terms as (

    select
        point_limits.fit_name,
        point_limits.frequency,
        point_limits.customer_age,
        point_limits.horizon,
        point_limits.z,
        point_limits.ratio_count,
        ratio_indices.ratio_index,
        (parameters.a + parameters.b - 1 - parameters.r + ratio_indices.ratio_index)
        * (parameters.a - 1 + ratio_indices.ratio_index)
        / (parameters.a + parameters.b + (point_limits.frequency - 1) + ratio_indices.ratio_index)
        / (ratio_indices.ratio_index + 1)
        * point_limits.z as ratio
    from point_limits
    inner join parameters on point_limits.fit_name = parameters.fit_name
    inner join ratio_indices on point_limits.ratio_count > ratio_indices.ratio_index

),

running_terms as (

    select
        fit_name,
        frequency,
        customer_age,
        horizon,
        z,
        ratio_count,
        ratio_index,
        -- a ratio of 0 (a parameter a factor of the series hits exactly, e.g. a = 1) ends the series:
        -- every later term is 0 (zero_factors), and ln(0) is never taken
        sum(case when ratio = 0 then 0 else ln(abs(ratio)) end) over (
            partition by fit_name, frequency, customer_age, horizon
            order by ratio_index
            rows between unbounded preceding and current row
        ) as log_abs_term,
        sum(case when ratio = 0 then 1 else 0 end) over (
            partition by fit_name, frequency, customer_age, horizon
            order by ratio_index
            rows between unbounded preceding and current row
        ) as zero_factors,
        sum(case when ratio < 0 then 1 else 0 end) over (
            partition by fit_name, frequency, customer_age, horizon
            order by ratio_index
            rows between unbounded preceding and current row
        ) as negative_factors
    from point_terms

),

series as (

    select
        fit_name,
        frequency,
        customer_age,
        horizon,
        1 + sum(case when zero_factors = 0 then (1 - 2 * (negative_factors % 2)) * exp(log_abs_term) else 0 end)
            as series_sum,
        -- the tail left out, estimated as a geometric series from the last term: last * z / (1 - z)
        max(
            case
                when ratio_index = ratio_count - 1
                    then case when zero_factors = 0 then exp(log_abs_term) * z / (1 - z) else 0 end
            end
        ) as series_tail
    from running_terms
    group by fit_name, frequency, customer_age, horizon

),

expected as (

    select
        points.fit_name,
        points.frequency,
        points.recency,
        points.customer_age,
        points.horizon,
        (parameters.a + parameters.b + (points.frequency - 1)) / (parameters.a - 1)
        * (
            1 - power(
                (parameters.alpha + points.customer_age)
                / (parameters.alpha + points.customer_age + points.horizon),
                parameters.a - 1
            ) * coalesce(series.series_sum, 1)
        )
        / (
            1 + case
                when points.frequency > 0
                    then parameters.a / (parameters.b + (points.frequency - 1))
                        * power(
                            (parameters.alpha + points.customer_age) / (parameters.alpha + points.recency),
                            parameters.r + points.frequency
                        )
                else 0
            end
        ) as expected_purchases,
        coalesce(series.series_tail / abs(series.series_sum), 0) as series_relative_remainder
    from points
    inner join parameters on points.fit_name = parameters.fit_name
    left join series
        on
            points.fit_name = series.fit_name
            and points.frequency = series.frequency
            and points.customer_age = series.customer_age
            and points.horizon = series.horizon

),

final as (

    select
        {{ dbt.concat(['customer_points.fit_name', "'|'", 'customer_points.customer_id', "'|'",
            'cast(customer_points.horizon_index as ' ~ dbt.type_string() ~ ')']) }} as clv_horizon_id,
        {{ dbt.concat(['customer_points.fit_name', "'|'", 'customer_points.customer_id']) }} as clv_fit_customer_id,
        customer_points.fit_name,
        customer_points.customer_id,
        customer_points.horizon_index,
        customer_points.horizon,
        expected.expected_purchases,
        expected.series_relative_remainder
    from customer_points
    inner join expected
        on
            customer_points.fit_name = expected.fit_name
            and customer_points.frequency = expected.frequency
            and customer_points.recency = expected.recency
            and customer_points.customer_age = expected.customer_age
            and customer_points.horizon = expected.horizon

)

select * from final
