{#-
    Association rules between products: "customers whose order holds the
    antecedent product(s) also buy the consequent product in the same order".
    Transactions are non-cancelled orders (int_basket_items).
-#}
with basket_items as (

    select * from {{ ref('int_basket_items') }}

),

rules as (

    {{ association_rules(
        transactions_relation='basket_items',
        transaction_column='order_id',
        item_column='product_id',
        min_support=var('association_min_support'),
        min_confidence=var('association_min_confidence'),
        min_lift=var('association_min_lift'),
        max_antecedent_items=var('association_max_antecedent_items'),
    ) }}

),

final as (

    select
        cast({{ association_rule_id() }} as {{ dbt.type_string() }}) as rule_id,
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
        cast(support as double) as support,  -- noqa: RF04
        cast(confidence as double) as confidence,
        cast(lift as double) as lift,
        cast(leverage as double) as leverage,
        cast(conviction as double) as conviction,
        cast(zhangs_metric as double) as zhangs_metric
    from rules

)

select * from final
