{#-
    One row per named RFM segment of the seed rfm_segments - every segment,
    also one without customers (counts and revenue 0, averages, medians and
    the profile null) - with its size, revenue, shares of the whole,
    average order value, median recency and the typical customer (macro
    typical_customer_profile over int_customers - the rows of dim_customers -
    grouped by segment).
    Totals reconcile with customer_rfm: customer_count sums to its rows,
    net_revenue to its monetary.
-#}
with rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

customers as (

    select * from {{ ref('int_customers') }}

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

segment_totals as (

    select
        segment_name,
        count(*) as customer_count,
        sum(frequency) as order_count,
        sum(monetary) as net_revenue
    from rfm
    group by segment_name

),

shop_totals as (

    select
        count(*) as customer_count,
        sum(monetary) as net_revenue
    from rfm

),

recency_middles as (

    {{ middle_values('rfm', 'segment_name', 'recency_days') }}

),

median_recency as (

    {#- Exact median: the mean of the two middle values (macro middle_values_ctes). #}
    select
        median_group as segment_name,
        avg(cast(median_value as double)) as median_recency_days
    from recency_middles
    group by median_group

),

segment_customers as (

    select
        customers.customer_id,
        customers.age_band,
        customers.gender,
        customers.region,
        customers.city,
        customers.first_traffic_source,
        customers.order_count,
        customers.lifetime_net_revenue,
        customers.top_purchased_category,
        rfm.segment_name
    from rfm
    inner join customers
        on rfm.customer_id = customers.customer_id

),

profiles as (

    {{ typical_customer_profile('segment_customers', 'segment_name') }}

),

final as (

    select
        cast(segments.segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(segments.segment_order as {{ dbt.type_int() }}) as segment_order,
        cast(segments.recommended_action as {{ dbt.type_string() }}) as recommended_action,
        cast(as_of.as_of_date as date) as as_of_date,
        cast(coalesce(segment_totals.customer_count, 0) as {{ dbt.type_bigint() }}) as customer_count,
        cast(
            {{ share('coalesce(segment_totals.customer_count, 0)', 'shop_totals.customer_count') }} as double
        ) as customer_share,
        cast(coalesce(segment_totals.order_count, 0) as {{ dbt.type_bigint() }}) as order_count,
        cast(coalesce(segment_totals.net_revenue, 0) as decimal(38, 2)) as net_revenue,
        cast(
            {{ share('coalesce(segment_totals.net_revenue, 0)', 'shop_totals.net_revenue') }} as double
        ) as revenue_share,
        {{ divide_money('segment_totals.net_revenue', 'segment_totals.order_count') }} as average_order_value,
        cast(median_recency.median_recency_days as double) as median_recency_days,
        cast(coalesce(profiles.buyer_count, 0) as {{ dbt.type_bigint() }}) as buyer_count,
        cast(profiles.median_age_band as {{ dbt.type_string() }}) as median_age_band,
        cast(profiles.top_gender as {{ dbt.type_string() }}) as top_gender,
        cast(profiles.top_region as {{ dbt.type_string() }}) as top_region,
        cast(profiles.top_acquisition_channel as {{ dbt.type_string() }}) as top_acquisition_channel,
        cast(profiles.median_lifetime_net_revenue as decimal(18, 2)) as median_lifetime_net_revenue,
        cast(profiles.top_categories as {{ dbt.type_string() }}) as top_categories
    from segments
    cross join as_of
    cross join shop_totals
    left join segment_totals
        on segments.segment_name = segment_totals.segment_name
    left join median_recency
        on segments.segment_name = median_recency.segment_name
    left join profiles
        on segments.segment_name = profiles.profile_group

)

select * from final
