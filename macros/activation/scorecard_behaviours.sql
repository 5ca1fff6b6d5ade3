{#
    scorecard_behaviours(kind): the scorecard's behaviours, columns of
    int_scorecard_person_snapshots (docs/scoring.md, "The scorecard:
    behaviours"). kind 'numeric': banded by the seed scorecard_bands;
    'categorical': the value is the band; 'all': both. One list, read by
    int_scorecard_behaviours (the long format), int_scorecard_fit (one
    column per behaviour) and int_scorecard_scores (explanation length).
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
