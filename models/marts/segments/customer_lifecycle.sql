{#-
    One lifecycle stage per customer at the as-of date (the rules: int_customer_lifecycle): the public,
    contracted face of int_customer_lifecycle, which customer_segment_history reads.
-#}
with lifecycle as (

    select * from {{ ref('int_customer_lifecycle') }}

),

final as (

    select
        customer_id,
        customer_key,
        as_of_date,
        lifecycle_stage,
        stage_entered_date,
        days_in_stage,
        order_count,
        first_order_date,
        last_order_date,
        days_since_last_order,
        usual_gap_days,
        at_risk_threshold_days,
        latest_reactivation_date
    from lifecycle

)

select * from final
