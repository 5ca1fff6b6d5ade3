{#
    association_rules_from_baskets: the same rules as association_rules, from
    baskets that are already grouped and integer-coded (int_baskets): one row
    per transaction with the list (DuckDB) / array (Spark) of its distinct
    item codes, and the code dictionary (int_basket_products). Arguments:
    macros/_macros.yml. Every code of a basket must be in items_relation;
    the rules show the dictionary's items, never codes, so they do not
    depend on how codes were assigned. Each engine's variant turns the
    stored lists into the shape its counting levels read (this folder's
    files: association_rules.sql).
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
        {{- ecommerce_segmentation.shared_cte_condition() }}

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
    select {{ item_codes_column }} as item_codes  -- noqa: AL09
    from {{ baskets_relation }}
    where len({{ item_codes_column }}) > 0

),

ar_item_codes as not materialized (

    select
        cast({{ item_column }} as {{ dbt.type_string() }}) as item,
        {{ item_code_column }} as item_code  -- noqa: AL09
    from {{ items_relation }}

),

{{ ecommerce_segmentation.association_rules_duckdb_levels('ar_baskets', 'ar_item_codes', args) }}
{{ ecommerce_segmentation.association_rules_from_itemsets(args) }}
{%- endmacro %}
