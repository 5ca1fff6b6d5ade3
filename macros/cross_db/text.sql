{#
    squash_whitespace: every run of control characters and white space
    becomes one space. Regular-expression dialects differ (RE2 on DuckDB,
    Java on Spark), so the pattern lives behind dispatch.
#}
{% macro squash_whitespace(expression) %}
    {{- return(adapter.dispatch('squash_whitespace', 'ecommerce_segmentation')(expression)) -}}
{% endmacro %}

{% macro default__squash_whitespace(expression) -%}
    regexp_replace({{ expression }}, '[[:cntrl:][:space:]]+', ' ')
{%- endmacro %}

{% macro duckdb__squash_whitespace(expression) -%}
    regexp_replace({{ expression }}, '[[:cntrl:][:space:]]+', ' ', 'g')
{%- endmacro %}

{% macro spark__squash_whitespace(expression) -%}
    regexp_replace({{ expression }}, '[\\p{Cntrl}\\s]+', ' ')
{%- endmacro %}
