{#-
    The k-means log (int_customer_cluster_iterations; docs/clusters.md): one
    row per iteration and cluster, iteration 0 the initial centroids (the
    deterministic k-means++ of int_customer_cluster_seeds), is_final the
    final centroids; the centroid as <feature>_z in standardised units
    (z-scores: named so, not centroid_<feature>, because a z-score is no
    share nor count).
-#}
with cluster_log as (

    select * from {{ ref('int_customer_cluster_iterations') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

final as (

    select
        cast(cluster_log.cluster_iteration_id as {{ dbt.type_string() }}) as cluster_iteration_id,
        cast(cluster_log.iteration as int) as iteration,
        cast(cluster_log.cluster_id as int) as cluster_id,
        cast(cluster_log.is_final as boolean) as is_final,
        cast(as_of.as_of_date as date) as as_of_date,
        cast(cluster_log.centroid_recency_days as double) as recency_days_z,
        cast(cluster_log.centroid_frequency as double) as frequency_z,
        cast(cluster_log.centroid_monetary as double) as monetary_z,
        cast(cluster_log.centroid_average_order_value as double) as average_order_value_z,
        cast(cluster_log.centroid_top_category_order_share as double) as top_category_order_share_z,
        cast(cluster_log.centroid_discounted_order_share as double) as discounted_order_share_z,
        cast(cluster_log.centroid_return_rate_by_value as double) as return_rate_by_value_z,
        cast(cluster_log.centroid_session_count as double) as session_count_z,
        cast(cluster_log.centroid_search_session_share as double) as search_session_share_z,
        cast(cluster_log.centroid_cart_abandonment_rate as double) as cart_abandonment_rate_z,
        cast(cluster_log.customer_count as {{ dbt.type_bigint() }}) as customer_count,
        cast(cluster_log.cluster_inertia as double) as cluster_inertia,
        cast(cluster_log.iteration_inertia as double) as iteration_inertia,
        cast(cluster_log.customers_changed as {{ dbt.type_bigint() }}) as customers_changed
    from cluster_log
    cross join as_of

)

select * from final
