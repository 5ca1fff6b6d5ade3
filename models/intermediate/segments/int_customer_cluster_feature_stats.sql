{#-
    One row per k-means feature (macro kmeans_features): its transform, and
    the mean and population standard deviation of the transformed value
    (x_<feature>) over the clustered customers (int_customer_cluster_features),
    as the standardisation used them, and the range of the original value.
    Read to take a centroid back to
    original units (cluster_profiles) and to standardise a visitor's
    behaviour the same way (int_visitor_clusters).
-#}
{%- set features = kmeans_features() -%}
with cluster_features as (

    select * from {{ ref('int_customer_cluster_features') }}

),

moments as (

    {%- for feature in features %}
        select
            '{{ feature.name }}' as feature_name,
            {{ loop.index }} as feature_order,
            '{{ feature.transform }}' as feature_transform,
            {{ 'true' if feature.is_behavioural else 'false' }} as is_behavioural,
            avg(x_{{ feature.name }}) as transformed_mean,
            stddev_pop(x_{{ feature.name }}) as transformed_sd,
            cast(min({{ feature.name }}) as double) as observed_min,
            cast(max({{ feature.name }}) as double) as observed_max
        from cluster_features
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        cast(feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(feature_order as int) as feature_order,
        cast(feature_transform as {{ dbt.type_string() }}) as feature_transform,
        cast(is_behavioural as boolean) as is_behavioural,
        cast(transformed_mean as double) as transformed_mean,
        cast(transformed_sd as double) as transformed_sd,
        cast(observed_min as double) as observed_min,
        cast(observed_max as double) as observed_max
    from moments

)

select * from final
