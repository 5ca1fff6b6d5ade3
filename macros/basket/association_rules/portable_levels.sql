{#-
    The levels of the portable version, for both inputs: expects the CTE
    ar_basket_items (transaction_id, item_key), one row per transaction and
    item. item_key is the item itself (items_cte none) or a code that
    items_cte (item_key, item) names. Renders ar_transaction_total through
    ar_frequent_pairs / ar_frequent_triples, each followed by a comma, with
    item_index in ascending item (text) order as association_rules_from_itemsets
    expects. Level 2 joins the baskets of frequent items with themselves on
    the transaction (index_1 < index_2): only pairs of frequent items are
    ever formed, each once.
-#}
{% macro association_rules_portable_levels(args, items_cte) %}
{%- set min_support_sql = args.min_support_sql -%}
{%- set max_antecedent_items = args.max_antecedent_items -%}
ar_transaction_total as (

    select count(distinct transaction_id) as total_transactions
    from ar_basket_items

),

ar_item_counts as (

    select
        item_key,
        count(*) as item_transactions
    from ar_basket_items
    group by item_key

),

ar_frequent_items as (

    -- level 1: frequent single items, numbered in ascending item order
    -- (few rows: at most average basket size / min_support)
    select
        {%- if items_cte %}
        {{ items_cte }}.item,
        {%- else %}
        ar_item_counts.item_key as item,
        {%- endif %}
        ar_item_counts.item_key,
        ar_item_counts.item_transactions,
        row_number() over (order by {{ items_cte ~ '.item' if items_cte else 'ar_item_counts.item_key' }})
            as item_index
    from ar_item_counts
    {%- if items_cte %}
    inner join {{ items_cte }}
        on ar_item_counts.item_key = {{ items_cte }}.item_key
    {%- endif %}
    cross join ar_transaction_total
    where cast(ar_item_counts.item_transactions as double)
        / cast(ar_transaction_total.total_transactions as double) >= {{ min_support_sql }}

),

ar_frequent_basket_items as (

    select
        ar_basket_items.transaction_id,
        ar_frequent_items.item_index
    from ar_basket_items
    inner join ar_frequent_items
        on ar_basket_items.item_key = ar_frequent_items.item_key

),

ar_pair_occurrences as (

    -- level 2 candidates: pairs of frequent items only
    select
        first_item.transaction_id,
        first_item.item_index as item_index_1,
        second_item.item_index as item_index_2
    from ar_frequent_basket_items as first_item
    inner join ar_frequent_basket_items as second_item
        on first_item.transaction_id = second_item.transaction_id
        and first_item.item_index < second_item.item_index

),

ar_pair_counts as (

    select
        item_index_1,
        item_index_2,
        count(*) as pair_transactions
    from ar_pair_occurrences
    group by item_index_1, item_index_2

),

ar_frequent_pairs as (

    {{ ecommerce_segmentation.association_rules_frequent(
        'ar_pair_counts', ['item_index_1', 'item_index_2'], 'pair_transactions', min_support_sql) }}

),
{%- if max_antecedent_items == 2 %}
{{ ecommerce_segmentation.association_rules_portable_triples(min_support_sql) }}
{%- endif %}
{% endmacro %}
