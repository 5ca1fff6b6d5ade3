{#-
    Association rules between products (the rules: int_product_association_rules): the public, contracted
    face of int_product_association_rules, which the other basket marts read.
-#}
with rules as (

    select * from {{ ref('int_product_association_rules') }}

),

final as (

    select
        rule_id,
        antecedents,
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        antecedent_size,
        total_transactions,
        transactions_with_antecedent,
        transactions_with_consequent,
        transactions_with_both,
        antecedent_support,
        consequent_support,
        support,
        confidence,
        lift,
        leverage,
        conviction,
        zhangs_metric
    from rules

)

select * from final
