{#-
    One row per cluster of the final k-means clustering (docs/clusters.md):
    its size and revenue, its centroid in original units and a generated
    label.
    - customer_count, customer_share: its customers (int_customer_clusters)
      and their share of all clustered customers.
    - net_revenue, revenue_share: its customers' lifetime net revenue at the
      as-of date (int_customer_rfm_metrics.monetary) and its share of all.
    - centroid_<feature>: the final centroid taken back to original units:
      mean + sd x z of the transformed value, then exp(x) - 1 for a logged
      feature (int_customer_cluster_feature_stats): the cluster's "typical"
      customer (for a logged feature the geometric-mean-like middle, not the
      plain average). Kept within the feature's observed range, which a mean
      of customers' values lies in: only floating-point error (e.g. a share
      of 1.0000000000000002) is clipped.
    - cluster_label: the phrases (seed cluster_label_words) of the two
      features whose standardised centroid is furthest from 0, 'high' or
      'low', when at least var kmeans_label_min_z away (ties: feature order
      of kmeans_features), joined with ', '; 'average customers' when none
      is; ' (cluster <id>)' added when two clusters would read the same.
    - top_rfm_segment, top_rfm_segment_share: the RFM segment
      (int_customer_rfm) most of its customers are in (ties: by name) and
      their share of the cluster.
-#}
{%- set features = kmeans_features() -%}
{%- set min_z = 'cast(' ~ var('kmeans_label_min_z') ~ ' as double)' -%}
with customer_clusters as (

    select * from {{ ref('int_customer_clusters') }}

),

cluster_log as (

    select * from {{ ref('int_customer_cluster_iterations') }}

),

feature_stats as (

    select * from {{ ref('int_customer_cluster_feature_stats') }}

),

rfm_metrics as (

    select * from {{ ref('int_customer_rfm_metrics') }}

),

rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

label_words as (

    select * from {{ ref('cluster_label_words') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

final_centroids as (

    select * from cluster_log
    where is_final

),

centroid_features as (

    {%- for feature in features %}
        select
            final_centroids.cluster_id,
            '{{ feature.name }}' as feature_name,
            {{ loop.index }} as feature_order,
            final_centroids.centroid_{{ feature.name }} as centroid_z
        from final_centroids
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

ranked_features as (

    select
        centroid_features.cluster_id,
        centroid_features.feature_name,
        centroid_features.centroid_z,
        label_words.phrase,
        row_number() over (
            partition by centroid_features.cluster_id
            order by abs(centroid_features.centroid_z) desc, centroid_features.feature_order
        ) as strength_rank
    from centroid_features
    left join label_words
        on
            centroid_features.feature_name = label_words.feature_name
            and label_words.direction = case when centroid_features.centroid_z >= 0 then 'high' else 'low' end
    where abs(centroid_features.centroid_z) >= {{ min_z }}

),

plain_labels as (

    select
        final_centroids.cluster_id,
        coalesce(
            case
                when second_feature.phrase is not null
                    then {{ dbt.concat(['first_feature.phrase', "', '", 'second_feature.phrase']) }}
                else first_feature.phrase
            end,
            'average customers'
        ) as plain_label
    from final_centroids
    left join ranked_features as first_feature
        on
            final_centroids.cluster_id = first_feature.cluster_id
            and first_feature.strength_rank = 1
    left join ranked_features as second_feature
        on
            final_centroids.cluster_id = second_feature.cluster_id
            and second_feature.strength_rank = 2

),

labels as (

    select
        cluster_id,
        case
            when count(*) over (partition by plain_label) > 1
                then {{ dbt.concat([
                    'plain_label', "' (cluster '", 'cast(cluster_id as ' ~ dbt.type_string() ~ ')', "')'"]) }}
            else plain_label
        end as cluster_label
    from plain_labels

),

original_centroids as (

    select
        final_centroids.cluster_id,
        -- noqa: disable=LT02
        {%- for feature in features %}
        max(case when feature_stats.feature_name = '{{ feature.name }}' then
            greatest(feature_stats.observed_min, least(feature_stats.observed_max,
            {{ kmeans_inverse_transform(feature,
                'feature_stats.transformed_mean + coalesce(feature_stats.transformed_sd, 0.0)'
                ~ ' * final_centroids.centroid_' ~ feature.name) }}))
            end) as centroid_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from final_centroids
    cross join feature_stats
    group by final_centroids.cluster_id

),

customer_facts as (

    select
        customer_clusters.customer_id,
        customer_clusters.cluster_id,
        customer_clusters.squared_distance,
        customer_clusters.distance_to_centroid,
        rfm_metrics.monetary,
        rfm.segment_name
    from customer_clusters
    inner join rfm_metrics
        on customer_clusters.customer_id = rfm_metrics.customer_id
    left join rfm
        on customer_clusters.customer_id = rfm.customer_id

),

cluster_sizes as (

    select
        cluster_id,
        count(*) as customer_count,
        sum(monetary) as net_revenue,
        sum(squared_distance) as cluster_inertia,
        avg(distance_to_centroid) as average_distance_to_centroid
    from customer_facts
    group by cluster_id

),

totals as (

    select
        count(*) as customer_count,
        sum(monetary) as net_revenue
    from customer_facts

),

segment_counts as (

    select
        cluster_id,
        segment_name,
        count(*) as customer_count,
        row_number() over (
            partition by cluster_id
            order by count(*) desc, segment_name nulls last
        ) as segment_rank
    from customer_facts
    group by cluster_id, segment_name

),

final as (

    select
        final_centroids.cluster_id,
        labels.cluster_label,
        as_of.as_of_date,
        coalesce(cluster_sizes.customer_count, 0) as customer_count,
        cast(coalesce(cluster_sizes.customer_count, 0) as double) / cast(totals.customer_count as double)
            as customer_share,
        coalesce(cluster_sizes.net_revenue, 0) as net_revenue,
        case
            when totals.net_revenue <> 0
                then cast(coalesce(cluster_sizes.net_revenue, 0) as double) / cast(totals.net_revenue as double)
        end as revenue_share,
        cluster_sizes.average_distance_to_centroid,
        coalesce(cluster_sizes.cluster_inertia, 0.0) as cluster_inertia,
        -- noqa: disable=LT02
        {%- for feature in features %}
        original_centroids.centroid_{{ feature.name }},
        {%- endfor %}
        -- noqa: enable=LT02
        segment_counts.segment_name as top_rfm_segment,
        cast(segment_counts.customer_count as double) / cast(cluster_sizes.customer_count as double)
            as top_rfm_segment_share
    from final_centroids
    cross join as_of
    cross join totals
    inner join labels
        on final_centroids.cluster_id = labels.cluster_id
    inner join original_centroids
        on final_centroids.cluster_id = original_centroids.cluster_id
    left join cluster_sizes
        on final_centroids.cluster_id = cluster_sizes.cluster_id
    left join segment_counts
        on
            final_centroids.cluster_id = segment_counts.cluster_id
            and segment_counts.segment_rank = 1

)

select * from final
