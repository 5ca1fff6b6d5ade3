{#
    one_distinct_value: the column holds at most one distinct non-null value
    over the whole model (e.g. every association rule was mined from the same
    number of transactions). Fails with one row per value when there are
    several.

        - name: total_transactions
          data_tests: [one_distinct_value]
#}
{% test one_distinct_value(model, column_name) %}

with distinct_values as (

    select distinct {{ column_name }} as column_value
    from {{ model }}
    where {{ column_name }} is not null

)

select column_value
from distinct_values
where (select count(*) from distinct_values) > 1

{% endtest %}
