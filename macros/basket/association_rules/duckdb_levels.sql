{#-
    The levels of the DuckDB versions: from baskets_cte (item_codes: a list
    of distinct positive item codes per transaction, in any order) and
    items_cte (item, item_code), renders ar_transaction_total through
    ar_frequent_pairs / ar_frequent_triples (each followed by a comma) with
    item_index in ascending item (text) order, as
    association_rules_from_itemsets expects.
      - item counts unnest the baskets; a one-row list maps every code to
        "frequent or not", and each basket is restricted to its frequent
        codes and kept only with >= 2 of them (list_filter, no sort);
      - pairs are generated inside each basket and counted by code; no
        self-join on the transaction; level 3 (candidate triples) is
        association_rules_duckdb_triples (duckdb_triples.sql);
      - the few frequent pairs and triples are finally re-indexed in item
        order (codes need not follow it);
      - CTEs read several times are `materialized`, so that DuckDB computes
        them once instead of inlining them at every reference.
-#}
{% macro association_rules_duckdb_levels(baskets_cte, items_cte, args) %}
{%- set min_support_sql = args.min_support_sql -%}
{%- set max_antecedent_items = args.max_antecedent_items -%}
ar_transaction_total as materialized (

    select count(*) as total_transactions
    from {{ baskets_cte }}

),

ar_item_counts as (

    select
        item_code,
        count(*) as item_transactions
    from (
        select unnest(item_codes) as item_code
        from {{ baskets_cte }}
    ) as ar_basket_lines
    group by item_code

),

ar_frequent_items as materialized (

    -- level 1: frequent single items, indexed from 1 in ascending item order
    select
        {{ items_cte }}.item,
        ar_item_counts.item_code,
        ar_item_counts.item_transactions,
        cast(row_number() over (order by {{ items_cte }}.item) as integer) as item_index
    from ar_item_counts
    inner join {{ items_cte }}
        on ar_item_counts.item_code = {{ items_cte }}.item_code
    cross join ar_transaction_total
    where cast(ar_item_counts.item_transactions as double)
        / cast(ar_transaction_total.total_transactions as double) >= {{ min_support_sql }}

),

ar_frequent_lookup as materialized (

    -- one row: is_frequent[item_code] (null past the largest frequent code)
    {{ ecommerce_segmentation.association_rules_code_lookup('ar_frequent_items', 'item_code', 'is_frequent') }}

),

ar_frequent_baskets as materialized (

    -- baskets restricted to their frequent items, kept with >= 2 of them
    select item_codes
    from (
        select
            list_filter(
                {{ baskets_cte }}.item_codes,
                lambda item_code: ar_frequent_lookup.is_frequent[item_code]  -- noqa: RF02
            ) as item_codes
        from {{ baskets_cte }}
        cross join ar_frequent_lookup
        where len({{ baskets_cte }}.item_codes) >= 2
    ) as ar_restricted
    where len(item_codes) >= 2

),

ar_pair_counts as (

    -- level 2: every pair of frequent items of each basket (smaller code
    -- first), counted
    select
        item_code_1,
        item_code_2,
        count(*) as pair_transactions
    from (
        select
            item_code_1,
            unnest(list_filter(item_codes, lambda other: other > item_code_1)) as item_code_2
        from (
            select
                unnest(item_codes) as item_code_1,
                item_codes
            from ar_frequent_baskets
        ) as ar_firsts
    ) as ar_pairs
    group by item_code_1, item_code_2

),

ar_frequent_code_pairs as materialized (

    {{ ecommerce_segmentation.association_rules_frequent(
        'ar_pair_counts', ['item_code_1', 'item_code_2'], 'pair_transactions', min_support_sql) }}

),
{%- if max_antecedent_items == 2 %}
{{ ecommerce_segmentation.association_rules_duckdb_triples(min_support_sql) }}
{%- endif %}

ar_frequent_pairs as materialized (

    -- the frequent pairs with their items' indexes in item order
    select
        least(item_1.item_index, item_2.item_index) as item_index_1,
        greatest(item_1.item_index, item_2.item_index) as item_index_2,
        ar_frequent_code_pairs.pair_transactions
    from ar_frequent_code_pairs
    inner join ar_frequent_items as item_1
        on ar_frequent_code_pairs.item_code_1 = item_1.item_code
    inner join ar_frequent_items as item_2
        on ar_frequent_code_pairs.item_code_2 = item_2.item_code

),
{% endmacro %}


{#-
    DuckDB: the body of a one-row CTE holding a list of booleans indexed by
    item code: <list_name>[c] is true when c is a code of codes_cte
    (code_column), false for the other codes up to the largest one, null
    (so: filtered out by list_filter) past it. An empty codes_cte gives a
    null list.
-#}
{% macro association_rules_code_lookup(codes_cte, code_column, list_name) -%}
    select list({{ codes_cte }}.{{ code_column }} is not null order by ar_all_codes.item_code) as {{ list_name }}
    from (
        select unnest(range(1, ar_largest.item_code + 1)) as item_code
        from (
            select coalesce(max({{ code_column }}), 0) as item_code
            from {{ codes_cte }}
        ) as ar_largest
    ) as ar_all_codes
    left join {{ codes_cte }}
        on ar_all_codes.item_code = {{ codes_cte }}.{{ code_column }}
{% endmacro %}
