{#
    materialized_cte(): the keyword between `name as` and the `(` of a CTE
    that a query must compute once and store, not inline into its reader.

    DuckDB inlines a CTE referenced once; a long chain of CTEs each reading
    the previous one (the gradient steps of int_scorecard_fit) then becomes
    one deep plan whose optimisation grows exponentially with the chain's
    length (20 steps 6 s, 40 steps over 100 s on the small shop);
    `as materialized` plans and computes each step on its own (40 steps
    1.8 s). Default: nothing (Spark keeps such a chain apart with
    shared_cte_condition() in the CTE's where clause instead).
#}
{% macro materialized_cte() %}
    {{- return(adapter.dispatch('materialized_cte', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
