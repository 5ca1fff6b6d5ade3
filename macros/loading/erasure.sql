{% macro load_erasure_list(raw_dir, raw_schema) %}
    {{- return(adapter.dispatch('load_erasure_list', 'ecommerce_segmentation')(raw_dir, raw_schema)) -}}
{% endmacro %}


{#
    The erasure list (right to be forgotten, ecomseg.gdpr): copies
    <erasure_dir>/erasure_list.csv into <raw_schema>._erasure_list (kind,
    value_hash: salted SHA-256 of an identifier, no personal data) and returns
    {'salt': ..., 'rows': n}, or none when there is no list. Stops the run
    when the list was written with another salt: its hashes would match
    nothing and erased customers would come back.
#}
{% macro duckdb__load_erasure_list(raw_dir, raw_schema) %}
    {%- set configured = (var('erasure_dir', '') or '') | string | trim -%}
    {%- set erasure_dir = configured.rstrip('/') if configured not in ('', 'none', 'None') else raw_dir ~ '/_erasure' -%}
    {%- set list_path = erasure_dir ~ '/erasure_list.csv' -%}
    {%- set quoted_path = list_path | replace("'", "''") -%}
    {%- do run_query('drop table if exists ' ~ raw_schema ~ '._erasure_list') -%}
    {%- if run_query("select count(*) from glob('" ~ quoted_path ~ "')").columns[0].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set salt = ecommerce_segmentation.erasure_salt() -%}
    {%- set fingerprint = ecommerce_segmentation.erasure_salt_fingerprint(salt) -%}
    {%- do run_query(
        "create table " ~ raw_schema ~ "._erasure_list as select kind, value_hash, salt_fingerprint "
        ~ "from read_csv('" ~ quoted_path ~ "', header = true, auto_detect = false, columns = "
        ~ "{'kind': 'varchar', 'value_hash': 'varchar', 'erasure_id': 'varchar', 'salt_fingerprint': 'varchar'})") -%}
    {{ return(ecommerce_segmentation.checked_erasure_list(raw_schema, list_path, salt, fingerprint)) }}
{% endmacro %}


{#
    The erasure list on Spark, as duckdb__load_erasure_list: copies
    <erasure_dir>/erasure_list.csv into <raw_schema>._erasure_list and returns
    {'salt', 'rows', 'path'}, or none when there is no list; stops the run
    when the list was written with another salt.
#}
{% macro spark__load_erasure_list(raw_dir, raw_schema) %}
    {%- set configured = (var('erasure_dir', '') or '') | string | trim -%}
    {%- set erasure_dir = configured.rstrip('/') if configured not in ('', 'none', 'None') else raw_dir ~ '/_erasure' -%}
    {%- set list_path = erasure_dir ~ '/erasure_list.csv' -%}
    {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '._erasure_list') -%}
    {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '._erasure_list__file') -%}
    {%- set present = ecommerce_segmentation.spark_file_size(list_path, raw_schema) is not none -%}
    {%- if not present -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set salt = ecommerce_segmentation.erasure_salt() -%}
    {%- set fingerprint = ecommerce_segmentation.erasure_salt_fingerprint(salt) -%}
    {%- set quoted_path = list_path | replace('\\', '\\\\') | replace("'", "\\'") -%}
    {%- do adapter.execute(
        "create table " ~ raw_schema ~ "._erasure_list__file (kind string, value_hash string, erasure_id string, "
        ~ "salt_fingerprint string) using csv options (path '" ~ quoted_path ~ "', header 'true')") -%}
    {%- do adapter.execute(
        "create table " ~ raw_schema ~ "._erasure_list using parquet as select kind, value_hash, salt_fingerprint from "
        ~ raw_schema ~ "._erasure_list__file") -%}
    {%- do adapter.execute('drop table if exists ' ~ raw_schema ~ '._erasure_list__file') -%}
    {{ return(ecommerce_segmentation.checked_erasure_list(raw_schema, list_path, salt, fingerprint)) }}
{% endmacro %}


{#
    The SQL condition that is true for a raw row of an erased customer, or
    '' when nothing is erased. var('erasure_identifiers') says, per table,
    which columns identify a person and whether they always do ("always") or
    only on rows without a customer_id ("anonymous": a visitor's or
    session's rows before the login). The hash matches ecomseg.gdpr.
#}
{% macro erasure_predicate(table_name, columns, erasure, raw_schema) %}
    {%- if erasure is none or erasure.rows == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rules = (var('erasure_identifiers', {}) or {}).get(table_name, {}) or {} -%}
    {%- set names = columns | map(attribute='name') | list -%}
    {%- set always = [] -%}
    {%- set anonymous = [] -%}
    {%- for column, scope in rules.items() if column in names -%}
        {%- set term = "coalesce(" ~ ecommerce_segmentation.erasure_hash_sql(column, erasure.salt, column)
            ~ " in (\n    select erasure_list.value_hash\n    from " ~ raw_schema ~ "._erasure_list as erasure_list"
            ~ "\n    where erasure_list.kind = '" ~ column ~ "'\n), false)" -%}
        {%- if scope == 'anonymous' and 'customer_id' in names -%}
            {%- do anonymous.append(term) -%}
        {%- else -%}
            {%- do always.append(term) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if anonymous -%}
        {%- do always.append("(" ~ ecommerce_segmentation.clean_text('customer_id') ~ " is null and (" ~ (anonymous | join(' or ')) ~ "))") -%}
    {%- endif -%}
    {{ return(always | join('\n    or ')) }}
{% endmacro %}


{#
    The salt of the erasure list: env ERASURE_SALT, else PSEUDONYMISATION_SALT,
    else the public development salt on a development target only (macro
    secret_salt).
#}
{% macro erasure_salt() %}
    {{ return(secret_salt(['ERASURE_SALT', 'PSEUDONYMISATION_SALT'])) }}
{% endmacro %}


{#
    checked_erasure_list: after an engine's loader has read the erasure list
    into <raw_schema>._erasure_list, stop the run when a row was written with
    another salt (its hashes would match nothing), else describe the list.
    Shared by the DuckDB and the Spark loader.
#}
{% macro checked_erasure_list(raw_schema, list_path, salt, fingerprint) %}
    {%- set other = run_query(
        "select count(*) from " ~ raw_schema ~ "._erasure_list where salt_fingerprint <> '" ~ fingerprint ~ "'"
        ).columns[0].values()[0] -%}
    {%- if other > 0 -%}
        {{ exceptions.raise_compiler_error(
            "The erasure list " ~ list_path ~ " was written with a different salt than the one set now "
            ~ "(ERASURE_SALT, else PSEUDONYMISATION_SALT): its hashes would match nothing and erased "
            ~ "customers would come back. Set the salt the list was written with (docs/privacy.md).") }}
    {%- endif -%}
    {%- set rows = run_query('select count(*) from ' ~ raw_schema ~ '._erasure_list').columns[0].values()[0] -%}
    {{ return({'salt': salt, 'rows': rows, 'path': list_path}) }}
{% endmacro %}


{# md5('ecomseg-erasure-salt|<salt>'), first 16 hex digits: tells two salts apart without revealing one. #}
{% macro erasure_salt_fingerprint(salt) %}
    {{ return(local_md5('ecomseg-erasure-salt|' ~ salt)[:16]) }}
{% endmacro %}


{#
    SQL for sha256('<salt>|<kind>|<value>') as lower-case hex, the value
    normalised by clean_text (the contract's text normalisation, as
    ecomseg.gdpr.clean / ecomseg.contract.normalise_text); null for a value
    that normalises to null. Must equal ecomseg.gdpr.value_hash of the
    normalised value.
#}
{% macro erasure_hash_sql(expression, salt, kind) %}
    {{- return(adapter.dispatch('erasure_hash_sql', 'ecommerce_segmentation')(expression, salt, kind)) -}}
{% endmacro %}


{% macro default__erasure_hash_sql(expression, salt, kind) %}
    {{- return("sha2('" ~ salt ~ "|" ~ kind ~ "|' || " ~ ecommerce_segmentation.clean_text(expression) ~ ", 256)") -}}
{% endmacro %}


{% macro duckdb__erasure_hash_sql(expression, salt, kind) %}
    {{- return("sha256('" ~ salt ~ "|" ~ kind ~ "|' || " ~ ecommerce_segmentation.clean_text(expression) ~ ")") -}}
{% endmacro %}
