{#
    The raw data contract as the sources file (_shop__sources.yml) declares it.
    Returns a list of {name, contract_type, required, optional_column, pii,
    accepted_values, length, range, known_values, other_value} for one table
    of the `shop` source, in contract order (the value rules are none when the
    column has none; range is {min, max, min_exclusive, max_exclusive}; the
    header of the sources file defines them). Available only at execution
    time (graph is empty while dbt parses); at parse time it returns an empty
    list.
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
            'accepted_values': meta.get('accepted_values'),
            'length': meta.get('length'),
            'range': meta.get('range'),
            'known_values': meta.get('known_values'),
            'other_value': meta.get('other_value'),
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
        {#- a dbt unit test: its graph holds no sources; the contract recorded by on-run-start (macros/staging/contract_snapshot.sql) -#}
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


{#
    contract_value_checks(table_name): the per-column value rules of the
    contract (column meta range, accepted_values, length; header of
    _shop__sources.yml) as checks for contract_violation, a list of
    {'when': <SQL condition>, 'reason': <reason>}: out_of_range:<column> when
    the parsed number (parsed__<column>, macro parsed_columns) lies outside
    meta.range; invalid_value:<column> when the normalised text (clean_text),
    lower-cased, is not in meta.accepted_values, or its length is not
    meta.length. An empty or unparseable value never matches (the type rules
    judge it). Order (the first failing check names the row's reason): the
    rules of required columns, then those of the other columns; within each,
    ranges before value rules; each in contract column order
    (ecomseg.contract.value_checks lists the same order for Python).
    contract_violation appends them after the type and date checks and before
    a model's own extra_checks (cross-column and cross-table rules).
#}
{% macro contract_value_checks(table_name) %}
    {%- set columns = ecommerce_segmentation.contract_columns(table_name) -%}
    {%- set checks = [] -%}
    {%- for required in [true, false] -%}
        {%- set group = columns | selectattr('required', 'equalto', required) | list -%}
        {%- for column in group if column.range -%}
            {%- set parsed = ecommerce_segmentation.parsed_column(column.name) -%}
            {%- set bounds = [] -%}
            {%- if column.range.get('min') is not none -%}
                {%- do bounds.append(parsed ~ (' <= ' if column.range.get('min_exclusive', false) else ' < ')
                    ~ column.range.get('min')) -%}
            {%- endif -%}
            {%- if column.range.get('max') is not none -%}
                {%- do bounds.append(parsed ~ (' >= ' if column.range.get('max_exclusive', false) else ' > ')
                    ~ column.range.get('max')) -%}
            {%- endif -%}
            {%- if not bounds -%}
                {{ exceptions.raise_compiler_error("The raw data contract's " ~ table_name ~ "." ~ column.name
                    ~ " has a meta.range without min or max") }}
            {%- endif -%}
            {%- do checks.append({'when': '(' ~ bounds | join(' or ') ~ ')',
                                  'reason': 'out_of_range:' ~ column.name}) -%}
        {%- endfor -%}
        {%- for column in group if column.accepted_values or column.length -%}
            {#- the base_ models' cleaned__<column> (cleaned_columns): normalised once -#}
            {%- set text = ecommerce_segmentation.cleaned_column(column.name) -%}
            {%- if column.accepted_values -%}
                {%- set quoted = [] -%}
                {%- for value in column.accepted_values -%}
                    {%- do quoted.append("'" ~ (value | string | lower).replace("'", "''") ~ "'") -%}
                {%- endfor -%}
                {%- do checks.append({'when': 'not ' ~ ecommerce_segmentation.in_value_list('lower(' ~ text ~ ')', quoted),
                                      'reason': 'invalid_value:' ~ column.name}) -%}
            {%- endif -%}
            {%- if column.length -%}
                {%- do checks.append({'when': 'length(' ~ text ~ ') <> ' ~ (column.length | int),
                                      'reason': 'invalid_value:' ~ column.name}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(checks) }}
{% endmacro %}


{#
    in_value_list(expression, literals): `expression in (<literals>)`, null
    when the expression is null. DuckDB plans an IN list of more than a few
    constants as a mark join, one per check and row (measured: about a
    fifth of base_shop__events' projection time on 4.9M events, for the one
    list of event types); list_contains on a constant list is a plain
    function there, with the same null result.
#}
{% macro in_value_list(expression, literals) %}
    {{- return(adapter.dispatch('in_value_list', 'ecommerce_segmentation')(expression, literals)) -}}
{% endmacro %}

{% macro default__in_value_list(expression, literals) -%}
    {{ expression }} in ({{ literals | join(', ') }})
{%- endmacro %}

{% macro duckdb__in_value_list(expression, literals) -%}
    list_contains([{{ literals | join(', ') }}], {{ expression }})
{%- endmacro %}


{#
    contract_staged_values(table_name, column_name): every non-null value the
    staged (lower-cased) column can hold: meta.accepted_values, or
    meta.known_values plus meta.other_value (ecomseg.contract.staged_values).
    Empty at parse time. Used by the generic test contract_values.
#}
{% macro contract_staged_values(table_name, column_name) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- for column in ecommerce_segmentation.contract_columns(table_name) if column.name == column_name -%}
        {%- if column.accepted_values -%}
            {{ return(column.accepted_values | map('string') | list) }}
        {%- elif column.known_values -%}
            {%- set values = column.known_values | map('string') | list -%}
            {%- if column.other_value is not none and (column.other_value | string) not in values -%}
                {%- do values.append(column.other_value | string) -%}
            {%- endif -%}
            {{ return(values) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error("The raw data contract's " ~ table_name ~ "." ~ column_name
            ~ " has neither meta.accepted_values nor meta.known_values") }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("The raw data contract has no column " ~ table_name ~ "." ~ column_name) }}
{% endmacro %}

