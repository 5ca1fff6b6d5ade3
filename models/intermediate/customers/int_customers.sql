{#- One row per customer: everyone in the customers file, everyone who placed
    an order and every customer a session was stitched to. No personal data:
    age band instead of birth date, no e-mail. -#}
with demographics as (

    select * from {{ ref('int_customer_demographics') }}

),

order_summary as (

    select * from {{ ref('int_customer_order_summary') }}

),

session_summary as (

    select * from {{ ref('int_customer_session_summary') }}

),

interests as (

    select * from {{ ref('int_customer_interests') }}

),

customer_spine as (

    select * from {{ ref('int_customer_spine') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

joined as (

    select
        customer_spine.customer_id,
        customer_spine.is_registered,
        customer_spine.signed_up_at,
        coalesce(demographics.age_band, 'unknown') as age_band,
        demographics.gender,
        {#- Home address from the customers file; a customer without one there
            gets the shipping address of their latest order. #}
        case
            when demographics.region is not null or demographics.city is not null then demographics.region
            else order_summary.latest_shipping_region
        end as region,
        case
            when demographics.region is not null or demographics.city is not null then demographics.city
            else order_summary.latest_shipping_city
        end as city,
        demographics.income_band,
        session_summary.first_visit_at,
        session_summary.first_traffic_source,
        session_summary.first_campaign,
        session_summary.most_frequent_traffic_source,
        coalesce(session_summary.visit_count, 0) as visit_count,
        session_summary.visits_before_first_order as visits_up_to_first_order,
        case
            when order_summary.first_order_date is not null
                then coalesce(session_summary.visits_before_purchase_visit, 0)
        end as visits_before_first_order,
        session_summary.days_from_first_visit_to_first_order,
        order_summary.first_order_date,
        order_summary.last_order_date,
        coalesce(order_summary.order_count, 0) as order_count,
        coalesce(order_summary.cancelled_order_count, 0) as cancelled_order_count,
        coalesce(order_summary.item_count, 0) as item_count,
        coalesce(order_summary.gross_revenue, 0) as lifetime_gross_revenue,
        coalesce(order_summary.returned_revenue, 0) as lifetime_returned_revenue,
        coalesce(order_summary.net_revenue, 0) as lifetime_net_revenue,
        order_summary.average_order_value,
        coalesce(order_summary.net_revenue_last_90_days, 0) as net_revenue_last_90_days,
        coalesce(order_summary.net_revenue_last_365_days, 0) as net_revenue_last_365_days,
        interests.top_purchased_category,
        interests.top_purchased_categories,
        interests.top_viewed_category,
        interests.top_viewed_categories,
        interests.favourite_brand,
        interests.top_search_phrase,
        interests.top_search_phrases,
        order_summary.preferred_payment_method,
        order_summary.preferred_delivery_method,
        order_summary.preferred_order_weekday,
        order_summary.preferred_order_hour,
        case
            when order_summary.gross_revenue > 0
                then cast(order_summary.returned_revenue as double)
                    / cast(order_summary.gross_revenue as double)
        end as return_rate,
        coalesce(order_summary.return_count, 0) as return_count,
        coalesce(order_summary.complaint_count, 0) as complaint_count,
        coalesce(demographics.has_marketing_consent, false) as has_marketing_consent,
        demographics.preferred_channel,
        demographics.preferred_contact_hour,
        as_of.as_of_date
    from customer_spine
    cross join as_of
    left join demographics
        on customer_spine.customer_id = demographics.customer_id
    left join order_summary
        on customer_spine.customer_id = order_summary.customer_id
    left join session_summary
        on customer_spine.customer_id = session_summary.customer_id
    left join interests
        on customer_spine.customer_id = interests.customer_id

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ pseudonymous_key('customer_id') }} as {{ dbt.type_string() }}) as customer_key,
        cast(is_registered as {{ dbt.type_boolean() }}) as is_registered,
        cast(signed_up_at as {{ dbt.type_timestamp() }}) as signed_up_at,
        cast(age_band as {{ dbt.type_string() }}) as age_band,
        cast(gender as {{ dbt.type_string() }}) as gender,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(income_band as {{ dbt.type_string() }}) as income_band,
        cast(first_visit_at as {{ dbt.type_timestamp() }}) as first_visit_at,
        cast(first_traffic_source as {{ dbt.type_string() }}) as first_traffic_source,
        cast(first_campaign as {{ dbt.type_string() }}) as first_campaign,
        cast(most_frequent_traffic_source as {{ dbt.type_string() }}) as most_frequent_traffic_source,
        cast(visit_count as {{ dbt.type_bigint() }}) as visit_count,
        cast(visits_up_to_first_order as {{ dbt.type_bigint() }}) as visits_up_to_first_order,
        cast(visits_before_first_order as {{ dbt.type_bigint() }}) as visits_before_first_order,
        cast(days_from_first_visit_to_first_order as {{ dbt.type_int() }}) as days_from_first_visit_to_first_order,
        cast(first_order_date as date) as first_order_date,
        cast(last_order_date as date) as last_order_date,
        cast(order_count as {{ dbt.type_bigint() }}) as order_count,
        cast(cancelled_order_count as {{ dbt.type_bigint() }}) as cancelled_order_count,
        cast(item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(lifetime_gross_revenue as decimal(38, 2)) as lifetime_gross_revenue,
        cast(lifetime_returned_revenue as decimal(38, 2)) as lifetime_returned_revenue,
        cast(lifetime_net_revenue as decimal(38, 2)) as lifetime_net_revenue,
        cast(average_order_value as decimal(18, 2)) as average_order_value,
        cast(net_revenue_last_90_days as decimal(38, 2)) as net_revenue_last_90_days,
        cast(net_revenue_last_365_days as decimal(38, 2)) as net_revenue_last_365_days,
        cast(top_purchased_category as {{ dbt.type_string() }}) as top_purchased_category,
        cast(top_purchased_categories as {{ dbt.type_string() }}) as top_purchased_categories,
        cast(top_viewed_category as {{ dbt.type_string() }}) as top_viewed_category,
        cast(top_viewed_categories as {{ dbt.type_string() }}) as top_viewed_categories,
        cast(favourite_brand as {{ dbt.type_string() }}) as favourite_brand,
        cast(top_search_phrase as {{ dbt.type_string() }}) as top_search_phrase,
        cast(top_search_phrases as {{ dbt.type_string() }}) as top_search_phrases,
        cast(preferred_payment_method as {{ dbt.type_string() }}) as preferred_payment_method,
        cast(preferred_delivery_method as {{ dbt.type_string() }}) as preferred_delivery_method,
        cast(preferred_order_weekday as {{ dbt.type_int() }}) as preferred_order_weekday,
        cast(preferred_order_hour as {{ dbt.type_int() }}) as preferred_order_hour,
        cast(return_rate as double) as return_rate,
        cast(return_count as {{ dbt.type_bigint() }}) as return_count,
        cast(complaint_count as {{ dbt.type_bigint() }}) as complaint_count,
        cast(has_marketing_consent as {{ dbt.type_boolean() }}) as has_marketing_consent,
        cast(preferred_channel as {{ dbt.type_string() }}) as preferred_channel,
        cast(preferred_contact_hour as {{ dbt.type_int() }}) as preferred_contact_hour,
        cast(as_of_date as date) as as_of_date
    from joined

)

select * from final
