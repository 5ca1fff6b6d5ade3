{#-
    The argument checks of every version of association_rules and
    association_rules_from_baskets, done once at compile time: a value out
    of range stops compilation with a message naming it.
-#}
{#- Thresholds arrive as numbers or (from --vars / env) as text. -#}
{% macro association_rules_threshold(name, value, lowest, highest, lowest_inclusive) %}
    {%- set number = value | float(none) if value is not none else none -%}
    {%- if number is none
            or (lowest_inclusive and number < lowest)
            or (not lowest_inclusive and number <= lowest)
            or (highest is not none and number > highest) -%}
        {{ exceptions.raise_compiler_error(
            "association_rules: " ~ name ~ " must be a number in "
            ~ ('[' if lowest_inclusive else '(') ~ lowest ~ ', '
            ~ (highest if highest is not none else 'inf') ~ ']; got '
            ~ (value | string)) }}
    {%- endif -%}
    {{- return(number) -}}
{% endmacro %}


{#- Arguments checked and rendered once for every engine's version. -#}
{% macro association_rules_arguments(min_support, min_confidence, min_lift, max_antecedent_items) %}
{%- set min_support = ecommerce_segmentation.association_rules_threshold('min_support', min_support, 0, 1, false) -%}
{%- set min_confidence = ecommerce_segmentation.association_rules_threshold('min_confidence', min_confidence, 0, 1, true) -%}
{%- set min_lift = ecommerce_segmentation.association_rules_threshold('min_lift', min_lift, 0, none, true) -%}
{%- set max_antecedent_items = max_antecedent_items | int(0) -%}
{%- if max_antecedent_items not in [1, 2] -%}
    {{ exceptions.raise_compiler_error(
        "association_rules: max_antecedent_items must be 1 or 2; got " ~ max_antecedent_items) }}
{%- endif -%}
{#- Python's repr of a float parses back to the same double on both engines. -#}
{%- set min_support_sql = 'cast(' ~ (min_support | string) ~ ' as double)' -%}
{%- set min_confidence_sql = 'cast(' ~ (min_confidence | string) ~ ' as double)' -%}
{%- set min_lift_sql = 'cast(' ~ (min_lift | string) ~ ' as double)' -%}
{{- return({
    'min_support_sql': min_support_sql,
    'min_confidence_sql': min_confidence_sql,
    'min_lift_sql': min_lift_sql,
    'max_antecedent_items': max_antecedent_items,
}) -}}
{% endmacro %}
