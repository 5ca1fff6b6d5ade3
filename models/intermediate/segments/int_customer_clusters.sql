{#-
    One row per clustered customer (int_customer_cluster_features): the
    cluster whose final centroid (int_customer_cluster_iterations, is_final)
    is nearest (squared Euclidean distance over the standardised features;
    on a tie the lowest cluster_id, as scikit-learn), the Euclidean distance
    to it, and the next-nearest cluster and its distance (null when k = 1).
-#}
with cluster_features as (

    select * from {{ ref('int_customer_cluster_features') }}

),

cluster_log as (

    select * from {{ ref('int_customer_cluster_iterations') }}

),

final_centroids as (

    select * from cluster_log
    where is_final

),

distances as (

    select
        cluster_features.customer_id,
        cluster_features.as_of_date,
        final_centroids.cluster_id,
        {{ kmeans_squared_distance('cluster_features', 'final_centroids') }} as squared_distance
    from cluster_features
    cross join final_centroids

),

ranked as (

    select
        customer_id,
        as_of_date,
        cluster_id,
        squared_distance,
        row_number() over (partition by customer_id order by squared_distance, cluster_id) as distance_rank
    from distances

),

final as (

    select
        customer_id,
        max(as_of_date) as as_of_date,
        cast(max(case when distance_rank = 1 then cluster_id end) as int) as cluster_id,
        cast(max(case when distance_rank = 1 then squared_distance end) as double) as squared_distance,
        cast(sqrt(max(case when distance_rank = 1 then squared_distance end)) as double) as distance_to_centroid,
        cast(max(case when distance_rank = 2 then cluster_id end) as int) as next_cluster_id,
        cast(sqrt(max(case when distance_rank = 2 then squared_distance end)) as double) as distance_to_next_centroid
    from ranked
    where distance_rank <= 2
    group by customer_id

)

select * from final
