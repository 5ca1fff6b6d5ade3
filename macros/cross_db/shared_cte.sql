{#
    shared_cte_condition(): an extra `and ...` for the where clause of a CTE
    that a query reads several times, so that the engine computes it once.

    Spark inlines every deterministic CTE at each reference (InlineCTE), so
    a chain of CTEs that reference each other several times (the apriori
    levels of association_rules) grows into a plan with hundreds of copies of
    the same scans, and planning alone took minutes on the test cluster. A
    non-deterministic but always-true condition (spark__ version in
    macros/spark/) keeps such a CTE, and every CTE built on it, as one shared
    relation that Spark plans and computes once.

    Default: nothing (DuckDB plans CTEs referenced several times once already),
    so the SQL there is unchanged.
#}
{% macro shared_cte_condition() %}
    {{- return(adapter.dispatch('shared_cte_condition', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__shared_cte_condition() -%}
{%- endmacro %}
