{#
    relationships_in_new_loads: every non-null `column_name` of `model` is a
    `field` of `to`, like dbt's relationships, following the batch as
    unique_in_new_loads does (macros/generic_tests/unique_in_new_loads.sql:
    the watermark in <raw_schema>._checked_loads, recorded by the on-run-end
    hook record_checked_loads when the test passed). On an incremental build
    it checks the rows of the loads above the watermark only: a row checked
    before stays valid, as long as `to` never loses a key (stg_shop__orders:
    an entity keeps its latest valid version; an erased customer's orders go
    with their lines). Otherwise (a first build, --full-refresh, a table not
    loaded incrementally, Spark) every row. Same failing rows as dbt's test:
    the child values without a parent.

        - name: order_id
          data_tests:
            - relationships_in_new_loads:
                arguments: {to: ref('stg_shop__orders'), field: order_id, new_loads_of: order_items}
#}
{% test relationships_in_new_loads(model, column_name, to, field, new_loads_of) %}

{%- set watermark = ecommerce_segmentation.new_loads_watermark('relationships_in_new_loads', model, column_name, new_loads_of) %}

with child as (

    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
    {%- if watermark is not none %}
        and _load_id > {{ watermark }}
    {%- endif %}

),

parent as (

    select {{ field }} as to_field
    from {{ to }}
    {%- if watermark is not none %}
    {#- the same matches; the scan skips the row groups outside the new keys' range #}
    where {{ field }} >= (select min(from_field) from child)
        and {{ field }} <= (select max(from_field) from child)
    {%- endif %}

)

select child.from_field
from child
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null

{% endtest %}
