{#
    column_at_most: on every row the column is at most `other_column` of the
    same row (e.g. net_revenue <= gross_revenue, support <= confidence).
    Rows where either is null pass (add not_null for them). Fails with one
    row per offending pair of values and how often it occurs.

        - name: net_revenue
          data_tests:
            - column_at_most:
                arguments: {other_column: gross_revenue}
#}
{% test column_at_most(model, column_name, other_column) %}

select
    {{ column_name }} as column_value,
    {{ other_column }} as other_value,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} > {{ other_column }}
group by {{ column_name }}, {{ other_column }}

{% endtest %}
