{#-
    Every person seen within var scorecard_population_days of the as-of date
    (anonymous visitor or customer, stitched) with both scores, their bands
    and actions (seed score_thresholds), the previous run's score and the
    explanation (int_visitor_scores). Persons are identified by person_key
    (pseudonymous; a visitor's cookie id is personal data and never shown);
    customers also by customer_id (docs/privacy.md). nearest_cluster_id /
    nearest_cluster_label: the person's k-means cluster (int_visitor_clusters,
    docs/clusters.md; null without enough behaviour).
-#}
with visitor_scores as (

    select * from {{ ref('int_visitor_scores') }}

),

visitor_clusters as (

    select * from {{ ref('int_visitor_clusters') }}

),

cluster_profiles as (

    select * from {{ ref('int_cluster_profiles') }}

),

keyed as (

    select
        {{ pseudonymous_key('visitor_scores.person_id') }} as person_key,
        visitor_scores.person_type,
        visitor_scores.customer_id,
        visitor_scores.score_name,
        visitor_scores.score,
        visitor_scores.score_band,
        visitor_scores.score_band_threshold,
        visitor_scores.fired_action,
        visitor_scores.previous_score,
        visitor_scores.is_threshold_crossed,
        visitor_scores.explanation,
        visitor_scores.as_of_date,
        visitor_scores.as_of_at,
        visitor_clusters.cluster_id as nearest_cluster_id,
        cluster_profiles.cluster_label as nearest_cluster_label
    from visitor_scores
    left join visitor_clusters
        on visitor_scores.person_id = visitor_clusters.person_id
    left join cluster_profiles
        on visitor_clusters.cluster_id = cluster_profiles.cluster_id

),

final as (

    select
        cast({{ dbt.concat(['person_key', "'|'", 'score_name']) }} as {{ dbt.type_string() }}) as visitor_score_id,
        cast(person_key as {{ dbt.type_string() }}) as person_key,
        cast(person_type as {{ dbt.type_string() }}) as person_type,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(score as int) as score,
        cast(score_band as {{ dbt.type_string() }}) as score_band,
        cast(score_band_threshold as int) as score_band_threshold,
        cast(fired_action as {{ dbt.type_string() }}) as fired_action,
        cast(previous_score as int) as previous_score,
        cast(is_threshold_crossed as boolean) as is_threshold_crossed,
        cast(explanation as {{ dbt.type_string() }}) as explanation,
        cast(as_of_date as date) as as_of_date,
        cast(as_of_at as timestamp) as as_of_at,
        cast(nearest_cluster_id as int) as nearest_cluster_id,
        cast(nearest_cluster_label as {{ dbt.type_string() }}) as nearest_cluster_label
    from keyed

)

select * from final
