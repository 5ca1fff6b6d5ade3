{#-
    Rule-based personal recommendations, every rank (the marts
    customer_product_recommendations v1 and v2 keep the top
    var('customer_recommendations_top_n')): for each customer with
    non-cancelled orders, the products they have not bought yet, from the product_association_rules whose whole antecedent
    they have bought (in any of their orders). A product reachable through
    several rules keeps its best rule. Score = that rule's confidence (the
    share of orders with the antecedent that also hold the product); ties by
    lift, support, then ids. Customer ids only: no personal data.

    An activation output (meta.activation): only customers who gave
    marketing consent (stg_shop__customers.has_marketing_consent) get rows;
    a customer without consent, or missing from the customer file, gets
    none. The rules themselves still learn from every order.
-#}
{%- set customer_recommendation_id = dbt.concat([
    'ranked.customer_id', "'|'", 'cast(ranked.recommendation_rank as ' ~ dbt.type_string() ~ ')']) -%}
with basket_items as (

    select * from {{ ref('int_basket_items') }}

),

rules as (

    select * from {{ ref('int_product_association_rules') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

consenting_customers as (

    select distinct customer_id
    from customers
    where has_marketing_consent

),

customer_products as (

    {#- what each consenting customer has bought -#}
    select distinct
        basket_items.customer_id,
        basket_items.product_id
    from basket_items
    inner join consenting_customers
        on basket_items.customer_id = consenting_customers.customer_id

),

matched_rules as (

    {#- rules whose antecedent items the customer has all bought -#}
    select
        first_item.customer_id,
        rules.rule_id,
        rules.antecedents,
        rules.antecedent_item_1,
        rules.antecedent_item_2,
        rules.consequent_item,
        rules.support,
        rules.confidence,
        rules.lift
    from rules
    inner join customer_products as first_item
        on rules.antecedent_item_1 = first_item.product_id
    left join customer_products as second_item
        on first_item.customer_id = second_item.customer_id
            and rules.antecedent_item_2 = second_item.product_id
    where rules.antecedent_item_2 is null
        or second_item.product_id is not null

),

new_products as (

    {#- ... whose consequent the customer has not bought -#}
    select
        matched_rules.customer_id,
        matched_rules.rule_id,
        matched_rules.antecedents,
        matched_rules.antecedent_item_1,
        matched_rules.antecedent_item_2,
        matched_rules.consequent_item,
        matched_rules.support,
        matched_rules.confidence,
        matched_rules.lift
    from matched_rules
    left join customer_products as already_bought
        on matched_rules.customer_id = already_bought.customer_id
            and matched_rules.consequent_item = already_bought.product_id
    where already_bought.product_id is null

),

best_rule_per_product as (

    select
        customer_id,
        rule_id,
        antecedents,
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        support,
        confidence,
        lift,
        count(*) over (
            partition by customer_id, consequent_item
        ) as matching_rules,
        row_number() over (
            partition by customer_id, consequent_item
            order by confidence desc, lift desc, support desc, rule_id asc
        ) as rule_rank
    from new_products

),

ranked as (

    select
        customer_id,
        rule_id,
        antecedents,
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        support,
        confidence,
        lift,
        matching_rules,
        row_number() over (
            partition by customer_id
            order by confidence desc, lift desc, support desc, consequent_item asc
        ) as recommendation_rank
    from best_rule_per_product
    where rule_rank = 1

),

final as (

    select
        cast({{ customer_recommendation_id }} as {{ dbt.type_string() }}) as customer_recommendation_id,
        cast(ranked.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(ranked.recommendation_rank as {{ dbt.type_int() }}) as recommendation_rank,
        cast(ranked.consequent_item as {{ dbt.type_string() }}) as recommended_product_id,
        cast(products.product_name as {{ dbt.type_string() }}) as recommended_product_name,
        cast(products.category as {{ dbt.type_string() }}) as recommended_category,
        cast(ranked.confidence as double) as recommendation_score,
        cast(ranked.rule_id as {{ dbt.type_string() }}) as rule_id,
        cast(ranked.antecedents as {{ dbt.type_string() }}) as rule_antecedents,
        cast(ranked.antecedent_item_1 as {{ dbt.type_string() }}) as antecedent_product_id_1,
        cast(ranked.antecedent_item_2 as {{ dbt.type_string() }}) as antecedent_product_id_2,
        cast(ranked.support as double) as rule_support,
        cast(ranked.confidence as double) as rule_confidence,
        cast(ranked.lift as double) as rule_lift,
        cast(ranked.matching_rules as {{ dbt.type_int() }}) as matching_rules
    from ranked
    left join products
        on ranked.consequent_item = products.product_id

)

select * from final
