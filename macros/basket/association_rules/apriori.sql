{#-
    The apriori steps shared by every engine's counting levels.
-#}


{#-
    The body of a frequent-itemset CTE, for every engine's version: the rows
    of counts_cte (key_columns and count_column, transactions holding the
    itemset) whose support, count_column / ar_transaction_total, is at least
    min_support_sql.
-#}
{% macro association_rules_frequent(counts_cte, key_columns, count_column, min_support_sql) -%}
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
    The body of the level 3 candidate CTE (apriori-gen), for every engine's
    version: {a, b, c} with a < b < c whose three sub-pairs {a, b}, {a, c}
    and {b, c} are all in pairs_cte, a frequent-pair CTE with the columns
    <key>_1 < <key>_2 (key: item_index or item_code). Columns <key>_1,
    <key>_2, <key>_3.
-#}
{% macro association_rules_candidate_triples(pairs_cte, key) -%}
    select
        pair_ab.{{ key }}_1,
        pair_ab.{{ key }}_2,
        pair_ac.{{ key }}_2 as {{ key }}_3
    from {{ pairs_cte }} as pair_ab
    inner join {{ pairs_cte }} as pair_ac
        on pair_ab.{{ key }}_1 = pair_ac.{{ key }}_1
        and pair_ab.{{ key }}_2 < pair_ac.{{ key }}_2
    inner join {{ pairs_cte }} as pair_bc
        on pair_ab.{{ key }}_2 = pair_bc.{{ key }}_1
        and pair_ac.{{ key }}_2 = pair_bc.{{ key }}_2
{%- endmacro %}
