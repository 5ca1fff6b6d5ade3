{#
    kmeans_features(): the customer features of the k-means clustering
    (docs/clusters.md), in their fixed order: a list of dicts with
    - name: the feature (int_customer_cluster_features has <name> in
      original units, x_<name> transformed, z_<name> standardised);
    - transform: 'log' (x = ln(1 + value), for skewed counts and amounts) or
      'none' (x = value, for shares 0 .. 1);
    - is_behavioural: true when an anonymous visitor has it too (sessions,
      search and cart behaviour): the nearest cluster of a visitor is found
      on these only (int_visitor_clusters).
#}
{% macro kmeans_features() %}
    {{- return([
        {'name': 'recency_days', 'transform': 'log', 'is_behavioural': false},
        {'name': 'frequency', 'transform': 'log', 'is_behavioural': false},
        {'name': 'monetary', 'transform': 'log', 'is_behavioural': false},
        {'name': 'average_order_value', 'transform': 'log', 'is_behavioural': false},
        {'name': 'top_category_order_share', 'transform': 'none', 'is_behavioural': false},
        {'name': 'discounted_order_share', 'transform': 'none', 'is_behavioural': false},
        {'name': 'return_rate_by_value', 'transform': 'none', 'is_behavioural': false},
        {'name': 'session_count', 'transform': 'log', 'is_behavioural': true},
        {'name': 'search_session_share', 'transform': 'none', 'is_behavioural': true},
        {'name': 'cart_abandonment_rate', 'transform': 'none', 'is_behavioural': true},
    ]) -}}
{% endmacro %}


{#
    kmeans_transform(feature, value): the SQL of a feature's transform
    (kmeans_features) applied to the expression value, a double.
#}
{% macro kmeans_transform(feature, value) %}
    {%- if feature.transform == 'log' -%}
        ln(1.0 + {{ value }})
    {%- else -%}
        {{ value }}
    {%- endif -%}
{% endmacro %}


{#
    kmeans_inverse_transform(feature, value): the SQL that takes a
    transformed value (x, a double) of a feature back to original units.
#}
{% macro kmeans_inverse_transform(feature, value) %}
    {%- if feature.transform == 'log' -%}
        exp({{ value }}) - 1.0
    {%- else -%}
        {{ value }}
    {%- endif -%}
{% endmacro %}


{#
    kmeans_squared_distance(point, centroid, behavioural_only=false,
    column_prefix='centroid_'): the SQL of the squared Euclidean distance
    between the standardised features z_<name> of the relation alias point
    and the <column_prefix><name> columns of the relation alias centroid
    (centroid_<name>; a pivoted centroid row names cluster j's c<j>_<name>,
    kmeans_centroid_columns), summed in the order of kmeans_features();
    behavioural_only: over the behavioural features only.
#}
{% macro kmeans_squared_distance(point, centroid, behavioural_only=false, column_prefix='centroid_') %}
    {%- set terms = [] -%}
    {%- for feature in ecommerce_segmentation.kmeans_features()
        if feature.is_behavioural or not behavioural_only -%}
        {%- set centroid_column = centroid ~ '.' ~ column_prefix ~ feature.name -%}
        {%- do terms.append('(' ~ point ~ '.z_' ~ feature.name ~ ' - ' ~ centroid_column ~ ') * ('
            ~ point ~ '.z_' ~ feature.name ~ ' - ' ~ centroid_column ~ ')') -%}
    {%- endfor -%}
    ({{ terms | join('\n        + ') }})
{% endmacro %}


{#
    kmeans_uniform_draws(seed, count): count uniform numbers in [0, 1) from
    the Park-Miller minimal standard generator (x <- 16807 x mod 2^31 - 1,
    u = x / (2^31 - 1)) started at seed (var kmeans_seed), computed while
    the model compiles, so both engines use the same numbers. The k-means++
    initialisation picks its i-th initial centroid with the i-th number.
#}
{% macro kmeans_uniform_draws(seed, count) %}
    {%- set modulus = 2147483647 -%}
    {%- set state = namespace(x=(seed | int) % modulus, draws=[]) -%}
    {%- if state.x == 0 -%}
        {%- do exceptions.raise_compiler_error('var kmeans_seed must not be a multiple of 2147483647') -%}
    {%- endif -%}
    {%- for _ in range(count) -%}
        {%- set state.x = (state.x * 16807) % modulus -%}
        {%- do state.draws.append(state.x / modulus) -%}
    {%- endfor -%}
    {{- return(state.draws) -}}
{% endmacro %}


{#
    kmeans_centroid_columns(centroids, k, prefix): the SQL select list that
    pivots the k rows of the relation alias centroids (cluster_id 1 .. k,
    centroid_<feature>) into one row: <prefix><j>_<feature> for cluster j,
    null when cluster j has no row. Aggregates: select it from centroids
    without a group by (an empty centroids gives one row of nulls).
#}
{% macro kmeans_centroid_columns(centroids, k, prefix) %}
    {%- set columns = [] -%}
    {%- for j in range(1, (k | int) + 1) -%}
        {%- for feature in ecommerce_segmentation.kmeans_features() -%}
            {%- do columns.append('max(case when ' ~ centroids ~ '.cluster_id = ' ~ j ~ ' then ' ~ centroids
                ~ '.centroid_' ~ feature.name ~ ' end) as ' ~ prefix ~ j ~ '_' ~ feature.name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- columns | join(',\n        ') -}}
{% endmacro %}


{#
    kmeans_nearest_cluster(distance_prefix, k): the SQL of the cluster id
    (1 .. k) with the smallest of the distance columns <distance_prefix>1 ..
    <distance_prefix>k, a null distance counting as no cluster; on a tie the
    lowest cluster id (as scikit-learn, and as ordering by (distance,
    cluster_id)); null when every distance is null.
#}
{% macro kmeans_nearest_cluster(distance_prefix, k) %}
    {%- set k = k | int -%}
    case
    {%- for j in range(1, k + 1) %}
        when {{ distance_prefix }}{{ j }} is not null
        {%- for i in range(1, k + 1) if i != j %}
            and ({{ distance_prefix }}{{ i }} is null or {{ distance_prefix }}{{ j }} {{ '<' if i < j else '<=' }} {{ distance_prefix }}{{ i }})
        {%- endfor %}
            then {{ j }}
    {%- endfor %}
    end
{% endmacro %}
