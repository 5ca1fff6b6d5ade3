{#
    accepted_values_in_new_loads: every non-null value of `column_name` is
    one of `values`, like dbt's accepted_values (quote: true compares them as
    text literals, false as written). On an incremental build
    (new_loads_watermark, macros/generic_tests/unique_in_new_loads.sql) it
    judges only the rows of the loads above the watermark its last pass
    recorded: a row's value is judged alone, and the rows of older loads
    passed before. load_column (default _load_id) names the column that
    numbers the rows' loads; a model that rewrites rows of older loads
    numbers the runs that wrote them instead (int_sessions_stitched's
    _run_id). Without a watermark, on --full-refresh, on Spark and when the
    raw table is not loaded incrementally, every row. Same failing rows as
    accepted_values: each value outside the list and how often it occurs.

        - name: traffic_source
          data_tests:
            - accepted_values_in_new_loads:
                arguments:
                  values: [organic_search, paid_search, direct]
                  new_loads_of: sessions
#}
{% test accepted_values_in_new_loads(model, column_name, values, new_loads_of, load_column='_load_id', quote=true) %}

{%- set watermark = ecommerce_segmentation.new_loads_watermark(
    'accepted_values_in_new_loads', model, column_name, new_loads_of) %}
{%- set accepted = [] %}
{%- for value in values %}
    {%- do accepted.append(("'" ~ (value | string).replace("'", "''") ~ "'") if quote else (value | string)) %}
{%- endfor %}

select
    {{ column_name }} as value_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} not in ({{ accepted | join(', ') }})
{%- if watermark is not none %}
    and {{ load_column }} > {{ watermark }}
{%- endif %}
group by {{ column_name }}

{% endtest %}
