{#
    scorecard_behaviours(kind): the scorecard's behaviours, columns of
    int_scorecard_person_snapshots (docs/scoring.md, "The scorecard:
    behaviours"). kind 'numeric': banded by the seed scorecard_bands;
    'categorical': the value is the band; 'all': both. One list, read by
    int_scorecard_person_bands (a band column per behaviour), the models that
    read those bands (int_scorecard_band_woe, int_scorecard_fit_inputs,
    int_scorecard_scores) and int_scorecard_fit (one column per behaviour).
#}
{% macro scorecard_behaviours(kind='all') %}
    {%- set numeric = [
        'visit_count', 'days_since_first_visit', 'days_since_last_visit', 'page_view_count',
        'product_view_count', 'visits_with_3plus_product_views', 'max_views_of_one_product',
        'search_count', 'cart_add_count', 'abandoned_at_cart', 'abandoned_at_delivery',
        'abandoned_at_payment', 'abandoned_at_confirmation', 'email_visit_count',
        'recent_cart_add_visits', 'recent_email_visits', 'recent_3plus_product_view_visits',
        'recent_search_visits', 'order_count', 'days_since_last_order', 'order_value_total'] -%}
    {%- set categorical = ['first_traffic_source', 'latest_traffic_source', 'latest_device', 'is_registered_customer'] -%}
    {%- if kind == 'numeric' -%}
        {{ return(numeric) }}
    {%- elif kind == 'categorical' -%}
        {{ return(categorical) }}
    {%- elif kind == 'all' -%}
        {{ return(numeric + categorical) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("scorecard_behaviours: kind must be numeric, categorical or all, got " ~ kind) }}
{% endmacro %}


{#
    scorecard_band_matches(value, bands): the join condition of a numeric
    behaviour's value (an expression, double) with a row of the seed
    scorecard_bands (alias bands): lower_bound <= value < upper_bound, an empty
    bound open; a null value matches only the band with both bounds empty, and
    that band matches nothing else. Read by int_scorecard_person_bands.
#}
{% macro scorecard_band_matches(value, bands) -%}
    (
        ({{ value }} is null and {{ bands }}.lower_bound is null and {{ bands }}.upper_bound is null)
        or (
            {{ value }} is not null
            and ({{ bands }}.lower_bound is not null or {{ bands }}.upper_bound is not null)
            and ({{ bands }}.lower_bound is null or {{ value }} >= {{ bands }}.lower_bound)
            and ({{ bands }}.upper_bound is null or {{ value }} < {{ bands }}.upper_bound)
        )
    )
{%- endmacro %}


{#
    drop_retired_relation(identifier): a pre-hook that drops the table or view
    `identifier` in this model's schema: a relation an earlier version of the
    project built and no model builds any more, so that an upgraded warehouse
    does not keep it (int_scorecard_behaviours, the long table that
    int_scorecard_person_bands replaced: 17.7M rows on the medium sample).
#}
{% macro drop_retired_relation(identifier) %}
    {%- if execute %}
        {%- set retired = adapter.get_relation(database=this.database, schema=this.schema, identifier=identifier) %}
        {%- if retired is not none %}
            {%- do adapter.drop_relation(retired) %}
        {%- endif %}
    {%- endif %}
    select 1 as retired_relation_dropped
{% endmacro %}
