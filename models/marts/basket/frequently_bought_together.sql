{#-
    "Frequently bought together": for each product, its top
    var('frequently_bought_together_top_n') companions in the same order,
    from the one-product rules of product_association_rules (so every
    companion passes the association thresholds). Ranked by lift, then
    confidence, then the number of orders with both, then companion id.
-#}
{%- set frequently_bought_together_id = dbt.concat([
    'single_product_rules.product_id', "'|'",
    'cast(single_product_rules.companion_rank as ' ~ dbt.type_string() ~ ')']) -%}
with rules as (

    select * from {{ ref('int_product_association_rules') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

single_product_rules as (

    select
        rule_id,
        antecedent_item_1 as product_id,
        consequent_item as companion_product_id,
        transactions_with_antecedent,
        transactions_with_both,
        support,
        confidence,
        lift,
        row_number() over (
            partition by antecedent_item_1
            order by lift desc, confidence desc, transactions_with_both desc, consequent_item asc
        ) as companion_rank
    from rules
    where antecedent_size = 1

),

final as (

    select
        cast({{ frequently_bought_together_id }} as {{ dbt.type_string() }}) as frequently_bought_together_id,
        cast(single_product_rules.product_id as {{ dbt.type_string() }}) as product_id,
        cast(product.product_name as {{ dbt.type_string() }}) as product_name,
        cast(single_product_rules.companion_rank as {{ dbt.type_int() }}) as companion_rank,
        cast(single_product_rules.companion_product_id as {{ dbt.type_string() }}) as companion_product_id,
        cast(companion.product_name as {{ dbt.type_string() }}) as companion_product_name,
        cast(companion.category as {{ dbt.type_string() }}) as companion_category,
        cast(single_product_rules.rule_id as {{ dbt.type_string() }}) as rule_id,
        cast(single_product_rules.transactions_with_antecedent as {{ dbt.type_bigint() }}) as orders_with_product,
        cast(single_product_rules.transactions_with_both as {{ dbt.type_bigint() }}) as orders_with_both,
        cast(single_product_rules.support as double) as support,  -- noqa: RF04
        cast(single_product_rules.confidence as double) as confidence,
        cast(single_product_rules.lift as double) as lift
    from single_product_rules
    left join products as product
        on single_product_rules.product_id = product.product_id
    left join products as companion
        on single_product_rules.companion_product_id = companion.product_id
    where single_product_rules.companion_rank <= {{ var('frequently_bought_together_top_n') | int }}

)

select * from final
