{#
    Spark version of raw_record_json (macros/staging/quarantine.sql): the
    contract columns of a raw row as JSON text, with null fields kept
    ("c":null) as DuckDB's to_json(struct_pack(...)) writes them. Spark's
    to_json drops null fields unless ignoreNullFields is false; without this
    the raw_record text, and so quarantine_id (its hash), differs between the
    engines.
#}
{% macro spark__raw_record_json(table_name) -%}
    to_json(named_struct(
    {%- for column in ecommerce_segmentation.contract_columns(table_name) %}
        '{{ column.name }}', {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
