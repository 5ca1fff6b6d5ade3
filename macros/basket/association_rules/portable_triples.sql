{#-
    Level 3 of the portable version (max_antecedent_items = 2): expects the
    CTEs of association_rules_portable_levels up to ar_frequent_pairs.
    Candidates from the frequent pairs alone (apriori-gen); a candidate is
    counted from the transactions holding its first two items as a pair
    occurrence (restricted to candidate prefixes) joined with the
    transactions holding its third item (restricted to candidate third
    items). Renders ar_candidate_triples through ar_frequent_triples, each
    followed by a comma.
-#}
{% macro association_rules_portable_triples(min_support_sql) %}

ar_candidate_triples as (

    -- level 3 candidates (apriori-gen): {a, b, c} with a < b < c whose
    -- three sub-pairs {a, b}, {a, c} and {b, c} are all frequent
    {{ ecommerce_segmentation.association_rules_candidate_triples('ar_frequent_pairs', 'item_index') }}

),

ar_candidate_prefixes as (

    select distinct
        item_index_1,
        item_index_2
    from ar_candidate_triples

),

ar_candidate_thirds as (

    select distinct item_index_3
    from ar_candidate_triples

),

ar_prefix_occurrences as (

    -- transactions holding the first two items of some candidate
    select
        ar_pair_occurrences.transaction_id,
        ar_pair_occurrences.item_index_1,
        ar_pair_occurrences.item_index_2
    from ar_pair_occurrences
    inner join ar_candidate_prefixes
        on ar_pair_occurrences.item_index_1 = ar_candidate_prefixes.item_index_1
        and ar_pair_occurrences.item_index_2 = ar_candidate_prefixes.item_index_2

),

ar_third_occurrences as (

    -- transactions holding the last item of some candidate
    select
        ar_frequent_basket_items.transaction_id,
        ar_frequent_basket_items.item_index
    from ar_frequent_basket_items
    inner join ar_candidate_thirds
        on ar_frequent_basket_items.item_index = ar_candidate_thirds.item_index_3

),

ar_triple_counts as (

    select
        ar_candidate_triples.item_index_1,
        ar_candidate_triples.item_index_2,
        ar_candidate_triples.item_index_3,
        count(*) as triple_transactions
    from ar_prefix_occurrences
    inner join ar_third_occurrences
        on ar_prefix_occurrences.transaction_id = ar_third_occurrences.transaction_id
        and ar_prefix_occurrences.item_index_2 < ar_third_occurrences.item_index
    inner join ar_candidate_triples
        on ar_prefix_occurrences.item_index_1 = ar_candidate_triples.item_index_1
        and ar_prefix_occurrences.item_index_2 = ar_candidate_triples.item_index_2
        and ar_third_occurrences.item_index = ar_candidate_triples.item_index_3
    group by
        ar_candidate_triples.item_index_1,
        ar_candidate_triples.item_index_2,
        ar_candidate_triples.item_index_3

),

ar_frequent_triples as (

    {{ ecommerce_segmentation.association_rules_frequent(
        'ar_triple_counts', ['item_index_1', 'item_index_2', 'item_index_3'], 'triple_transactions', min_support_sql) }}

),
{% endmacro %}
