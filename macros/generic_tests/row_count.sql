{#
    row_count: the number of rows of `model` compared with a number: the rows
    of `compare_model` (or compare_expression over it, e.g.
    'count(distinct customer_id)'), or a fixed `value`. comparison 'equal'
    (default), 'at_least' or 'at_most'. With `where` in the test's config only the
    matching rows of `model` count. Fails with one row (both counts).

        data_tests:
          - row_count:
              arguments:
                compare_model: ref('stg_shop__orders')
          - row_count:
              arguments: {value: 1}
#}
{% test row_count(model, compare_model=none, compare_expression='count(*)', value=none, comparison='equal') %}

{%- if (compare_model is none) == (value is none) %}
    {{ exceptions.raise_compiler_error("row_count on " ~ model ~ ": give compare_model or value, not both") }}
{%- endif %}
{%- if comparison not in ('equal', 'at_least', 'at_most') %}
    {{ exceptions.raise_compiler_error("row_count on " ~ model ~ ": comparison is 'equal', 'at_least' or 'at_most', not " ~ comparison) }}
{%- endif %}

with counts as (

    select
        (select count(*) from {{ model }}) as model_rows,
        {%- if compare_model is not none %}
        (select {{ compare_expression }} from {{ compare_model }}) as expected_rows
        {%- else %}
        {{ value }} as expected_rows
        {%- endif %}

)

select
    model_rows,
    expected_rows
from counts
where model_rows {{ {'equal': '<>', 'at_least': '<', 'at_most': '>'}[comparison] }} expected_rows

{% endtest %}
