{#
    Spark: rand() >= 0 is always true (rand() is in [0, 1)) but not
    deterministic, so Spark 3.5's InlineCTE does not copy the CTE into each
    reference; it is planned once and its result reused (see
    macros/cross_db/shared_cte.sql).
#}
{% macro spark__shared_cte_condition() -%}
    and rand() >= 0
{%- endmacro %}
