{#-
    Version 2: every consenting customer with non-cancelled orders gets up
    to var('customer_recommendations_top_n') products they have not bought.
    First the rule-based ones (int_customer_rule_recommendations, as in v1,
    recommendation_source 'association_rule'); the slots left (all of them
    for a customer no rule reaches) are filled with best-sellers of the
    customer's preferred categories (recommendation_source
    'category_best_seller'): the customer's top
    var('recommendation_fallback_categories') categories by units bought
    (tie: category name), each category's best-sellers of the last
    var('recommendation_best_seller_days') days (int_category_best_sellers)
    that the customer has not bought and no rule already recommends, taken
    in turn: the best remaining of the first category, of the second, ...,
    then the second best of each, and so on.
-#}
{%- set top_n = var('customer_recommendations_top_n') | int -%}
with rule_recommendations as (

    select * from {{ ref('int_customer_rule_recommendations') }}
    where recommendation_rank <= {{ top_n }}

),

basket_items as (

    select * from {{ ref('int_basket_items') }}
    where customer_id is not null

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

best_sellers as (

    select * from {{ ref('int_category_best_sellers') }}

),

consenting_customers as (

    select distinct customer_id
    from customers
    where has_marketing_consent

),

customer_items as (

    select
        basket_items.customer_id,
        basket_items.product_id,
        basket_items.category,
        basket_items.quantity
    from basket_items
    inner join consenting_customers
        on basket_items.customer_id = consenting_customers.customer_id

),

bought_products as (

    select distinct
        customer_id,
        product_id
    from customer_items

),

category_units as (

    select
        customer_id,
        category,
        sum(quantity) as units
    from customer_items
    where category is not null
    group by customer_id, category

),

preferred_categories as (

    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id
            order by units desc, category asc
        ) as category_preference_rank
    from category_units

),

rule_counts as (

    select
        customer_id,
        count(*) as rule_recommendation_count
    from rule_recommendations
    group by customer_id

),

excluded_counts as (

    {#- how many products a customer's fallback may skip: those bought and those a rule recommends -#}
    select
        customer_id,
        count(*) as excluded_products
    from (
        select customer_id from bought_products
        union all
        select customer_id from rule_recommendations
    ) as excluded
    group by customer_id

),

fallback_candidates as (

    {#- best-sellers of the preferred categories, not bought, not already recommended by a rule. Only a
        product of rank_in_category <= top_n can be recommended (the categories take turns), and at most
        excluded_products of a category's better sellers are skipped before it: best-sellers ranked beyond
        top_n + excluded_products are left out before the joins (at 1M customers the join of every
        preferred category with all its best-sellers was some 360M rows) -#}
    select
        preferred_categories.customer_id,
        preferred_categories.category,
        preferred_categories.category_preference_rank,
        best_sellers.product_id,
        best_sellers.product_name,
        best_sellers.best_seller_rank,
        best_sellers.category_order_share
    from preferred_categories
    left join excluded_counts
        on preferred_categories.customer_id = excluded_counts.customer_id
    inner join best_sellers
        on
            preferred_categories.category = best_sellers.category
            and best_sellers.best_seller_rank <= {{ top_n }} + coalesce(excluded_counts.excluded_products, 0)
    left join bought_products
        on preferred_categories.customer_id = bought_products.customer_id
            and best_sellers.product_id = bought_products.product_id
    left join rule_recommendations
        on preferred_categories.customer_id = rule_recommendations.customer_id
            and best_sellers.product_id = rule_recommendations.recommended_product_id
    where preferred_categories.category_preference_rank <= {{ var('recommendation_fallback_categories') | int }}
        and bought_products.product_id is null
        and rule_recommendations.recommended_product_id is null

),

fallback_in_category as (

    select
        customer_id,
        category,
        category_preference_rank,
        product_id,
        product_name,
        best_seller_rank,
        category_order_share,
        row_number() over (
            partition by customer_id, category
            order by best_seller_rank asc
        ) as rank_in_category
    from fallback_candidates

),

fallback_ranked as (

    {#- the categories take turns -#}
    select
        customer_id,
        category,
        category_preference_rank,
        product_id,
        product_name,
        best_seller_rank,
        category_order_share,
        row_number() over (
            partition by customer_id
            order by rank_in_category asc, category_preference_rank asc
        ) as fallback_rank
    from fallback_in_category

),

fallback_recommendations as (

    select
        fallback_ranked.customer_id,
        coalesce(rule_counts.rule_recommendation_count, 0) + fallback_ranked.fallback_rank
            as recommendation_rank,
        fallback_ranked.product_id,
        fallback_ranked.product_name,
        fallback_ranked.category,
        fallback_ranked.category_preference_rank,
        fallback_ranked.best_seller_rank,
        fallback_ranked.category_order_share
    from fallback_ranked
    left join rule_counts
        on fallback_ranked.customer_id = rule_counts.customer_id
    where coalesce(rule_counts.rule_recommendation_count, 0) + fallback_ranked.fallback_rank <= {{ top_n }}

),

combined as (

    select
        customer_recommendation_id,
        customer_id,
        recommendation_rank,
        'association_rule' as recommendation_source,
        recommended_product_id,
        recommended_product_name,
        recommended_category,
        recommendation_score,
        rule_id,
        rule_antecedents,
        antecedent_product_id_1,
        antecedent_product_id_2,
        rule_support,
        rule_confidence,
        rule_lift,
        matching_rules,
        cast(null as {{ dbt.type_int() }}) as category_preference_rank,
        cast(null as {{ dbt.type_int() }}) as best_seller_rank
    from rule_recommendations
    union all
    select
        {{ dbt.concat(['customer_id', "'|'", 'cast(recommendation_rank as ' ~ dbt.type_string() ~ ')']) }}
            as customer_recommendation_id,
        customer_id,
        recommendation_rank,
        'category_best_seller' as recommendation_source,
        product_id as recommended_product_id,
        product_name as recommended_product_name,
        category as recommended_category,
        category_order_share as recommendation_score,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_string() }}) as rule_antecedents,
        cast(null as {{ dbt.type_string() }}) as antecedent_product_id_1,
        cast(null as {{ dbt.type_string() }}) as antecedent_product_id_2,
        cast(null as double) as rule_support,
        cast(null as double) as rule_confidence,
        cast(null as double) as rule_lift,
        cast(null as {{ dbt.type_int() }}) as matching_rules,
        category_preference_rank,
        best_seller_rank
    from fallback_recommendations

),

final as (

    select
        cast(customer_recommendation_id as {{ dbt.type_string() }}) as customer_recommendation_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(recommendation_rank as {{ dbt.type_int() }}) as recommendation_rank,
        cast(recommendation_source as {{ dbt.type_string() }}) as recommendation_source,
        cast(recommended_product_id as {{ dbt.type_string() }}) as recommended_product_id,
        cast(recommended_product_name as {{ dbt.type_string() }}) as recommended_product_name,
        cast(recommended_category as {{ dbt.type_string() }}) as recommended_category,
        cast(recommendation_score as double) as recommendation_score,
        cast(rule_id as {{ dbt.type_string() }}) as rule_id,
        cast(rule_antecedents as {{ dbt.type_string() }}) as rule_antecedents,
        cast(antecedent_product_id_1 as {{ dbt.type_string() }}) as antecedent_product_id_1,
        cast(antecedent_product_id_2 as {{ dbt.type_string() }}) as antecedent_product_id_2,
        cast(rule_support as double) as rule_support,
        cast(rule_confidence as double) as rule_confidence,
        cast(rule_lift as double) as rule_lift,
        cast(matching_rules as {{ dbt.type_int() }}) as matching_rules,
        cast(category_preference_rank as {{ dbt.type_int() }}) as category_preference_rank,
        cast(best_seller_rank as {{ dbt.type_int() }}) as best_seller_rank
    from combined

)

select * from final
