{#- Lint harness of macros/customers/ and macros/segments/ (analyses/macro_lint/README.md). -#}
with customers as (

    select * from {{ ref('dim_customers') }}

),

rfm as (

    select * from {{ ref('customer_rfm') }}

),

basket_items as (

    select * from {{ ref('int_basket_items') }}

),

{{ middle_values_ctes('recency_middle', 'rfm', 'segment_name', 'recency_days') }}

recency_scores as (

    {{ quintile_scores('rfm', 'customer_id', 'recency_days', better='lower', score_column='r_score') }}

),

recency_medians as (

    {{ middle_values('rfm', 'segment_name', 'recency_days') }}

),

profiles as (

    {{ typical_customer_profile('customers', 'region') }}

),

ranked_categories as (

    select
        customer_id,
        category,
        count(*) as order_count,
        {{ preference_rank('customer_id', 'count(*)', 'category') }} as preference
    from basket_items
    group by customer_id, category

),

top_categories as (

    select
        customer_id,
        {{ top_values_list('category', 'preference', 3, ' | ') }} as top_categories
    from ranked_categories
    group by customer_id

),

final as (

    select
        customers.customer_id,
        {{ pseudonymous_key('customers.customer_id') }} as customer_key,
        {{ age_in_years('customers.first_order_date', 'customers.as_of_date') }} as years,
        {{ age_band('customers.first_order_date', 'customers.as_of_date') }} as band,
        {{ divide_money('customers.lifetime_net_revenue', 'customers.order_count') }} as average_order_value,
        {{ add_days('customers.as_of_date', '7') }} as a_week_later,
        {{ percent_text('customers.return_count', 'customers.order_count') }} as return_percent,
        {{ share('customers.return_count', 'customers.order_count') }} as return_share,
        {{ as_of_date('customers.first_order_date') }} as as_of_date,
        top_categories.top_categories,
        recency_scores.r_score,
        recency_medians.median_group,
        recency_middle.median_value,
        profiles.customer_count
    from customers
    left join top_categories
        on customers.customer_id = top_categories.customer_id
    left join recency_scores
        on customers.customer_id = recency_scores.customer_id
    left join recency_medians
        on customers.region = recency_medians.median_group
    left join recency_middle
        on customers.region = recency_middle.median_group
    left join profiles
        on customers.region = profiles.profile_group

)

select * from final
