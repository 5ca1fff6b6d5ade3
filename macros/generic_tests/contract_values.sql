{#
    contract_values: a staged or mart column honours the value rule the raw
    data contract (column meta of models/staging/shop/_shop__sources.yml)
    gives the raw column `column` of table `table`, so that rule is written
    once: with meta.accepted_values (or meta.known_values plus
    meta.other_value) every non-null value is one of them
    (macro contract_staged_values); with meta.range every non-null value lies
    within it. Nulls pass (add not_null for them). Fails with one row per
    offending value and how often it occurs. The Great Expectations suites
    re-check it from the same contract (ecomseg.validation).

        - name: order_status
          data_tests:
            - contract_values:
                arguments: {table: orders, column: status}

    new_loads_of (a raw table, optional): the model's rows carry that
    table's `_load_id`; on an incremental build only the rows of loads not
    checked yet are checked (new_loads_watermark,
    macros/generic_tests/unique_in_new_loads.sql): a row's value is judged
    alone, and the rows of older loads passed before.
#}
{% test contract_values(model, column_name, table, column, new_loads_of=none) %}

{%- set rule = [] -%}
{%- if execute -%}
    {%- for item in ecommerce_segmentation.contract_columns(table) if item.name == column -%}
        {%- do rule.append(item) -%}
    {%- endfor -%}
    {%- if not rule -%}
        {{ exceptions.raise_compiler_error("contract_values on " ~ column_name ~ ": the raw data contract has no column "
            ~ table ~ "." ~ column) }}
    {%- endif -%}
{%- endif -%}
{%- set conditions = [] -%}
{%- if rule and (rule[0].accepted_values or rule[0].known_values) -%}
    {%- set quoted = [] -%}
    {%- for value in ecommerce_segmentation.contract_staged_values(table, column) -%}
        {%- do quoted.append("'" ~ (value | string).replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {%- do conditions.append('cast(' ~ column_name ~ ' as ' ~ dbt.type_string() ~ ') not in ('
        ~ quoted | join(', ') ~ ')') -%}
{%- endif -%}
{%- if rule and rule[0].range -%}
    {%- set bounds = rule[0].range -%}
    {%- if bounds.get('min') is not none -%}
        {%- do conditions.append(column_name ~ (' <= ' if bounds.get('min_exclusive', false) else ' < ') ~ bounds.get('min')) -%}
    {%- endif -%}
    {%- if bounds.get('max') is not none -%}
        {%- do conditions.append(column_name ~ (' >= ' if bounds.get('max_exclusive', false) else ' > ') ~ bounds.get('max')) -%}
    {%- endif -%}
{%- endif -%}
{%- if execute and not conditions -%}
    {{ exceptions.raise_compiler_error("contract_values on " ~ column_name ~ ": the raw data contract's " ~ table ~ "."
        ~ column ~ " has no accepted_values, known_values or range") }}
{%- endif %}
{%- set watermark = ecommerce_segmentation.new_loads_watermark('contract_values', model, column_name, new_loads_of) %}

select
    {{ column_name }} as value_outside_contract,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
    {%- if watermark is not none %}
    and _load_id > {{ watermark }}
    {%- endif %}
    and ({{ conditions | join(' or ') if conditions else 'false' }})
group by {{ column_name }}

{% endtest %}
