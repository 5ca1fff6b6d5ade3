{#-
    Association rules between products (the rules: int_product_association_rules): the public, contracted
    face of int_product_association_rules, which the other basket marts read, with the
    products' names and categories (stg_shop__products; null for a product missing there).
-#}
with rules as (

    select * from {{ ref('int_product_association_rules') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

final as (

    select
        rules.rule_id,
        rules.antecedents,
        rules.antecedent_item_1,
        rules.antecedent_item_2,
        rules.consequent_item,
        rules.antecedent_size,
        rules.total_transactions,
        rules.transactions_with_antecedent,
        rules.transactions_with_consequent,
        rules.transactions_with_both,
        rules.antecedent_support,
        rules.consequent_support,
        rules.support,
        rules.confidence,
        rules.lift,
        rules.leverage,
        rules.conviction,
        rules.zhangs_metric,
        cast(antecedent_1.product_name as {{ dbt.type_string() }}) as antecedent_product_name_1,
        cast(antecedent_1.category as {{ dbt.type_string() }}) as antecedent_category_1,
        cast(antecedent_2.product_name as {{ dbt.type_string() }}) as antecedent_product_name_2,
        cast(antecedent_2.category as {{ dbt.type_string() }}) as antecedent_category_2,
        cast(consequent.product_name as {{ dbt.type_string() }}) as consequent_product_name,
        cast(consequent.category as {{ dbt.type_string() }}) as consequent_category
    from rules
    left join products as antecedent_1
        on rules.antecedent_item_1 = antecedent_1.product_id
    left join products as antecedent_2
        on rules.antecedent_item_2 = antecedent_2.product_id
    left join products as consequent
        on rules.consequent_item = consequent.product_id

)

select * from final
