{#-
    Association rules between products: "customers whose order holds the
    antecedent product(s) also buy the consequent product in the same order".
    Transactions are non-cancelled orders, read as the grouped, integer-coded
    baskets of int_baskets (the same orders and products as int_basket_items;
    docs/association-rules.md). The body is shared with
    category_association_rules (macros/basket/association_rules_mart.sql).
-#}
{{ association_basket_rules_mart(
    baskets_relation=ref('int_baskets'),
    transaction_column='order_id',
    item_codes_column='item_codes',
    items_relation=ref('int_basket_products'),
    item_code_column='item_code',
    item_column='product_id',
) }}
