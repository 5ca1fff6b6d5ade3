{#-
    One row per clustered customer: their k-means cluster, its label and the
    distances to its centroid and the next-nearest one (int_customer_clusters,
    int_cluster_profiles; docs/clusters.md).
-#}
with customer_clusters as (

    select * from {{ ref('int_customer_clusters') }}

),

profiles as (

    select * from {{ ref('int_cluster_profiles') }}

),

final as (

    select
        cast(customer_clusters.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast({{ pseudonymous_key('customer_clusters.customer_id') }} as {{ dbt.type_string() }}) as customer_key,
        cast(customer_clusters.as_of_date as date) as as_of_date,
        cast(customer_clusters.cluster_id as int) as cluster_id,
        cast(profiles.cluster_label as {{ dbt.type_string() }}) as cluster_label,
        cast(customer_clusters.distance_to_centroid as double) as distance_to_centroid,
        cast(customer_clusters.next_cluster_id as int) as next_cluster_id,
        cast(customer_clusters.distance_to_next_centroid as double) as distance_to_next_centroid
    from customer_clusters
    inner join profiles
        on customer_clusters.cluster_id = profiles.cluster_id

)

select * from final
