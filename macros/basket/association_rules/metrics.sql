{#-
    The metrics of the rules and the confidence and lift filters, for every
    engine's version: expects ar_rule_counts (one row per candidate rule:
    its items, antecedent_size and the four counts). Renders the remaining
    CTEs and the final select. The expressions are evaluated in mlxtend's
    order (confidence as a ratio of the two double supports, lift from
    confidence), so the values equal mlxtend's to the last bit or two;
    every division is guarded (nullif), so Spark's ANSI mode never sees a
    division by zero.
-#}
{% macro association_rules_metrics(args) %}
{%- set min_confidence_sql = args.min_confidence_sql -%}
{%- set min_lift_sql = args.min_lift_sql -%}
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
