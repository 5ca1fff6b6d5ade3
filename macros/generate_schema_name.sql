{#
    Models land in the schema their folder names (staging, quarantine,
    intermediate, marts, ...), not <target schema>_<name>: BI tools and the
    checks find the marts at a stable address on every target.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
