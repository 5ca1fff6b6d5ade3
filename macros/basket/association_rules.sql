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
    step. Supports are doubles computed from integer counts, every division
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
{%- set min_support_sql = args.min_support_sql -%}
{%- set max_antecedent_items = args.max_antecedent_items -%}
{%- set string_type = dbt.type_string() -%}
with

ar_basket_items as (

    -- one row per transaction and item, however many lines or units
    select distinct
        cast({{ transaction_column }} as {{ string_type }}) as transaction_id,
        cast({{ item_column }} as {{ string_type }}) as item
    from {{ transactions_relation }}
    where {{ transaction_column }} is not null
        and {{ item_column }} is not null
        {{ ecommerce_segmentation.shared_cte_condition() }}

),

ar_transaction_total as (

    select count(distinct transaction_id) as total_transactions
    from ar_basket_items

),

ar_item_counts as (

    select
        item,
        count(*) as item_transactions
    from ar_basket_items
    group by item

),

ar_frequent_items as (

    -- level 1: frequent single items, numbered in ascending item order
    -- (few rows: at most average basket size / min_support)
    select
        ar_item_counts.item,
        ar_item_counts.item_transactions,
        row_number() over (order by ar_item_counts.item) as item_index
    from ar_item_counts
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
        on ar_basket_items.item = ar_frequent_items.item

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

{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


{#-
    DuckDB: the same itemsets and rules, computed with far fewer passes over
    the baskets (docs/association-rules.md, "DuckDB version"):
      - items get dense integer codes once (a distinct over the item column
        only, a few thousand rows);
      - ONE hash aggregation by transaction builds each basket as a list of
        item codes (duplicates removed in the list); nothing else is keyed by
        the (long, text) transaction id, and N is the number of baskets;
      - item counts unnest the baskets; each basket is then recoded to the
        indexes of its frequent items and kept only with >= 2 of them;
      - pairs (and candidate triples, only those whose three sub-pairs are
        frequent) are generated inside each basket from the lists and
        counted with integer keys; no self-join on the transaction;
      - CTEs read several times are `materialized`, so that DuckDB computes
        them once instead of inlining them at every reference.
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
{%- set min_support_sql = args.min_support_sql -%}
{%- set max_antecedent_items = args.max_antecedent_items -%}
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

ar_transaction_total as materialized (

    select count(*) as total_transactions
    from ar_baskets

),

ar_item_counts as (

    select
        item_code,
        count(*) as item_transactions
    from (
        select unnest(item_codes) as item_code
        from ar_baskets
    ) as ar_basket_lines
    group by item_code

),

ar_frequent_items as materialized (

    -- level 1: frequent single items, indexed from 1 in ascending item order
    select
        ar_item_codes.item,
        ar_item_counts.item_code,
        ar_item_counts.item_transactions,
        cast(row_number() over (order by ar_item_counts.item_code) as integer) as item_index
    from ar_item_counts
    inner join ar_item_codes
        on ar_item_counts.item_code = ar_item_codes.item_code
    cross join ar_transaction_total
    where cast(ar_item_counts.item_transactions as double)
        / cast(ar_transaction_total.total_transactions as double) >= {{ min_support_sql }}

),

ar_recode as materialized (

    -- one row: item_indexes[item_code] = the item's frequent index, 0 if not frequent
    select
        list(coalesce(ar_frequent_items.item_index, 0) order by ar_item_codes.item_code) as item_indexes
    from ar_item_codes
    left join ar_frequent_items
        on ar_item_codes.item_code = ar_frequent_items.item_code

),

ar_frequent_baskets as materialized (

    -- baskets restricted to their frequent items, kept with >= 2 of them;
    -- indexes ascend with the codes, so no sort is needed
    select item_indexes
    from (
        select
            list_filter(
                list_transform(ar_baskets.item_codes, lambda code: ar_recode.item_indexes[code]),
                lambda item_index: item_index > 0
            ) as item_indexes
        from ar_baskets
        cross join ar_recode
        where len(ar_baskets.item_codes) >= 2
    ) as ar_recoded
    where len(item_indexes) >= 2

),

ar_pair_counts as (

    -- level 2: every pair of frequent items of each basket, counted
    select
        item_index_1,
        item_index_2,
        count(*) as pair_transactions
    from (
        select
            item_index_1,
            unnest(list_filter(item_indexes, lambda other: other > item_index_1)) as item_index_2
        from (
            select
                unnest(item_indexes) as item_index_1,
                item_indexes
            from ar_frequent_baskets
        ) as ar_firsts
    ) as ar_pairs
    group by item_index_1, item_index_2

),

ar_frequent_pairs as materialized (

    {{ ecommerce_segmentation.association_rules_frequent(
        'ar_pair_counts', ['item_index_1', 'item_index_2'], 'pair_transactions', min_support_sql) }}

),
{%- if max_antecedent_items == 2 %}

ar_candidate_triples as materialized (

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

ar_triple_recode as materialized (

    -- one row: in_candidate[item_index] = the item is in some candidate triple
    select
        list(
            ar_frequent_items.item_index in (
                select item_index_1 from ar_candidate_triples
                union all
                select item_index_2 from ar_candidate_triples
                union all
                select item_index_3 from ar_candidate_triples
            )
            order by ar_frequent_items.item_index
        ) as in_candidate
    from ar_frequent_items

),

ar_triple_baskets as materialized (

    -- baskets restricted to the items of candidate triples, kept with >= 3 of them
    select item_indexes
    from (
        select
            list_filter(
                ar_frequent_baskets.item_indexes,
                lambda item_index: ar_triple_recode.in_candidate[item_index]
            ) as item_indexes
        from ar_frequent_baskets
        cross join ar_triple_recode
        where len(ar_frequent_baskets.item_indexes) >= 3
    ) as ar_restricted
    where len(item_indexes) >= 3

),

ar_prefix_occurrences as (

    -- pairs of these baskets that start a candidate
    select
        ar_prefixes.item_index_1,
        ar_prefixes.item_index_2,
        ar_prefixes.item_indexes
    from (
        select
            item_index_1,
            unnest(list_filter(item_indexes, lambda other: other > item_index_1)) as item_index_2,
            item_indexes
        from (
            select
                unnest(item_indexes) as item_index_1,
                item_indexes
            from ar_triple_baskets
        ) as ar_firsts
    ) as ar_prefixes
    semi join ar_candidate_prefixes
        on ar_prefixes.item_index_1 = ar_candidate_prefixes.item_index_1
        and ar_prefixes.item_index_2 = ar_candidate_prefixes.item_index_2

),

ar_triple_counts as (

    select
        ar_triples.item_index_1,
        ar_triples.item_index_2,
        ar_triples.item_index_3,
        count(*) as triple_transactions
    from (
        select
            item_index_1,
            item_index_2,
            unnest(list_filter(item_indexes, lambda other: other > item_index_2)) as item_index_3
        from ar_prefix_occurrences
    ) as ar_triples
    semi join ar_candidate_triples
        on ar_triples.item_index_1 = ar_candidate_triples.item_index_1
        and ar_triples.item_index_2 = ar_candidate_triples.item_index_2
        and ar_triples.item_index_3 = ar_candidate_triples.item_index_3
    group by ar_triples.item_index_1, ar_triples.item_index_2, ar_triples.item_index_3

),

ar_frequent_triples as (

    {{ ecommerce_segmentation.association_rules_frequent(
        'ar_triple_counts', ['item_index_1', 'item_index_2', 'item_index_3'], 'triple_transactions', min_support_sql) }}

),
{%- endif %}

{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


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

