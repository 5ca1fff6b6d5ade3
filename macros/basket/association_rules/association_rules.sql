{#
    association_rules: exact association rules (apriori) computed in the
    warehouse from any relation of (transaction, item) rows: products,
    categories or brands of orders, or anything else. Arguments, output
    columns and definitions: macros/_macros.yml and docs/association-rules.md.

    Returns one select statement (it starts with `with`: use it as the body
    of a CTE, `rules as ( {{ association_rules(...) }} )`), one row per rule
    A -> C, the metrics of mlxtend.frequent_patterns.association_rules.

    The macros of this folder, one step each:
      association_rules.sql              this file: the lines as the input (dispatched)
      association_rules_from_baskets.sql the same rules from stored, integer-coded baskets (dispatched)
      arguments.sql                      argument checks, once for every version
      apriori.sql                        the shared apriori steps: support filter, candidate triples
      portable_levels.sql, portable_triples.sql
                                         counting levels 1-2 and 3 in portable SQL (Spark runs it)
      duckdb_levels.sql, duckdb_triples.sql
                                         counting levels 1-2 and 3 in DuckDB lists (far fewer passes)
      rule_step.sql, metrics.sql         the rules and their metrics from the frequent itemsets
    Each engine's variant only turns its input into the shape its counting
    levels read; everything else is shared. Inner CTE names carry the prefix
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


{#- Portable (Spark): one row per (transaction, item), then the portable levels. -#}
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
        {{- ecommerce_segmentation.shared_cte_condition() }}

),

{{ ecommerce_segmentation.association_rules_portable_levels(args, none) }}
{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}


{#-
    DuckDB: items get dense integer codes once (a distinct over the item
    column only, a few thousand rows), then ONE hash aggregation by
    transaction builds each basket as a list of item codes (duplicates
    removed in the list); nothing else is keyed by the (long, text)
    transaction id, and N is the number of baskets. The DuckDB levels work
    on these integer lists.
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
