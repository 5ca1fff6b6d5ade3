{#
    sums_reconcile: sum(column_name) over `model` equals
    sum(compare_column) over `compare_model`, exactly (decimals, no
    tolerance). With group_by (a column present in both models) the sums
    must match per key, and a key present on one side only must sum to 0 on
    the other. Fails with one row per mismatch (group key, both sums).
    Example: net revenue in fct_orders = in dim_customers = in
    fct_customer_quarterly_spend. (Moved here from macros/customers/; same
    name and arguments.)
    With round_to (a number of decimals), each side's sum is rounded half up
    to that many decimals before comparing: e.g. order lines keep 6 decimals
    and an order's revenue is their sum rounded to cents (round_to: 2).
#}
{% test sums_reconcile(model, column_name, compare_model, compare_column, group_by=none, round_to=none) %}

{%- set key = group_by if group_by else "'all rows'" %}

with model_sums as (

    select
        {{ key }} as reconcile_key,
        sum({{ column_name }}) as model_sum
    from {{ model }}
    group by {{ key }}

),

compare_sums as (

    select
        {{ key }} as reconcile_key,
        sum({{ compare_column }}) as compare_sum
    from {{ compare_model }}
    group by {{ key }}

),

compared as (

    select
        coalesce(model_sums.reconcile_key, compare_sums.reconcile_key) as reconcile_key,
        {%- if round_to is none %}
        coalesce(model_sums.model_sum, 0) as model_sum,
        coalesce(compare_sums.compare_sum, 0) as compare_sum
        {%- else %}
        round(coalesce(model_sums.model_sum, 0), {{ round_to }}) as model_sum,
        round(coalesce(compare_sums.compare_sum, 0), {{ round_to }}) as compare_sum
        {%- endif %}
    from model_sums
    full outer join compare_sums
        on model_sums.reconcile_key = compare_sums.reconcile_key

)

select
    reconcile_key,
    model_sum,
    compare_sum
from compared
where model_sum <> compare_sum

{% endtest %}
