{#- Lint harness of macros/segments/kmeans.sql (analyses/macro_lint/README.md). -#}
with cluster_features as (

    select * from {{ ref('int_customer_cluster_features') }}

),

cluster_log as (

    select * from {{ ref('int_customer_cluster_iterations') }}

),

final as (

    select
        cluster_features.customer_id,
        cluster_log.cluster_id,
        -- noqa: disable=LT02
        {%- for feature in kmeans_features() %}
        {{ kmeans_transform(feature, 'cluster_features.' ~ feature.name) }} as x_{{ feature.name }},
        {{ kmeans_inverse_transform(feature, 'cluster_features.x_' ~ feature.name) }} as back_{{ feature.name }},
        {%- endfor %}
        -- noqa: enable=LT02
        {{ kmeans_squared_distance('cluster_features', 'cluster_log') }} as squared_distance,
        {{ kmeans_squared_distance('cluster_features', 'cluster_log', behavioural_only=true) }}
            as behavioural_squared_distance
    from cluster_features
    cross join cluster_log

)

select * from final
