{#-
    One lifecycle stage per customer (int_customer_spine: the customers of
    dim_customers) at the as-of date, with
    the date they entered it. Only non-cancelled orders dated on or before the
    as-of date count. Rules, tried in this order (first match wins); d = days
    since the last order, f = days since the first order:

      1 prospect     no order
      2 churned      d > lifecycle_churn_days
      3 new          f < lifecycle_new_days
      4 reactivated  latest reactivation order less than lifecycle_new_days
                     days ago (a reactivation order: gap to the previous
                     order - 1 > lifecycle_churn_days, i.e. churned the day
                     before it)
      5 at_risk      d > at_risk_threshold = greatest(multiplier x usual gap,
                     lifecycle_at_risk_min_days); usual gap = (last - first) /
                     (orders - 1), lifecycle_default_gap_days for one order
      6 loyal        orders >= lifecycle_loyal_min_orders
      7 active       everything else

    stage_entered_date is the first day of the current uninterrupted run of
    the stage (the stage on each day computed from the orders up to that day),
    see docs/segments.md and the per-order history (int_customer_order_history).
-#}
{%- set churn_days = numeric_var('lifecycle_churn_days', minimum=0, integer=true) -%}
{%- set new_days = numeric_var('lifecycle_new_days', minimum=0, integer=true) -%}
{%- set loyal_min_orders = numeric_var('lifecycle_loyal_min_orders', minimum=1, integer=true) -%}
{%- set multiplier = numeric_var('lifecycle_at_risk_gap_multiplier', minimum=0) -%}
{%- set default_gap = numeric_var('lifecycle_default_gap_days', minimum=0) -%}
{%- set min_days = numeric_var('lifecycle_at_risk_min_days', minimum=0) -%}
with customers as (

    select * from {{ ref('int_customer_spine') }}

),

orders as (

    select * from {{ ref('int_order_revenue') }}
    where customer_id is not null  -- guest orders belong to no customer

),

order_history as (

    select * from {{ ref('int_customer_order_history') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

first_contacts as (

    {#- First order of any status (a prospect's first sign of life may be a cancelled order). #}
    select
        customer_id,
        min(order_date) as first_any_order_date
    from orders
    group by customer_id

),

customer_orders as (

    select
        customer_id,
        count(*) as order_count,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        max(case when is_reactivation then order_date end) as latest_reactivation_date,
        max(case when ends_lapse then order_date end) as latest_lapse_end_date,
        max(case when order_number = {{ loyal_min_orders }} then order_date end) as loyal_reached_date
    from order_history
    group by customer_id

),

customer_measures as (

    select
        customers.customer_id,
        as_of.as_of_date,
        coalesce(customer_orders.order_count, 0) as order_count,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.latest_reactivation_date,
        customer_orders.latest_lapse_end_date,
        customer_orders.loyal_reached_date,
        {{ days_between('customer_orders.first_order_date', 'as_of.as_of_date') }} as days_since_first_order,
        {{ days_between('customer_orders.last_order_date', 'as_of.as_of_date') }} as days_since_last_order,
        {{ days_between('customer_orders.latest_reactivation_date', 'as_of.as_of_date') }}
            as days_since_reactivation,
        case
            when customer_orders.order_count >= 2
                then cast(
                        {{ days_between('customer_orders.first_order_date', 'customer_orders.last_order_date') }}
                        as double
                    )
                    / cast(customer_orders.order_count - 1 as double)
            when customer_orders.order_count = 1 then cast({{ default_gap }} as double)
        end as usual_gap_days,
        {#- First day of being a prospect: registration, first visit or first
            order of any status, whichever came first, capped at the as-of date. #}
        least(
            coalesce({{ shop_date('customers.signed_up_at') }}, as_of.as_of_date),
            coalesce({{ shop_date('customers.first_visit_at') }}, as_of.as_of_date),
            coalesce(first_contacts.first_any_order_date, as_of.as_of_date),
            as_of.as_of_date
        ) as first_contact_date
    from customers
    cross join as_of
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    left join first_contacts
        on customers.customer_id = first_contacts.customer_id

),

thresholds as (

    select
        customer_id,
        as_of_date,
        order_count,
        first_order_date,
        last_order_date,
        latest_reactivation_date,
        latest_lapse_end_date,
        loyal_reached_date,
        days_since_first_order,
        days_since_last_order,
        days_since_reactivation,
        usual_gap_days,
        first_contact_date,
        case
            when order_count >= 1
                then greatest(cast({{ multiplier }} as double) * usual_gap_days, cast({{ min_days }} as double))
        end as at_risk_threshold_days,
        {{ add_days('coalesce(latest_reactivation_date, first_order_date)', new_days) }} as protected_until_date
    from customer_measures

),

staged as (

    select
        customer_id,
        as_of_date,
        order_count,
        first_order_date,
        last_order_date,
        latest_reactivation_date,
        latest_lapse_end_date,
        loyal_reached_date,
        days_since_first_order,
        days_since_last_order,
        usual_gap_days,
        at_risk_threshold_days,
        protected_until_date,
        first_contact_date,
        case
            when order_count = 0 then 'prospect'
            when days_since_last_order > {{ churn_days }} then 'churned'
            when days_since_first_order < {{ new_days }} then 'new'
            when days_since_reactivation < {{ new_days }} then 'reactivated'
            when days_since_last_order > at_risk_threshold_days then 'at_risk'
            when order_count >= {{ loyal_min_orders }} then 'loyal'
            else 'active'
        end as lifecycle_stage
    from thresholds

),

entered as (

    {#- First day of the current run of each stage a customer can be in (see
        the model description); the case below picks the customer's stage. #}
    select
        customer_id,
        as_of_date,
        order_count,
        first_order_date,
        last_order_date,
        latest_reactivation_date,
        days_since_last_order,
        usual_gap_days,
        at_risk_threshold_days,
        lifecycle_stage,
        {{ add_days('last_order_date', churn_days ~ ' + 1') }} as churned_since_date,
        greatest(
            {{ add_days('last_order_date', 'cast(floor(at_risk_threshold_days) as ' ~ dbt.type_int() ~ ') + 1') }},
            protected_until_date
        ) as at_risk_since_date,
        greatest(
            protected_until_date,
            coalesce(latest_lapse_end_date, first_order_date)
        ) as active_since_date,
        greatest(
            protected_until_date,
            coalesce(latest_lapse_end_date, first_order_date),
            loyal_reached_date
        ) as loyal_since_date,
        first_contact_date
    from staged

),

stage_dates as (

    select
        customer_id,
        as_of_date,
        order_count,
        first_order_date,
        last_order_date,
        latest_reactivation_date,
        days_since_last_order,
        usual_gap_days,
        at_risk_threshold_days,
        lifecycle_stage,
        case lifecycle_stage
            when 'prospect' then first_contact_date
            when 'churned' then churned_since_date
            when 'new' then first_order_date
            when 'reactivated' then latest_reactivation_date
            when 'at_risk' then at_risk_since_date
            when 'loyal' then loyal_since_date
            else active_since_date
        end as stage_entered_date
    from entered

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ pseudonymous_key('customer_id') }} as {{ dbt.type_string() }}) as customer_key,
        cast(as_of_date as date) as as_of_date,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(stage_entered_date as date) as stage_entered_date,
        cast({{ days_between('stage_entered_date', 'as_of_date') }} as {{ dbt.type_int() }}) as days_in_stage,
        cast(order_count as {{ dbt.type_int() }}) as order_count,
        cast(first_order_date as date) as first_order_date,
        cast(last_order_date as date) as last_order_date,
        cast(days_since_last_order as {{ dbt.type_int() }}) as days_since_last_order,
        cast(usual_gap_days as double) as usual_gap_days,
        cast(at_risk_threshold_days as double) as at_risk_threshold_days,
        cast(latest_reactivation_date as date) as latest_reactivation_date
    from stage_dates

)

select * from final
