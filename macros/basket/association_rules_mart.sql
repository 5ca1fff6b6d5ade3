{#
    association_rules_mart: the body of a rule mart (category_association_rules):
    the association_rules macro over transactions_relation with the project's
    association_* vars, plus the rule_id key and the mart's column types.
    Rows with a null item are ignored by association_rules, so a transaction
    counts only if it holds at least one non-null item.
#}
{% macro association_rules_mart(transactions_relation, transaction_column, item_column) -%}
{{ ecommerce_segmentation.association_rules_mart_select(ecommerce_segmentation.association_rules(
    transactions_relation=transactions_relation,
    transaction_column=transaction_column,
    item_column=item_column,
    min_support=var('association_min_support'),
    min_confidence=var('association_min_confidence'),
    min_lift=var('association_min_lift'),
    max_antecedent_items=var('association_max_antecedent_items'),
)) }}
{%- endmacro %}


{#
    association_basket_rules_mart: the same body over grouped, integer-coded
    baskets (product_association_rules over int_baskets and
    int_basket_products), mined by association_rules_from_baskets.
#}
{% macro association_basket_rules_mart(
        baskets_relation, transaction_column, item_codes_column,
        items_relation, item_code_column, item_column) -%}
{{ ecommerce_segmentation.association_rules_mart_select(ecommerce_segmentation.association_rules_from_baskets(
    baskets_relation=baskets_relation,
    transaction_column=transaction_column,
    item_codes_column=item_codes_column,
    items_relation=items_relation,
    item_code_column=item_code_column,
    item_column=item_column,
    min_support=var('association_min_support'),
    min_confidence=var('association_min_confidence'),
    min_lift=var('association_min_lift'),
    max_antecedent_items=var('association_max_antecedent_items'),
)) }}
{%- endmacro %}


{#- The mart's select around the rules (rules_sql: the macro's select). -#}
{% macro association_rules_mart_select(rules_sql) -%}
with rules as (

    {{ rules_sql }}

),

final as (

    select
        cast({{ ecommerce_segmentation.association_rule_id() }} as {{ dbt.type_string() }}) as rule_id,
        cast(antecedents as {{ dbt.type_string() }}) as antecedents,
        cast(antecedent_item_1 as {{ dbt.type_string() }}) as antecedent_item_1,
        cast(antecedent_item_2 as {{ dbt.type_string() }}) as antecedent_item_2,
        cast(consequent_item as {{ dbt.type_string() }}) as consequent_item,
        cast(antecedent_size as {{ dbt.type_int() }}) as antecedent_size,
        cast(total_transactions as {{ dbt.type_bigint() }}) as total_transactions,
        cast(transactions_with_antecedent as {{ dbt.type_bigint() }}) as transactions_with_antecedent,
        cast(transactions_with_consequent as {{ dbt.type_bigint() }}) as transactions_with_consequent,
        cast(transactions_with_both as {{ dbt.type_bigint() }}) as transactions_with_both,
        cast(antecedent_support as double) as antecedent_support,
        cast(consequent_support as double) as consequent_support,
        cast(support as double) as support,
        cast(confidence as double) as confidence,
        cast(lift as double) as lift,
        cast(leverage as double) as leverage,
        cast(conviction as double) as conviction,
        cast(zhangs_metric as double) as zhangs_metric
    from rules

)

select * from final
{%- endmacro %}
