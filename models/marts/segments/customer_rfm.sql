{#-
    One row per customer with an order at the as-of date: RFM scores and segment (the rules: int_customer_rfm),
    the public, contracted face of int_customer_rfm, which the other segment marts read.
-#}
with rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

final as (

    select
        customer_id,
        customer_key,
        as_of_date,
        last_order_date,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_code,
        segment_name,
        segment_order,
        recommended_action
    from rfm

)

select * from final
