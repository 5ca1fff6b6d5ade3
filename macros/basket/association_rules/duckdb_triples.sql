{#-
    Level 3 of the DuckDB versions (max_antecedent_items = 2): expects the
    CTEs of association_rules_duckdb_levels up to ar_frequent_code_pairs.
    Candidate triples come from the frequent pairs alone (apriori-gen,
    shared: apriori.sql); the baskets are restricted to the codes of some
    candidate and kept with >= 3 of them; their pairs that start a
    candidate are extended by the larger codes of the same list and
    counted. The candidate prefixes and triples that filter the pair and
    triple occurrences pass through a one-row list, so that DuckDB's
    estimate of them is small and the semi joins build their hash tables on
    these few hundred rows, not on the millions of occurrences (EXPLAIN
    ANALYZE: the build side was the occurrences, 40 % of the query once the
    baskets are stored). Renders ar_candidate_triples through
    ar_frequent_triples (re-indexed in item order), each followed by a comma.
-#}
{% macro association_rules_duckdb_triples(min_support_sql) %}

ar_candidate_triples as materialized (

    -- level 3 candidates (apriori-gen): {a, b, c} with a < b < c (codes)
    -- whose three sub-pairs {a, b}, {a, c} and {b, c} are all frequent
    {{ ecommerce_segmentation.association_rules_candidate_triples('ar_frequent_code_pairs', 'item_code') }}

),

ar_candidate_prefixes as (

    -- the distinct first two items of the candidates, through a one-row
    -- list (see above: a small estimate, so the hash table is built on them)
    select
        unnest(ar_prefix_lists.item_codes_1) as item_code_1,
        unnest(ar_prefix_lists.item_codes_2) as item_code_2
    from (
        select
            list(item_code_1 order by item_code_1, item_code_2) as item_codes_1,
            list(item_code_2 order by item_code_1, item_code_2) as item_codes_2
        from (
            select distinct
                item_code_1,
                item_code_2
            from ar_candidate_triples
        ) as ar_distinct_prefixes
    ) as ar_prefix_lists

),

ar_candidate_triple_keys as (

    -- the candidates again, through a one-row list for the same reason
    select
        unnest(ar_triple_lists.item_codes_1) as item_code_1,
        unnest(ar_triple_lists.item_codes_2) as item_code_2,
        unnest(ar_triple_lists.item_codes_3) as item_code_3
    from (
        select
            list(item_code_1 order by item_code_1, item_code_2, item_code_3) as item_codes_1,
            list(item_code_2 order by item_code_1, item_code_2, item_code_3) as item_codes_2,
            list(item_code_3 order by item_code_1, item_code_2, item_code_3) as item_codes_3
        from ar_candidate_triples
    ) as ar_triple_lists

),

ar_candidate_items as (

    select item_code_1 as item_code from ar_candidate_triples
    union
    select item_code_2 as item_code from ar_candidate_triples
    union
    select item_code_3 as item_code from ar_candidate_triples

),

ar_triple_lookup as materialized (

    -- one row: in_candidate[item_code] = the item is in some candidate triple
    {{ ecommerce_segmentation.association_rules_code_lookup('ar_candidate_items', 'item_code', 'in_candidate') }}

),

ar_triple_baskets as materialized (

    -- baskets restricted to the items of candidate triples, kept with >= 3 of them
    select item_codes
    from (
        select
            list_filter(
                ar_frequent_baskets.item_codes,
                lambda item_code: ar_triple_lookup.in_candidate[item_code]  -- noqa: RF02
            ) as item_codes
        from ar_frequent_baskets
        cross join ar_triple_lookup
        where len(ar_frequent_baskets.item_codes) >= 3
    ) as ar_restricted
    where len(item_codes) >= 3

),

ar_prefix_occurrences as (

    -- pairs of these baskets that start a candidate
    select
        ar_prefixes.item_code_1,
        ar_prefixes.item_code_2,
        ar_prefixes.item_codes
    from (
        select
            item_code_1,
            unnest(list_filter(item_codes, lambda other: other > item_code_1)) as item_code_2,
            item_codes
        from (
            select
                unnest(item_codes) as item_code_1,
                item_codes
            from ar_triple_baskets
        ) as ar_firsts
    ) as ar_prefixes
    semi join ar_candidate_prefixes
        on ar_prefixes.item_code_1 = ar_candidate_prefixes.item_code_1
        and ar_prefixes.item_code_2 = ar_candidate_prefixes.item_code_2

),

ar_triple_counts as (

    select
        ar_triples.item_code_1,
        ar_triples.item_code_2,
        ar_triples.item_code_3,
        count(*) as triple_transactions
    from (
        select
            item_code_1,
            item_code_2,
            unnest(list_filter(item_codes, lambda other: other > item_code_2)) as item_code_3
        from ar_prefix_occurrences
    ) as ar_triples
    semi join ar_candidate_triple_keys
        on ar_triples.item_code_1 = ar_candidate_triple_keys.item_code_1
        and ar_triples.item_code_2 = ar_candidate_triple_keys.item_code_2
        and ar_triples.item_code_3 = ar_candidate_triple_keys.item_code_3
    group by ar_triples.item_code_1, ar_triples.item_code_2, ar_triples.item_code_3

),

ar_frequent_code_triples as (

    {{ ecommerce_segmentation.association_rules_frequent(
        'ar_triple_counts', ['item_code_1', 'item_code_2', 'item_code_3'], 'triple_transactions', min_support_sql) }}

),

ar_frequent_triples as (

    -- the frequent triples with their items' indexes in item order (sorted)
    select
        least(item_1.item_index, item_2.item_index, item_3.item_index) as item_index_1,
        item_1.item_index + item_2.item_index + item_3.item_index
        - least(item_1.item_index, item_2.item_index, item_3.item_index)
        - greatest(item_1.item_index, item_2.item_index, item_3.item_index) as item_index_2,
        greatest(item_1.item_index, item_2.item_index, item_3.item_index) as item_index_3,
        ar_frequent_code_triples.triple_transactions
    from ar_frequent_code_triples
    inner join ar_frequent_items as item_1
        on ar_frequent_code_triples.item_code_1 = item_1.item_code
    inner join ar_frequent_items as item_2
        on ar_frequent_code_triples.item_code_2 = item_2.item_code
    inner join ar_frequent_items as item_3
        on ar_frequent_code_triples.item_code_3 = item_3.item_code

),
{% endmacro %}
