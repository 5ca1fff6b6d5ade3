{#-
    Association rules between product categories: "orders with a product of
    the antecedent category(ies) also hold a product of the consequent
    category". Transactions are the non-cancelled orders with at least one
    product of a known category: rows with a null category (products missing
    from the catalogue or without a category) are ignored by the macro. The
    body is shared with product_association_rules
    (macros/basket/association_rules_mart.sql).
-#}
{{ association_rules_mart(
    transactions_relation=ref('int_basket_items'),
    transaction_column='order_id',
    item_column='category',
) }}
