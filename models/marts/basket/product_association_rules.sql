{#-
    Association rules between products: "customers whose order holds the
    antecedent product(s) also buy the consequent product in the same order".
    Transactions are non-cancelled orders (int_basket_items). The body is
    shared with category_association_rules (macros/basket/association_rules_mart.sql).
-#}
{{ association_rules_mart(
    transactions_relation=ref('int_basket_items'),
    transaction_column='order_id',
    item_column='product_id',
) }}
