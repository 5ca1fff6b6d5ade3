{#-
    One row per person (macro person_id: the stitched customer, else the
    anonymous visitor) placed in a k-means cluster (docs/clusters.md), read
    by the real-time scores (visitor_scores.nearest_cluster_id):
    - a clustered customer (int_customer_clusters): their own cluster
      (cluster_basis 'customer');
    - anyone else with at least var kmeans_visitor_min_sessions sessions on
      or before the as-of date (a visitor, a customer without an order): the
      cluster whose final centroid is nearest on the behavioural features
      only (kmeans_features with is_behavioural: sessions, search session
      share, cart abandonment rate), counted as for customers
      (int_customer_behaviour_metrics: a share with basis 0 is 0) and
      standardised with the customers' means and deviations
      (int_customer_cluster_feature_stats); ties: the lowest cluster_id
      (cluster_basis 'behaviour').
    Persons with fewer sessions are not here (not enough behaviour).
-#}
{%- set behavioural = kmeans_features() | selectattr('is_behavioural') | list -%}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

customer_clusters as (

    select * from {{ ref('int_customer_clusters') }}

),

cluster_log as (

    select * from {{ ref('int_customer_cluster_iterations') }}

),

feature_stats as (

    select * from {{ ref('int_customer_cluster_feature_stats') }}

),

final_centroids as (

    select * from cluster_log
    where is_final

),

person_sessions as (

    select
        {{ person_id('sessions.customer_id', 'sessions.visitor_id') }} as person_id,
        count(*) as session_count,
        sum(case when sessions.search_count > 0 then 1 else 0 end) as search_session_count,
        sum(case when sessions.cart_add_count > 0 then 1 else 0 end) as cart_session_count,
        sum(case when sessions.cart_add_count > 0 and not sessions.is_converted then 1 else 0 end)
            as abandoned_cart_session_count
    from sessions
    cross join as_of
    where sessions.session_date <= as_of.as_of_date
    group by {{ person_id('sessions.customer_id', 'sessions.visitor_id') }}

),

behaviour as (

    select
        person_sessions.person_id,
        cast(person_sessions.session_count as double) as session_count,
        coalesce({{ share('person_sessions.search_session_count', 'person_sessions.session_count') }}, 0.0)
            as search_session_share,
        coalesce({{ share('person_sessions.abandoned_cart_session_count', 'person_sessions.cart_session_count') }}, 0.0)
            as cart_abandonment_rate
    from person_sessions
    left join customer_clusters
        on person_sessions.person_id = customer_clusters.customer_id
    where
        person_sessions.person_id is not null
        and customer_clusters.customer_id is null
        and person_sessions.session_count >= {{ var('kmeans_visitor_min_sessions') | int }}

),

stats as (

    select
        -- noqa: disable=LT02
        {%- for feature in behavioural %}
        max(case when feature_name = '{{ feature.name }}' then transformed_mean end) as mean_{{ feature.name }},
        max(case when feature_name = '{{ feature.name }}' then transformed_sd end)
            as sd_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from feature_stats

),

standardised as (

    select
        behaviour.person_id,
        -- noqa: disable=LT02
        {%- for feature in behavioural %}
        case
            when stats.sd_{{ feature.name }} > 0
                then ({{ kmeans_transform(feature, 'behaviour.' ~ feature.name) }} - stats.mean_{{ feature.name }})
                    / stats.sd_{{ feature.name }}
            else 0.0
        end as z_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from behaviour
    cross join stats

),

ranked as (

    select
        standardised.person_id,
        final_centroids.cluster_id,
        row_number() over (
            partition by standardised.person_id
            order by
                {{ kmeans_squared_distance('standardised', 'final_centroids', behavioural_only=true) }},
                final_centroids.cluster_id
        ) as distance_rank
    from standardised
    cross join final_centroids

),

final as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as person_id,
        cast(cluster_id as int) as cluster_id,
        cast('customer' as {{ dbt.type_string() }}) as cluster_basis
    from customer_clusters

    union all

    select
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(cluster_id as int) as cluster_id,
        cast('behaviour' as {{ dbt.type_string() }}) as cluster_basis
    from ranked
    where distance_rank = 1

)

select * from final
