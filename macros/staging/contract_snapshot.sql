{#
    The contract for dbt unit tests. dbt compiles a unit test against a graph
    of its own that holds no sources, so the contract macros
    (contract_columns, macros/loading/contract.sql) cannot read
    _shop__sources.yml there, and a base_ model (which parses and checks raw
    text by the contract) would compile without a single check. So
    on-run-start (record_contract_snapshot, dbt build and dbt test only:
    the commands that run unit tests) writes the contract's columns (name
    and every rule of contract_columns, as JSON) into
    <raw_schema>._contract_columns, and in a unit test contract_source_node
    reads them back (contract_snapshot_node). The text normalisation is not
    part of it: in unit tests clean_text stays a plain trim with empty text
    as null (macro text_normalisation).
#}
{% macro record_contract_snapshot() %}
    {%- if execute and flags.WHICH in ('build', 'test') -%}
        {%- set relation_name = var('raw_schema') ~ '._contract_columns' -%}
        {%- set rows = [] -%}
        {%- for table_name in ecommerce_segmentation.contract_table_names() | sort -%}
            {%- for column in ecommerce_segmentation.contract_columns(table_name) -%}
                {%- set meta = {} -%}
                {%- for key, value in column.items() if key != 'name' -%}
                    {%- do meta.update({key: value}) -%}
                {%- endfor -%}
                {%- do rows.append('(' ~ ecommerce_segmentation.text_literal(table_name) ~ ', ' ~ loop.index
                    ~ ', ' ~ ecommerce_segmentation.text_literal(column.name)
                    ~ ', ' ~ ecommerce_segmentation.text_literal(tojson(meta)) ~ ')') -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- do adapter.execute('create schema if not exists ' ~ var('raw_schema')) -%}
        {%- do adapter.execute('drop table if exists ' ~ relation_name) -%}
        {%- do adapter.execute('create table ' ~ relation_name
            ~ ' (table_name string, column_position int, column_name string, column_meta string) '
            ~ ecommerce_segmentation.warehouse_identity_table_format()) -%}
        {%- if rows -%}
            {%- do adapter.execute('insert into ' ~ relation_name ~ ' values ' ~ (rows | join(', '))) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#- One contract table as contract_source_node returns it ({columns: {name: {name, meta}}, meta}), from the snapshot. -#}
{% macro contract_snapshot_node(table_name) %}
    {%- set found = run_query('select column_name, column_meta from '
        ~ var('raw_schema') ~ '._contract_columns where table_name = '
        ~ ecommerce_segmentation.text_literal(table_name) ~ ' order by column_position') -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error("The contract snapshot (" ~ var('raw_schema')
            ~ "._contract_columns, written by on-run-start of dbt build / dbt test) has no table '" ~ table_name ~ "'") }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- for row in found -%}
        {%- do columns.update({row[0]: {'name': row[0], 'meta': fromjson(row[1])}}) -%}
    {%- endfor -%}
    {{ return({'columns': columns, 'meta': {}}) }}
{% endmacro %}
