{#-
    The rules from the frequent itemsets, for every engine's version. Expects
    the CTEs ar_transaction_total (total_transactions), ar_frequent_items
    (item, item_index, item_transactions; item_index in ascending item order),
    ar_frequent_pairs (item_index_1 < item_index_2, pair_transactions) and,
    when max_antecedent_items = 2, ar_frequent_triples (item_index_1 <
    item_index_2 < item_index_3, triple_transactions). Renders the remaining
    CTEs and the final select.
-#}
{% macro association_rules_from_itemsets(args) %}
{%- set bigint_type = dbt.type_bigint() -%}
{%- set max_antecedent_items = args.max_antecedent_items -%}
ar_candidate_rules as (

    -- every split of a frequent itemset into antecedent -> one consequent item;
    -- each itemset CTE is read once, crossed with its split numbers (Spark copies
    -- a CTE into every reference before optimising: docs/spark.md)
    select
        case when ar_pair_splits.split_number = 1 then ar_frequent_pairs.item_index_1
            else ar_frequent_pairs.item_index_2 end as antecedent_index_1,
        cast(null as {{ bigint_type }}) as antecedent_index_2,
        case when ar_pair_splits.split_number = 1 then ar_frequent_pairs.item_index_2
            else ar_frequent_pairs.item_index_1 end as consequent_index,
        ar_frequent_pairs.pair_transactions as rule_transactions
    from ar_frequent_pairs
    cross join (
        select 1 as split_number
        union all
        select 2 as split_number
    ) as ar_pair_splits
{%- if max_antecedent_items == 2 %}

    union all

    -- splits of {a, b, c}: 1 = a + b -> c, 2 = a + c -> b, 3 = b + c -> a
    select
        case when ar_triple_splits.split_number = 3 then ar_frequent_triples.item_index_2
            else ar_frequent_triples.item_index_1 end as antecedent_index_1,
        case when ar_triple_splits.split_number = 1 then ar_frequent_triples.item_index_2
            else ar_frequent_triples.item_index_3 end as antecedent_index_2,
        case
            when ar_triple_splits.split_number = 1 then ar_frequent_triples.item_index_3
            when ar_triple_splits.split_number = 2 then ar_frequent_triples.item_index_2
            else ar_frequent_triples.item_index_1
        end as consequent_index,
        ar_frequent_triples.triple_transactions as rule_transactions
    from ar_frequent_triples
    cross join (
        select 1 as split_number
        union all
        select 2 as split_number
        union all
        select 3 as split_number
    ) as ar_triple_splits
{%- endif %}

),

ar_rule_counts as (

    select
        antecedent_1.item as antecedent_item_1,
        antecedent_2.item as antecedent_item_2,
        consequent.item as consequent_item,
        case when ar_candidate_rules.antecedent_index_2 is null then 1 else 2 end as antecedent_size,
        ar_transaction_total.total_transactions,
        coalesce(antecedent_pair.pair_transactions, antecedent_1.item_transactions)
            as transactions_with_antecedent,
        consequent.item_transactions as transactions_with_consequent,
        ar_candidate_rules.rule_transactions as transactions_with_both
    from ar_candidate_rules
    cross join ar_transaction_total
    inner join ar_frequent_items as antecedent_1
        on ar_candidate_rules.antecedent_index_1 = antecedent_1.item_index
    left join ar_frequent_items as antecedent_2
        on ar_candidate_rules.antecedent_index_2 = antecedent_2.item_index
    left join ar_frequent_pairs as antecedent_pair
        on ar_candidate_rules.antecedent_index_1 = antecedent_pair.item_index_1
        and ar_candidate_rules.antecedent_index_2 = antecedent_pair.item_index_2
    inner join ar_frequent_items as consequent
        on ar_candidate_rules.consequent_index = consequent.item_index

),

{{ ecommerce_segmentation.association_rules_metrics(args) }}
{%- endmacro %}
