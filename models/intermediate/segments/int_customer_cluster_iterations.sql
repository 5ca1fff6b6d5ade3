{#-
    The log of the k-means clustering (Lloyd's algorithm, docs/clusters.md):
    one row per iteration and cluster. Iteration 0 holds the initial
    centroids (int_customer_cluster_seeds). Iteration t (1, 2, ...):
    - every customer (int_customer_cluster_features) is assigned to the
      nearest centroid of iteration t - 1 (squared Euclidean distance over the
      standardised features; on a tie the lowest cluster_id, as
      scikit-learn);
    - cluster_inertia: the sum of its customers' squared distances to that
      centroid; customer_count: its customers; customers_changed: customers
      whose cluster differs from iteration t - 1's assignment (every customer
      at t = 1), the same on each row of the iteration;
    - the centroid of iteration t is the plain mean (double) of its
      customers' standardised features. An empty cluster keeps its centroid
      (customer_count 0; scikit-learn would move it to a far point instead:
      the equality test fails when this happens).
    It stops after iteration t when no customer changed cluster (strict
    convergence: its centroids are the previous ones), or when the centroid
    shift, the sum over clusters of the squared Euclidean distance between
    iteration t's and iteration t - 1's centroid, is <= var kmeans_tolerance
    times the mean over the features of var_pop(z_<feature>) over
    int_customer_cluster_features (scikit-learn's KMeans tol, _tolerance and
    _kmeans_single_lloyd), or after var kmeans_max_iterations. The final
    centroids are the rows of the last iteration; int_customer_clusters
    assigns every customer to the nearest of them (scikit-learn's last
    assignment step after a stop that is not strict). Each iteration
    is one table of its own while the model builds (macro step_tables), each
    holding the log so far.
-#}
{%- set max_iterations = var('kmeans_max_iterations') | int -%}
{%- set k = var('kmeans_k') | int -%}
{%- if max_iterations < 1 -%}
    {%- do exceptions.raise_compiler_error('var kmeans_max_iterations must be at least 1, got ' ~ max_iterations) -%}
{%- endif -%}
{#- a value that is not a number becomes -1 (an error); not (x >= 0) also refuses nan -#}
{%- set tolerance = var('kmeans_tolerance') | float(-1.0) -%}
{%- if not (tolerance >= 0) -%}
    {%- do exceptions.raise_compiler_error('var kmeans_tolerance must be a number >= 0, got '
        ~ var('kmeans_tolerance')) -%}
{%- endif -%}
{#- the SQL of the steps is Jinja loops in set blocks: layout not linted #}
-- noqa: disable=LT02
{{ config(post_hook=["{{ drop_step_tables() }}"]) }}
{%- set features = kmeans_features() -%}
{#- placeholders step_tables fills in: the step before (and the step just made) -#}
{%- set previous_step_table = '__previous_step_table__' -%}
{%- set step_table = '__step_table__' -%}
{%- set initial_sql -%}
select
    cast(0 as int) as iteration,
    seeds.cluster_id,
    {%- for feature in features %}
    seeds.centroid_{{ feature.name }},
    {%- endfor %}
    cast(null as {{ dbt.type_bigint() }}) as customer_count,
    cast(null as double) as cluster_inertia,
    cast(null as {{ dbt.type_bigint() }}) as customers_changed
from {{ ref('int_customer_cluster_seeds') }} as seeds
{%- endset -%}
{%- set iteration_sql -%}
with log_so_far as (

    select * from {{ previous_step_table }}

),

cluster_features as (

    select * from {{ ref('int_customer_cluster_features') }}

),

centroids as (

    select * from log_so_far
    where iteration = __step_number__ - 1

),

earlier_centroids as (

    select * from log_so_far
    where iteration = __step_number__ - 2

),

{#- the centroids pivoted to one row each (cluster j's features as c<j>_<feature>, e<j>_<feature>), so that
    every customer's k distances are columns of one row: no customers x k rows to rank (at 1M customers the
    ranking of 6M rows twice per iteration was most of the build's k-means time) -#}
centroid_row as (

    select
        {{ kmeans_centroid_columns('centroids', k, 'c') }}
    from centroids

),

earlier_centroid_row as (

    select
        {{ kmeans_centroid_columns('earlier_centroids', k, 'e') }}
    from earlier_centroids

),

distances as (

    select
        cluster_features.customer_id,
        {%- for feature in features %}
        cluster_features.z_{{ feature.name }},
        {%- endfor %}
        {%- for j in range(1, k + 1) %}
        {{ kmeans_squared_distance('cluster_features', 'centroid_row', column_prefix='c' ~ j ~ '_') }} as distance_{{ j }},
        {{ kmeans_squared_distance('cluster_features', 'earlier_centroid_row', column_prefix='e' ~ j ~ '_') }}
            as earlier_distance_{{ j }}{{ "," if not loop.last }}
        {%- endfor %}
    from cluster_features
    cross join centroid_row
    cross join earlier_centroid_row

),

nearest as (

    select
        customer_id,
        {%- for feature in features %}
        z_{{ feature.name }},
        {%- endfor %}
        {%- for j in range(1, k + 1) %}
        distance_{{ j }},
        {%- endfor %}
        {{ kmeans_nearest_cluster('distance_', k) }} as cluster_id,
        {{ kmeans_nearest_cluster('earlier_distance_', k) }} as earlier_cluster_id
    from distances

),

assigned as (

    select
        customer_id,
        {%- for feature in features %}
        z_{{ feature.name }},
        {%- endfor %}
        cluster_id,
        earlier_cluster_id,
        case cluster_id
            {%- for j in range(1, k + 1) %}
            when {{ j }} then distance_{{ j }}
            {%- endfor %}
        end as squared_distance
    {#- no `where cluster_id is not null` here: DuckDB pushed that filter into the cross join with the centroids,
        a nested-loop join computing every distance twice (at 1M customers 3.5 s per iteration instead of 1 s).
        A customer without a cluster (every distance null) is left out by the conditional count below, and its
        group of the means matches no centroid. #}
    from nearest

),

changes as (

    select
        count(
            case when cluster_id is not null and (earlier_cluster_id is null or earlier_cluster_id <> cluster_id) then 1 end
        ) as customers_changed
    from assigned

),

means as (

    select
        assigned.cluster_id,
        count(*) as customer_count,
        sum(assigned.squared_distance) as cluster_inertia,
        {%- for feature in features %}
        avg(assigned.z_{{ feature.name }}) as centroid_{{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    from assigned
    group by assigned.cluster_id

),

iteration_rows as (

    select
        cast(__step_number__ as int) as iteration,
        centroids.cluster_id,
        {%- for feature in features %}
        coalesce(means.centroid_{{ feature.name }}, centroids.centroid_{{ feature.name }})
            as centroid_{{ feature.name }},
        {%- endfor %}
        cast(coalesce(means.customer_count, 0) as {{ dbt.type_bigint() }}) as customer_count,
        cast(coalesce(means.cluster_inertia, 0.0) as double) as cluster_inertia,
        cast(changes.customers_changed as {{ dbt.type_bigint() }}) as customers_changed
    from centroids
    cross join changes
    left join means
        on centroids.cluster_id = means.cluster_id

)

select * from log_so_far

union all

select * from iteration_rows
{%- endset -%}
{#- stop after step t: no customer changed cluster, or the centroid shift (sum over clusters of the squared
    Euclidean distance between the centroids of t and t - 1) <= the absolute tolerance, var kmeans_tolerance x the
    mean over the features of the population variance of z_<feature> (scikit-learn: tol = 0 is 0 outright) -#}
{%- set stop_sql -%}
with log_rows as (

    select * from {{ step_table }}
    where iteration in (__step_number__ - 1, __step_number__)

),

cluster_features as (

    select * from {{ ref('int_customer_cluster_features') }}

),

shift as (

    select
        max(current_rows.customers_changed) as customers_changed,
        sum(
            {%- for feature in features %}
            (current_rows.centroid_{{ feature.name }} - previous_rows.centroid_{{ feature.name }})
            * (current_rows.centroid_{{ feature.name }} - previous_rows.centroid_{{ feature.name }})
            {{- " +" if not loop.last }}
            {%- endfor %}
        ) as centroid_shift
    from log_rows as current_rows
    inner join log_rows as previous_rows
        on current_rows.cluster_id = previous_rows.cluster_id
    where
        current_rows.iteration = __step_number__
        and previous_rows.iteration = __step_number__ - 1

),

absolute_tolerance as (

    {%- if tolerance == 0 %}
    select cast(0.0 as double) as tolerance
    {%- else %}
    select
        cast('{{ tolerance }}' as double) * (
            (
                {%- for feature in features %}
                var_pop(z_{{ feature.name }}){{ " +" if not loop.last }}
                {%- endfor %}
            ) / {{ features | length }}
        ) as tolerance
    from cluster_features
    {%- endif %}

)

select coalesce(shift.customers_changed = 0 or shift.centroid_shift <= absolute_tolerance.tolerance, false) as is_stopped
from shift
cross join absolute_tolerance
{%- endset -%}
{%- set last_step = step_tables(initial_sql, iteration_sql, max_iterations, stop_sql) -%}
with cluster_log as (

    select * from {{ last_step }}

),

final_iteration as (

    select max(iteration) as iteration from cluster_log

),

final as (

    select
        cast({{ dbt.concat(["cast(cluster_log.iteration as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(cluster_log.cluster_id as " ~ dbt.type_string() ~ ")"]) }} as {{ dbt.type_string() }})
            as cluster_iteration_id,
        cast(cluster_log.iteration as int) as iteration,
        cast(cluster_log.cluster_id as int) as cluster_id,
        cast(cluster_log.iteration = final_iteration.iteration as boolean) as is_final,
        {%- for feature in features %}
        cast(cluster_log.centroid_{{ feature.name }} as double) as centroid_{{ feature.name }},
        {%- endfor %}
        cast(cluster_log.customer_count as {{ dbt.type_bigint() }}) as customer_count,
        cast(cluster_log.cluster_inertia as double) as cluster_inertia,
        cast(sum(cluster_log.cluster_inertia) over (partition by cluster_log.iteration) as double)
            as iteration_inertia,
        cast(cluster_log.customers_changed as {{ dbt.type_bigint() }}) as customers_changed
    from cluster_log
    cross join final_iteration

)

select * from final
