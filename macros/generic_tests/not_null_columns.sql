{#
    not_null_columns: none of `columns` is null on any row (the not_null test
    of many columns in one query, e.g. a wide table's one column per
    behaviour). Fails with one row per column that has nulls and how many.

        - name: int_scorecard_person_bands
          data_tests:
            - not_null_columns:
                arguments: {columns: [band_visit_count, band_latest_device]}
#}
{% test not_null_columns(model, columns) %}

select
    null_column,
    count(*) as occurrences
from (
    {%- for column in columns %}
        select '{{ column }}' as null_column
        from {{ model }}
        where {{ column }} is null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
) as null_rows
group by null_column

{% endtest %}
