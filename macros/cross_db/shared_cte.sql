{#
    shared_cte_condition(): an extra `and ...` for the where clause of a CTE
    that a query reads several times, so that the engine computes it once.

    Spark inlines every deterministic CTE at each reference (InlineCTE), so
    a chain of CTEs that reference each other several times (the apriori
    levels of association_rules) grows into a plan with hundreds of copies of
    the same scans, and planning alone took minutes on the test cluster. A
    non-deterministic but always-true condition (spark__ version below)
    keeps such a CTE, and every CTE built on it, as one shared
    relation that Spark plans and computes once.

    Default: nothing (DuckDB plans CTEs referenced several times once already),
    so the SQL there is unchanged.
#}
{% macro shared_cte_condition() %}
    {{- return(adapter.dispatch('shared_cte_condition', 'ecommerce_segmentation')()) -}}
{% endmacro %}

{% macro default__shared_cte_condition() -%}
{%- endmacro %}

{#-
    Spark: rand() >= 0 is always true (rand() is in [0, 1)) but not
    deterministic, so Spark 3.5's InlineCTE does not copy the CTE into each
    reference; it is planned once and its result reused. Starts with a
    space, so that a caller may trim before it ({{- ... }}).
-#}
{% macro spark__shared_cte_condition() %} and rand() >= 0{% endmacro %}
