{#-
    One row per k-means cluster: size, revenue share, the centroid in
    original units, the generated label and the most common RFM segment
    (int_cluster_profiles; docs/clusters.md).
-#}
with profiles as (

    select * from {{ ref('int_cluster_profiles') }}

),

final as (

    select
        cast(cluster_id as int) as cluster_id,
        cast(cluster_label as {{ dbt.type_string() }}) as cluster_label,
        cast(as_of_date as date) as as_of_date,
        cast(customer_count as {{ dbt.type_bigint() }}) as customer_count,
        cast(customer_share as double) as customer_share,
        cast(net_revenue as decimal(38, 2)) as net_revenue,
        cast(revenue_share as double) as revenue_share,
        cast(average_distance_to_centroid as double) as average_distance_to_centroid,
        cast(cluster_inertia as double) as cluster_inertia,
        cast(centroid_recency_days as double) as centroid_recency_days,
        cast(centroid_frequency as double) as centroid_frequency,
        cast(centroid_monetary as double) as centroid_monetary,
        cast(centroid_average_order_value as double) as centroid_average_order_value,
        cast(centroid_top_category_order_share as double) as centroid_top_category_order_share,
        cast(centroid_discounted_order_share as double) as centroid_discounted_order_share,
        cast(centroid_return_rate_by_value as double) as centroid_return_rate_by_value,
        cast(centroid_session_count as double) as centroid_session_count,
        cast(centroid_search_session_share as double) as centroid_search_session_share,
        cast(centroid_cart_abandonment_rate as double) as centroid_cart_abandonment_rate,
        cast(top_rfm_segment as {{ dbt.type_string() }}) as top_rfm_segment,
        cast(top_rfm_segment_share as double) as top_rfm_segment_share
    from profiles

)

select * from final
