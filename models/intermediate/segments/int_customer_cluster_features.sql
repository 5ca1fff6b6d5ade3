{#-
    One row per customer with at least one non-cancelled order on or before
    the as-of date (the customers of int_customer_rfm_metrics): the features
    the k-means clustering runs on (macro kmeans_features, docs/clusters.md),
    each in three forms:
    - <feature>: original units (days, orders, shop currency, shares 0 .. 1);
      a share whose basis is 0 (no categorised order, no cart session) is 0;
      monetary and average order value below 0 (more returned than bought)
      count as 0;
    - x_<feature>: transformed: ln(1 + value) for the skewed counts and
      amounts (transform 'log'), the value itself for shares;
    - z_<feature>: standardised, (x - mean) / population standard deviation
      over these customers (0 when every customer has the same x).
    The means and deviations are published in int_customer_cluster_feature_stats.
-#}
{%- set features = kmeans_features() -%}
with rfm_metrics as (

    select * from {{ ref('int_customer_rfm_metrics') }}

),

behaviour_metrics as (

    select * from {{ ref('int_customer_behaviour_metrics') }}

),

feature_values as (

    select
        rfm_metrics.customer_id,
        rfm_metrics.as_of_date,
        cast(rfm_metrics.recency_days as double) as recency_days,
        cast(rfm_metrics.frequency as double) as frequency,
        greatest(cast(rfm_metrics.monetary as double), 0.0) as monetary,
        greatest(cast(rfm_metrics.monetary as double) / cast(rfm_metrics.frequency as double), 0.0)
            as average_order_value,
        coalesce(behaviour_metrics.top_category_order_share, 0.0) as top_category_order_share,
        coalesce(behaviour_metrics.discounted_order_share, 0.0) as discounted_order_share,
        coalesce(behaviour_metrics.return_rate_by_value, 0.0) as return_rate_by_value,
        cast(coalesce(behaviour_metrics.session_count, 0) as double) as session_count,
        coalesce(behaviour_metrics.search_session_share, 0.0) as search_session_share,
        coalesce(behaviour_metrics.cart_abandonment_rate, 0.0) as cart_abandonment_rate
    from rfm_metrics
    left join behaviour_metrics
        on rfm_metrics.customer_id = behaviour_metrics.customer_id

),

transformed as (

    select
        customer_id,
        as_of_date,
        -- noqa: disable=LT02
        {%- for feature in features %}
        {{ feature.name }},
        cast({{ kmeans_transform(feature, feature.name) }} as double) as x_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from feature_values

),

moments as (

    select
        -- noqa: disable=LT02
        {%- for feature in features %}
        avg(x_{{ feature.name }}) as mean_{{ feature.name }},
        stddev_pop(x_{{ feature.name }}) as sd_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from transformed

),

final as (

    select
        transformed.customer_id,
        transformed.as_of_date,
        -- noqa: disable=LT02
        {%- for feature in features %}
        transformed.{{ feature.name }},
        transformed.x_{{ feature.name }},
        case
            when moments.sd_{{ feature.name }} > 0
                then (transformed.x_{{ feature.name }} - moments.mean_{{ feature.name }})
                    / moments.sd_{{ feature.name }}
            else 0.0
        end as z_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from transformed
    cross join moments

)

select * from final
