{#
    association_rule_id: surrogate key of a rule, the hash of
    "<antecedent item 1>|<antecedent item 2 or empty>|<consequent item>".
#}
{% macro association_rule_id(antecedent_item_1='antecedent_item_1', antecedent_item_2='antecedent_item_2', consequent_item='consequent_item') -%}
    {{ dbt.hash(dbt.concat([
        antecedent_item_1, "'|'", "coalesce(" ~ antecedent_item_2 ~ ", '')", "'|'", consequent_item
    ])) }}
{%- endmacro %}
