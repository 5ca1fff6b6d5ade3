{#-
    The k initial centroids of the k-means clustering (var kmeans_k), one row
    per cluster_id 1 .. k: k-means++ (Arthur and Vassilvitskii 2007) made
    deterministic (docs/clusters.md). The uniform numbers u1 .. uk come from
    macro kmeans_uniform_draws (var kmeans_seed); customers are taken in
    customer_id order.
    - Centroid 1: the customer at position floor(u1 x n) + 1 of the n
      clustered customers (int_customer_cluster_features).
    - Centroid j (2 .. k): every customer's D = squared distance to the
      nearest centroid chosen so far; the first customer whose running sum
      of D exceeds uj x (the sum of all D), i.e. a customer drawn with
      probability proportional to D. A customer equal to a chosen centroid
      (D = 0) is never chosen.
    Each centroid is one table of its own while the model builds (macro
    step_tables); the centroid is the chosen customer's standardised
    features z_<feature>.
-#}
{%- set k = var('kmeans_k') | int -%}
{%- if k < 1 -%}
    {%- do exceptions.raise_compiler_error('var kmeans_k must be at least 1, got ' ~ k) -%}
{%- endif -%}
{#- the SQL of the steps is Jinja loops in set blocks: layout not linted #}
-- noqa: disable=LT02
{{ config(post_hook=["{{ drop_step_tables() }}"]) }}
{%- set features = kmeans_features() -%}
{#- placeholders step_tables fills in: the step before (and the step just made) -#}
{%- set previous_step_table = '__previous_step_table__' -%}
{%- set draws = kmeans_uniform_draws(var('kmeans_seed'), k) -%}
{%- set first_seed_sql -%}
select
    cast(1 as int) as cluster_id,
    positioned.customer_id as seed_customer_id,
    {%- for feature in features %}
    positioned.z_{{ feature.name }} as centroid_{{ feature.name }}{{ "," if not loop.last }}
    {%- endfor %}
from (
    select
        cluster_features.customer_id,
        {%- for feature in features %}
        cluster_features.z_{{ feature.name }},
        {%- endfor %}
        row_number() over (order by cluster_features.customer_id) as customer_position,
        count(*) over () as customer_count
    from {{ ref('int_customer_cluster_features') }} as cluster_features
) as positioned
where positioned.customer_position
    = cast(floor(cast({{ draws[0] }} as double) * positioned.customer_count) as {{ dbt.type_bigint() }}) + 1
{%- endset -%}
{%- set next_seed_sql -%}
select
    seeds.cluster_id,
    seeds.seed_customer_id,
    {%- for feature in features %}
    seeds.centroid_{{ feature.name }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ previous_step_table }} as seeds

union all

select
    cast(__step_number__ + 1 as int) as cluster_id,
    candidates.customer_id as seed_customer_id,
    {%- for feature in features %}
    candidates.z_{{ feature.name }} as centroid_{{ feature.name }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('int_customer_cluster_features') }} as candidates
inner join (
    select min(running.customer_id) as customer_id
    from (
        select
            cumulative.customer_id,
            cumulative.running_distance,
            {#- the last running sum, so the last customer always qualifies #}
            max(cumulative.running_distance) over () as total_distance
        from (
            select
                nearest.customer_id,
                sum(nearest.squared_distance) over (
                    order by nearest.customer_id rows between unbounded preceding and current row
                ) as running_distance
            from (
                select
                    cluster_features.customer_id,
                    min({{ kmeans_squared_distance('cluster_features', 'seeds') }}) as squared_distance
                from {{ ref('int_customer_cluster_features') }} as cluster_features
                cross join {{ previous_step_table }} as seeds
                group by cluster_features.customer_id
            ) as nearest
        ) as cumulative
    ) as running
    where running.running_distance > cast(case __step_number__
    {%- for draw in draws[1:] %}
        when {{ loop.index }} then {{ draw }}
    {%- endfor %}
    end as double) * running.total_distance
) as chosen
    on candidates.customer_id = chosen.customer_id
{%- endset -%}
{%- set last_step = step_tables(first_seed_sql, next_seed_sql, k - 1) -%}
with seeds as (

    select * from {{ last_step }}

),

final as (

    select
        cast(cluster_id as int) as cluster_id,
        cast(seed_customer_id as {{ dbt.type_string() }}) as seed_customer_id,
        {%- for feature in features %}
        cast(centroid_{{ feature.name }} as double) as centroid_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    from seeds

)

select * from final
