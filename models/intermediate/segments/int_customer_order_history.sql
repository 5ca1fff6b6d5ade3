{#-
    The lifecycle's per-order history: one row per order of
    int_customer_orders_as_of (non-cancelled, dated on or before the as-of
    date), with the customer's state on the day before it, computed from the
    orders before it (rules in customer_lifecycle and docs/segments.md):

    - gap_days: days since the previous order (null for the first).
    - is_reactivation: the customer was churned the day before this order
      (gap_days - 1 > lifecycle_churn_days).
    - usual_gap_days_before: mean gap between the orders before it
      (lifecycle_default_gap_days when one order came before; null for the
      first order).
    - at_risk_threshold_before: greatest(lifecycle_at_risk_gap_multiplier x
      usual_gap_days_before, lifecycle_at_risk_min_days).
    - protected_until_before: the first day the customer was no longer new /
      reactivated (latest earlier reactivation, else the first order, plus
      lifecycle_new_days).
    - ends_lapse: on the day before this order the customer was churned, or
      at risk (beyond the threshold and no longer protected).
-#}
{%- set churn_days = numeric_var('lifecycle_churn_days', minimum=0, integer=true) -%}
{%- set new_days = numeric_var('lifecycle_new_days', minimum=0, integer=true) -%}
{%- set multiplier = numeric_var('lifecycle_at_risk_gap_multiplier', minimum=0) -%}
{%- set default_gap = numeric_var('lifecycle_default_gap_days', minimum=0) -%}
{%- set min_days = numeric_var('lifecycle_at_risk_min_days', minimum=0) -%}
with valid_orders as (

    select * from {{ ref('int_customer_orders_as_of') }}

),

numbered_orders as (

    select
        customer_id,
        order_id,
        order_date,
        row_number() over (partition by customer_id order by ordered_at, order_id) as order_number,
        lag(order_date) over (partition by customer_id order by ordered_at, order_id) as previous_order_date,
        min(order_date) over (partition by customer_id) as first_order_date
    from valid_orders

),

order_gaps as (

    select
        customer_id,
        order_id,
        order_date,
        order_number,
        first_order_date,
        {{ days_between('previous_order_date', 'order_date') }} as gap_days,
        coalesce(
            {{ days_between('previous_order_date', 'order_date') }} - 1 > {{ churn_days }},
            false
        ) as is_reactivation,
        case
            when order_number >= 3
                then cast({{ days_between('first_order_date', 'previous_order_date') }} as double)
                    / cast(order_number - 2 as double)
            when order_number = 2 then cast({{ default_gap }} as double)
        end as usual_gap_days_before
    from numbered_orders

),

order_reactivations as (

    select
        customer_id,
        order_id,
        order_date,
        order_number,
        first_order_date,
        gap_days,
        is_reactivation,
        usual_gap_days_before,
        max(case when is_reactivation then order_date end) over (
            partition by customer_id
            order by order_number
            rows between unbounded preceding and 1 preceding
        ) as reactivation_date_before
    from order_gaps

),

order_states as (

    select
        customer_id,
        order_id,
        order_date,
        order_number,
        gap_days,
        is_reactivation,
        usual_gap_days_before,
        greatest(
            cast({{ multiplier }} as double) * usual_gap_days_before,
            cast({{ min_days }} as double)
        ) as at_risk_threshold_before,
        {{ add_days('coalesce(reactivation_date_before, first_order_date)', new_days) }} as protected_until_before
    from order_reactivations

),

final as (

    select
        order_id,
        customer_id,
        order_date,
        order_number,
        gap_days,
        is_reactivation,
        usual_gap_days_before,
        at_risk_threshold_before,
        protected_until_before,
        order_number >= 2
        and (
            gap_days - 1 > {{ churn_days }}
            or (
                gap_days - 1 > at_risk_threshold_before
                and {{ add_days('order_date', '-1') }} >= protected_until_before
            )
        ) as ends_lapse
    from order_states

)

select * from final
