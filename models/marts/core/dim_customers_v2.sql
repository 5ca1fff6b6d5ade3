{#-
    One row per customer (the rules: int_customers): the public, contracted face of int_customers, which the
    segment marts read instead of this versioned mart. Version 2 (issue #16): the first-touch traffic source is
    acquisition_channel (the name of the other marts), and visits_before_first_order leaves the purchase visit
    out and is 0 for a buyer without sessions.
-#}
with customers as (

    select * from {{ ref('int_customers') }}

),

final as (

    select
        customer_id,
        customer_key,
        is_registered,
        signed_up_at,
        age_band,
        gender,
        region,
        city,
        income_band,
        first_visit_at,
        first_traffic_source as acquisition_channel,
        first_campaign,
        most_frequent_traffic_source,
        visit_count,
        visits_before_first_order,
        days_from_first_visit_to_first_order,
        first_order_date,
        last_order_date,
        order_count,
        cancelled_order_count,
        item_count,
        lifetime_gross_revenue,
        lifetime_returned_revenue,
        lifetime_net_revenue,
        average_order_value,
        net_revenue_last_90_days,
        net_revenue_last_365_days,
        top_purchased_category,
        top_purchased_categories,
        top_viewed_category,
        top_viewed_categories,
        favourite_brand,
        top_search_phrase,
        top_search_phrases,
        preferred_payment_method,
        preferred_delivery_method,
        preferred_order_weekday,
        preferred_order_hour,
        return_rate,
        return_count,
        complaint_count,
        has_marketing_consent,
        preferred_channel,
        preferred_contact_hour,
        as_of_date
    from customers

)

select * from final
