{#- Lint harness of macros/basket/ (analyses/macro_lint/README.md): every macro that writes SQL, once per variant. -#}
with rules_over_lines as (

    {{ association_rules(ref('int_basket_items'), 'order_id', 'product_id', 0.002, 0.05, 1.5, 2) }}

),

portable_rules_over_lines as (

    {{ ecommerce_segmentation.default__association_rules(
        ref('int_basket_items'), 'order_id', 'product_id', 0.002, 0.05, 1.5, 2) }}

),

rules_over_baskets as (

    {{ association_rules_from_baskets(
        ref('int_baskets'), 'order_id', 'item_codes', ref('int_basket_products'), 'item_code', 'product_id',
        0.002, 0.05, 1.5, 2) }}

),

portable_rules_over_baskets as (

    {{ ecommerce_segmentation.default__association_rules_from_baskets(
        ref('int_baskets'), 'order_id', 'item_codes', ref('int_basket_products'), 'item_code', 'product_id',
        0.002, 0.05, 1.5, 2) }}

),

product_rules as (

    {{ association_basket_rules_mart(
        ref('int_baskets'), 'order_id', 'item_codes', ref('int_basket_products'), 'item_code', 'product_id') }}

),

category_rules as (

    {{ association_rules_mart(ref('int_basket_items'), 'order_id', 'category') }}

),

coded_baskets as (

    select
        order_id,
        {{ basket_code_list('product_id') }} as item_codes
    from {{ ref('int_basket_items') }}
    group by order_id

),

portable_coded_baskets as (

    select
        order_id,
        {{ ecommerce_segmentation.default__basket_code_list('product_id') }} as item_codes
    from {{ ref('int_basket_items') }}
    group by order_id

),

basket_codes as (

    select
        order_id,
        {{ basket_list_elements('item_codes') }} as item_code
    from coded_baskets

),

portable_basket_codes as (

    select
        order_id,
        {{ ecommerce_segmentation.default__basket_list_elements('item_codes') }} as item_code
    from portable_coded_baskets

),

fixture_baskets as (

    {{ basket_fixture({'o1': [1, 2], 'o2': [3]}) }}

),

portable_fixture_baskets as (

    select
        'o1' as order_id,
        {{ ecommerce_segmentation.default__basket_code_list_literal([1, 2]) }} as item_codes

),

rule_ids as (

    select {{ association_rule_id() }} as rule_id
    from rules_over_lines

),

baskets_to_write as (

    {{ ecommerce_segmentation.default__basket_rows_to_write('fixture_baskets') }}

),

final as (

    select
        'portable_rules_over_lines' as part,
        count(*) as row_count
    from portable_rules_over_lines
    union all
    select
        'rules_over_baskets' as part,
        count(*) as row_count
    from rules_over_baskets
    union all
    select
        'portable_rules_over_baskets' as part,
        count(*) as row_count
    from portable_rules_over_baskets
    union all
    select
        'product_rules' as part,
        count(*) as row_count
    from product_rules
    union all
    select
        'category_rules' as part,
        count(*) as row_count
    from category_rules
    union all
    select
        'coded_baskets' as part,
        count(*) as row_count
    from coded_baskets
    union all
    select
        'portable_coded_baskets' as part,
        count(*) as row_count
    from portable_coded_baskets
    union all
    select
        'basket_codes' as part,
        count(*) as row_count
    from basket_codes
    union all
    select
        'portable_basket_codes' as part,
        count(*) as row_count
    from portable_basket_codes
    union all
    select
        'fixture_baskets' as part,
        count(*) as row_count
    from fixture_baskets
    union all
    select
        'portable_fixture_baskets' as part,
        count(*) as row_count
    from portable_fixture_baskets
    union all
    select
        'rule_ids' as part,
        count(*) as row_count
    from rule_ids
    union all
    select
        'baskets_to_write' as part,
        count(*) as row_count
    from baskets_to_write

)

select * from final
