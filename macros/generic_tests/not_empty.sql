{#
    not_empty: the model has at least one row (a mart that silently came out
    empty, e.g. after an upstream filter broke, fails the build). With
    `where` in the test's config it counts only the matching rows. Fails
    with one row (row_count = 0).

        data_tests:
          - not_empty
#}
{% test not_empty(model) %}

with counted as (

    select count(*) as row_count
    from {{ model }}

)

select row_count
from counted
where row_count = 0

{% endtest %}
