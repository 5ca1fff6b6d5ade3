{#-
    Version 1 (deprecated, see the YAML): the top
    var('customer_recommendations_top_n') rule-based recommendations of each
    consenting customer (int_customer_rule_recommendations); customers no
    rule reaches get no rows. Version 2 (customer_product_recommendations_v2)
    adds category best-sellers for them.
-#}
with rule_recommendations as (

    select * from {{ ref('int_customer_rule_recommendations') }}

),

final as (

    select
        customer_recommendation_id,
        customer_id,
        recommendation_rank,
        recommended_product_id,
        recommended_product_name,
        recommendation_score,
        rule_id,
        rule_antecedents,
        antecedent_product_id_1,
        antecedent_product_id_2,
        rule_support,
        rule_confidence,
        rule_lift,
        matching_rules
    from rule_recommendations
    where recommendation_rank <= {{ var('customer_recommendations_top_n') | int }}

)

select * from final
