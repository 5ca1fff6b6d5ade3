{#
    association_rules: exact association rules (apriori) computed in the
    warehouse from any relation of (transaction, item) pairs: products,
    categories or brands of orders, or anything else.

    Arguments
      transactions_relation  a relation, ref(), source() or the name of a CTE of
                             the calling model, with one or more rows per
                             (transaction, item); duplicates (several lines
                             of one item, units) count once per transaction
      transaction_column     column (or expression) identifying the transaction
      item_column            column (or expression) identifying the item
      min_support            rules and all their itemsets need
                             transactions_with_both / total_transactions >= this
      min_confidence         rules need confidence >= this
      min_lift               rules need lift >= this
      max_antecedent_items   largest antecedent: 1 (pairs only) or 2 (pairs and
                             triples); the consequent is always one item

    Returns one select statement (it starts with `with`: use it as the body
    of a CTE, `rules as ( {{ association_rules(...) }} )`) with one row per
    rule A -> C:
      antecedents                text, "a" or "a + b" (items in ascending order)
      antecedent_item_1          first (smallest) antecedent item, as text
      antecedent_item_2          second antecedent item (> antecedent_item_1), null for one-item antecedents
      consequent_item            the consequent item, as text
      antecedent_size            1 or 2
      total_transactions         N: distinct transactions in the relation
      transactions_with_antecedent, transactions_with_consequent,
      transactions_with_both     counts of transactions containing A, C, A u C
      antecedent_support, consequent_support, support,
      confidence, lift, leverage, conviction, zhangs_metric
                                 as mlxtend.frequent_patterns.association_rules
                                 defines them (see docs/association-rules.md);
                                 conviction is null when confidence = 1.

    Apriori pruning happens in SQL: item counts first; only frequent items
    are paired within a transaction; triples are counted only for candidates
    whose three sub-pairs are all frequent, from the transactions holding a
    candidate's first two items and its third one. Nothing is sampled and no
    basket leaves the warehouse.

    Two versions (adapter.dispatch), the same itemsets and rules:
    default__association_rules is portable SQL (Spark 3.5 in ANSI mode runs
    it); duckdb__association_rules uses DuckDB's list functions, lambdas and
    materialized CTEs to group the lines by transaction only once (see
    docs/association-rules.md). Both share the argument checks and the rule
    step. association_rules_from_baskets (below) gives the same rules from
    baskets already grouped and integer-coded (int_baskets), in the same two
    versions sharing the same levels (association_rules_portable_levels,
    association_rules_duckdb_levels). Supports are doubles computed from integer counts, every division
    is guarded, items are compared as text. Inner CTE names carry the prefix
    ar_ so that they cannot clash with the calling model's CTEs.
#}
{% macro association_rules(
        transactions_relation,
        transaction_column,
        item_column,
        min_support,
        min_confidence,
        min_lift,
        max_antecedent_items=2
    ) %}
    {{- return(adapter.dispatch('association_rules', 'ecommerce_segmentation')(
        transactions_relation, transaction_column, item_column,
        min_support, min_confidence, min_lift, max_antecedent_items)) -}}
{% endmacro %}


{#- Thresholds arrive as numbers or (from --vars / env) as text. -#}
{% macro association_rules_threshold(name, value, lowest, highest, lowest_inclusive) %}
    {%- set number = value | float(none) if value is not none else none -%}
    {%- if number is none
            or (lowest_inclusive and number < lowest)
            or (not lowest_inclusive and number <= lowest)
            or (highest is not none and number > highest) -%}
        {{ exceptions.raise_compiler_error(
            "association_rules: " ~ name ~ " must be a number in "
            ~ ('[' if lowest_inclusive else '(') ~ lowest ~ ', '
            ~ (highest if highest is not none else 'inf') ~ ']; got '
            ~ (value | string)) }}
    {%- endif -%}
    {{- return(number) -}}
{% endmacro %}


{#- Arguments checked and rendered once for every engine's version. -#}
{% macro association_rules_arguments(min_support, min_confidence, min_lift, max_antecedent_items) %}
{%- set min_support = ecommerce_segmentation.association_rules_threshold('min_support', min_support, 0, 1, false) -%}
{%- set min_confidence = ecommerce_segmentation.association_rules_threshold('min_confidence', min_confidence, 0, 1, true) -%}
{%- set min_lift = ecommerce_segmentation.association_rules_threshold('min_lift', min_lift, 0, none, true) -%}
{%- set max_antecedent_items = max_antecedent_items | int(0) -%}
{%- if max_antecedent_items not in [1, 2] -%}
    {{ exceptions.raise_compiler_error(
        "association_rules: max_antecedent_items must be 1 or 2; got " ~ max_antecedent_items) }}
{%- endif -%}
{#- Python's repr of a float parses back to the same double on both engines. -#}
{%- set min_support_sql = 'cast(' ~ (min_support | string) ~ ' as double)' -%}
{%- set min_confidence_sql = 'cast(' ~ (min_confidence | string) ~ ' as double)' -%}
{%- set min_lift_sql = 'cast(' ~ (min_lift | string) ~ ' as double)' -%}
{{- return({
    'min_support_sql': min_support_sql,
    'min_confidence_sql': min_confidence_sql,
    'min_lift_sql': min_lift_sql,
    'max_antecedent_items': max_antecedent_items,
}) -}}
{% endmacro %}


{% macro default__association_rules(
        transactions_relation,
        transaction_column,
        item_column,
        min_support,
        min_confidence,
        min_lift,
        max_antecedent_items
    ) %}
{%- set args = ecommerce_segmentation.association_rules_arguments(
    min_support, min_confidence, min_lift, max_antecedent_items) -%}
{%- set string_type = dbt.type_string() -%}
with

ar_basket_items as (

    -- one row per transaction and item, however many lines or units
    select distinct
        cast({{ transaction_column }} as {{ string_type }}) as transaction_id,
        cast({{ item_column }} as {{ string_type }}) as item_key
    from {{ transactions_relation }}
    where {{ transaction_column }} is not null
        and {{ item_column }} is not null
        {{ ecommerce_segmentation.shared_cte_condition() }}

),

{{ ecommerce_segmentation.association_rules_portable_levels(args, none) }}
{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


{#-
    The levels of the portable version, for both inputs: expects the CTE
    ar_basket_items (transaction_id, item_key), one row per transaction and
    item. item_key is the item itself (items_cte none) or a code that
    items_cte (item_key, item) names. Renders ar_transaction_total through
    ar_frequent_pairs / ar_frequent_triples, each followed by a comma, with
    item_index in ascending item (text) order as association_rules_from_itemsets
    expects.
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

ar_candidate_triples as (

    -- level 3 candidates (apriori-gen): {a, b, c} with a < b < c whose
    -- three sub-pairs {a, b}, {a, c} and {b, c} are all frequent
    select
        pair_ab.item_index_1,
        pair_ab.item_index_2,
        pair_ac.item_index_2 as item_index_3
    from ar_frequent_pairs as pair_ab
    inner join ar_frequent_pairs as pair_ac
        on pair_ab.item_index_1 = pair_ac.item_index_1
        and pair_ab.item_index_2 < pair_ac.item_index_2
    inner join ar_frequent_pairs as pair_bc
        on pair_ab.item_index_2 = pair_bc.item_index_1
        and pair_ac.item_index_2 = pair_bc.item_index_2

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
{%- endif %}
{% endmacro %}


{#-
    DuckDB: the same itemsets and rules, computed with far fewer passes over
    the baskets (docs/association-rules.md, "DuckDB version"):
      - items get dense integer codes once (a distinct over the item column
        only, a few thousand rows);
      - ONE hash aggregation by transaction builds each basket as a list of
        item codes (duplicates removed in the list); nothing else is keyed by
        the (long, text) transaction id, and N is the number of baskets;
      - the levels (association_rules_duckdb_levels, shared with
        association_rules_from_baskets) work on these integer lists.
    List functions and lambdas are DuckDB's own, hence the dispatch; other
    engines run default__association_rules.
-#}
{% macro duckdb__association_rules(
        transactions_relation,
        transaction_column,
        item_column,
        min_support,
        min_confidence,
        min_lift,
        max_antecedent_items
    ) %}
{%- set args = ecommerce_segmentation.association_rules_arguments(
    min_support, min_confidence, min_lift, max_antecedent_items) -%}
{%- set string_type = dbt.type_string() -%}
with

ar_lines as not materialized (

    -- read twice (item codes, baskets): cheaper than materializing the lines;
    -- the transaction keeps its own type (only grouped by, never returned)
    select
        {{ transaction_column }} as transaction_id,
        cast({{ item_column }} as {{ string_type }}) as item
    from {{ transactions_relation }}
    where {{ transaction_column }} is not null
        and {{ item_column }} is not null

),

ar_item_codes as materialized (

    -- every distinct item, numbered in ascending item order from 1
    select
        item,
        cast(row_number() over (order by item) as integer) as item_code
    from (
        select distinct item
        from ar_lines
    ) as ar_distinct_items

),

ar_baskets as materialized (

    -- one row per transaction: its distinct item codes
    select
        case
            when len(ar_grouped.item_codes) = 1 then ar_grouped.item_codes
            when len(ar_grouped.item_codes) = 2 and ar_grouped.item_codes[1] != ar_grouped.item_codes[2]
                then ar_grouped.item_codes
            else list_distinct(ar_grouped.item_codes)
        end as item_codes
    from (
        select list(ar_item_codes.item_code) as item_codes
        from ar_lines
        inner join ar_item_codes
            on ar_lines.item = ar_item_codes.item
        group by ar_lines.transaction_id
    ) as ar_grouped

),

{{ ecommerce_segmentation.association_rules_duckdb_levels('ar_baskets', 'ar_item_codes', args) }}
{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


{#
    association_rules_from_baskets: the same rules as association_rules, from
    baskets that are already grouped and integer-coded (int_baskets): one row
    per transaction with the list (DuckDB) / array (Spark) of its item codes.

    Arguments
      baskets_relation     one row per transaction (a relation, ref() or CTE name)
      transaction_column   its transaction key (unique; the portable version
                           joins on it, the DuckDB one only counts rows)
      item_codes_column    the transaction's item codes: distinct, positive
                           integers (duplicates would be counted twice);
                           a null or empty list is not a transaction
      items_relation       the code dictionary: one row per code
      item_code_column     its code column
      item_column          its item column (what the rules show, ordered as text)
      min_support, min_confidence, min_lift, max_antecedent_items
                           as association_rules
    Every code of a basket must be in items_relation. Returns the columns of
    association_rules; the items are items_relation's names, never codes,
    so the rules do not depend on how codes were assigned.
#}
{% macro association_rules_from_baskets(
        baskets_relation,
        transaction_column,
        item_codes_column,
        items_relation,
        item_code_column,
        item_column,
        min_support,
        min_confidence,
        min_lift,
        max_antecedent_items=2
    ) %}
    {{- return(adapter.dispatch('association_rules_from_baskets', 'ecommerce_segmentation')(
        baskets_relation, transaction_column, item_codes_column, items_relation, item_code_column,
        item_column, min_support, min_confidence, min_lift, max_antecedent_items)) -}}
{% endmacro %}


{#- Portable: the lists back to (transaction, code) rows, then the portable levels. -#}
{% macro default__association_rules_from_baskets(
        baskets_relation,
        transaction_column,
        item_codes_column,
        items_relation,
        item_code_column,
        item_column,
        min_support,
        min_confidence,
        min_lift,
        max_antecedent_items
    ) %}
{%- set args = ecommerce_segmentation.association_rules_arguments(
    min_support, min_confidence, min_lift, max_antecedent_items) -%}
with

ar_basket_items as (

    -- one row per transaction and item code (the codes of a basket are distinct)
    select
        transaction_id,
        item_key
    from (
        select
            {{ transaction_column }} as transaction_id,
            {{ ecommerce_segmentation.basket_list_elements(item_codes_column) }} as item_key
        from {{ baskets_relation }}
        where {{ transaction_column }} is not null
            and {{ item_codes_column }} is not null
    ) as ar_exploded
    where item_key is not null
        {{ ecommerce_segmentation.shared_cte_condition() }}

),

ar_items as (

    select
        {{ item_code_column }} as item_key,
        cast({{ item_column }} as {{ dbt.type_string() }}) as item
    from {{ items_relation }}

),

{{ ecommerce_segmentation.association_rules_portable_levels(args, 'ar_items') }}
{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


{#- DuckDB: the levels straight from the stored lists; no grouping at all. -#}
{% macro duckdb__association_rules_from_baskets(
        baskets_relation,
        transaction_column,
        item_codes_column,
        items_relation,
        item_code_column,
        item_column,
        min_support,
        min_confidence,
        min_lift,
        max_antecedent_items
    ) %}
{%- set args = ecommerce_segmentation.association_rules_arguments(
    min_support, min_confidence, min_lift, max_antecedent_items) -%}
with

ar_baskets as not materialized (

    -- read a few times (N, item counts, frequent items): a scan of the
    -- stored lists is cheaper than materializing them
    select {{ item_codes_column }} as item_codes
    from {{ baskets_relation }}
    where len({{ item_codes_column }}) > 0

),

ar_item_codes as not materialized (

    select
        cast({{ item_column }} as {{ dbt.type_string() }}) as item,
        {{ item_code_column }} as item_code
    from {{ items_relation }}

),

{{ ecommerce_segmentation.association_rules_duckdb_levels('ar_baskets', 'ar_item_codes', args) }}
{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


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
      - pairs (and candidate triples, only those whose three sub-pairs are
        frequent) are generated inside each basket and counted by code;
        no self-join on the transaction;
      - the candidate prefixes and triples that filter the pair and triple
        occurrences pass through a one-row list, so that DuckDB's estimate
        of them is small and the semi joins build their hash tables on these
        few hundred rows, not on the millions of occurrences (EXPLAIN
        ANALYZE: the build side was the occurrences, 40 % of the query
        once the baskets are stored);
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
                lambda item_code: ar_frequent_lookup.is_frequent[item_code]
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

ar_candidate_triples as materialized (

    -- level 3 candidates (apriori-gen): {a, b, c} with a < b < c (codes)
    -- whose three sub-pairs {a, b}, {a, c} and {b, c} are all frequent
    select
        pair_ab.item_code_1,
        pair_ab.item_code_2,
        pair_ac.item_code_2 as item_code_3
    from ar_frequent_code_pairs as pair_ab
    inner join ar_frequent_code_pairs as pair_ac
        on pair_ab.item_code_1 = pair_ac.item_code_1
        and pair_ab.item_code_2 < pair_ac.item_code_2
    inner join ar_frequent_code_pairs as pair_bc
        on pair_ab.item_code_2 = pair_bc.item_code_1
        and pair_ac.item_code_2 = pair_bc.item_code_2

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
                lambda item_code: ar_triple_lookup.in_candidate[item_code]
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
{% macro association_rules_code_lookup(codes_cte, code_column, list_name) %}
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


{#-
    The body of a frequent-itemset CTE, for every engine's version: the rows
    of counts_cte (key_columns and count_column, transactions holding the
    itemset) whose support, count_column / ar_transaction_total, is at least
    min_support_sql.
-#}
{% macro association_rules_frequent(counts_cte, key_columns, count_column, min_support_sql) %}
    select
        {%- for column in key_columns %}
        {{ counts_cte }}.{{ column }},
        {%- endfor %}
        {{ counts_cte }}.{{ count_column }}
    from {{ counts_cte }}
    cross join ar_transaction_total
    where cast({{ counts_cte }}.{{ count_column }} as double)
        / cast(ar_transaction_total.total_transactions as double) >= {{ min_support_sql }}
{% endmacro %}


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
{%- set min_confidence_sql = args.min_confidence_sql -%}
{%- set min_lift_sql = args.min_lift_sql -%}
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

ar_supports as (

    -- supports as doubles from integer counts: count / N
    select
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        antecedent_size,
        total_transactions,
        transactions_with_antecedent,
        transactions_with_consequent,
        transactions_with_both,
        cast(transactions_with_antecedent as double)
            / cast(nullif(total_transactions, 0) as double) as antecedent_support,
        cast(transactions_with_consequent as double)
            / cast(nullif(total_transactions, 0) as double) as consequent_support,
        cast(transactions_with_both as double)
            / cast(nullif(total_transactions, 0) as double) as support
    from ar_rule_counts

),

ar_confidence as (

    select
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        antecedent_size,
        total_transactions,
        transactions_with_antecedent,
        transactions_with_consequent,
        transactions_with_both,
        antecedent_support,
        consequent_support,
        support,
        support / nullif(antecedent_support, 0) as confidence
    from ar_supports

),

ar_lift as (

    select
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        antecedent_size,
        total_transactions,
        transactions_with_antecedent,
        transactions_with_consequent,
        transactions_with_both,
        antecedent_support,
        consequent_support,
        support,
        confidence,
        confidence / nullif(consequent_support, 0) as lift,
        support - antecedent_support * consequent_support as leverage,
        greatest(
            support * (1 - antecedent_support),
            antecedent_support * (consequent_support - support)
        ) as zhangs_denominator
    from ar_confidence

),

ar_rules as (

    select
        case
            when antecedent_item_2 is null then antecedent_item_1
            else {{ dbt.concat(['antecedent_item_1', "' + '", 'antecedent_item_2']) }}
        end as antecedents,
        antecedent_item_1,
        antecedent_item_2,
        consequent_item,
        antecedent_size,
        total_transactions,
        transactions_with_antecedent,
        transactions_with_consequent,
        transactions_with_both,
        antecedent_support,
        consequent_support,
        support,
        confidence,
        lift,
        leverage,
        case
            when confidence < 1 then (1 - consequent_support) / nullif(1 - confidence, 0)
        end as conviction,
        case
            when zhangs_denominator = 0 then cast(0 as double)
            else leverage / nullif(zhangs_denominator, 0)
        end as zhangs_metric
    from ar_lift
    where confidence >= {{ min_confidence_sql }}
        and lift >= {{ min_lift_sql }}

)

select * from ar_rules
{%- endmacro %}

