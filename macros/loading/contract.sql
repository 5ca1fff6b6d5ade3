{#
    The raw data contract as the sources file (_shop__sources.yml) declares it.
    Returns a list of {name, contract_type, required, optional_column, pii}
    for one table of the `shop` source, in contract order. Available only at
    execution time (graph is empty while dbt parses); at parse time it returns
    an empty list.
#}
{% macro contract_columns(table_name) %}
    {%- set node = ecommerce_segmentation.contract_source_node(table_name) -%}
    {%- if node is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set meta = column.meta or {} -%}
        {%- do columns.append({
            'name': column.name,
            'contract_type': meta.get('contract_type', 'text'),
            'required': meta.get('required', false),
            'optional_column': meta.get('optional_column', false),
            'pii': meta.get('pii', false),
        }) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}


{% macro contract_table_meta(table_name) %}
    {%- set node = ecommerce_segmentation.contract_source_node(table_name) -%}
    {{ return({} if node is none else (node.meta or {})) }}
{% endmacro %}


{% macro contract_table_names() %}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() | selectattr('source_name', 'equalto', 'shop') -%}
            {%- do names.append(node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{% endmacro %}


{% macro contract_source_node(table_name) %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'shop' and node.name == table_name -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("The raw data contract has no table '" ~ table_name ~ "'") }}
{% endmacro %}
