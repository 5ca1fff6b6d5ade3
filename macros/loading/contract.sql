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
    {%- if 'sources' not in graph -%}
        {#- a dbt unit test: its graph holds no sources (macros/staging/contract_snapshot.sql) -#}
        {{ return(ecommerce_segmentation.contract_snapshot_node(table_name)) }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'shop' and node.name == table_name -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("The raw data contract has no table '" ~ table_name ~ "'") }}
{% endmacro %}


{#
    text_normalisation(): the contract's one definition of text clean-up
    (source-level meta.text_normalisation of _shop__sources.yml), as
    {'trim_code_points': [int, ...], 'null_tokens': [lower-case text, ...]}.
    The dbt var null_tokens, when set (a list, or a comma-separated text),
    replaces the contract's default null tokens. Used by clean_text (macros/cross_db/try_cast.sql);
    ecomseg.contract.normalise_text reads the same meta. At parse time, and
    in dbt unit tests (dbt compiles them against a graph without sources:
    the contract is not visible there), it returns an empty definition, and
    clean_text is then a plain trim with empty text as null: unit tests
    check a model's logic on plain fixture values; the normalisation itself
    is tested by tests/python/test_text_and_timestamps.py.
#}
{% macro text_normalisation() %}
    {%- if not execute or 'sources' not in graph -%}
        {{ return({'trim_code_points': [], 'null_tokens': []}) }}
    {%- endif -%}
    {%- set found = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'shop' and not found -%}
        {%- do found.append((node.source_meta or {}).get('text_normalisation')) -%}
    {%- endfor -%}
    {%- if not found or not found[0] -%}
        {{ exceptions.raise_compiler_error(
            "The raw data contract (source 'shop') has no meta.text_normalisation: see docs/raw-data-contract.md") }}
    {%- endif -%}
    {%- set definition = found[0] -%}
    {%- set code_points = [] -%}
    {%- for item in definition.get('trim_characters', []) -%}
        {%- set bounds = (item | string).split('-') -%}
        {%- for code_point in range(bounds[0] | int(base=16), (bounds[-1] | int(base=16)) + 1) -%}
            {%- do code_points.append(code_point) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set configured = var('null_tokens', none) -%}
    {%- if configured is string -%}
        {#- a comma-separated text, e.g. --vars '{null_tokens: "NULL,-"}' -#}
        {%- set configured = configured.split(',') | map('trim') | list -%}
    {%- endif -%}
    {%- set tokens = [] -%}
    {%- for token in (definition.get('null_tokens', []) if configured is none else configured) -%}
        {%- if (token | string | lower) not in tokens -%}
            {%- do tokens.append(token | string | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'trim_code_points': code_points, 'null_tokens': tokens}) }}
{% endmacro %}
