{#
    pseudonymous_key(expression): a stable pseudonymous key for a personal
    identifier (e.g. customer_id): md5 of '<salt>|<value>' via dbt.hash, so
    BI users can join and count without seeing the identifier itself, and a
    key cannot be reversed by hashing guessed ids without the salt.

    The salt comes from the environment variable PSEUDONYMISATION_SALT. The
    fallback 'ecomseg-dev-only-salt' is public (it is in this file) and only
    for development and tests: set a secret salt in production. Changing the
    salt changes every key. The salt may not contain quotes or backslashes
    (it is inlined as an SQL literal, which would differ between engines).
#}
{% macro pseudonymous_key(expression) %}
    {%- set salt = env_var('PSEUDONYMISATION_SALT', 'ecomseg-dev-only-salt') -%}
    {%- if salt | length == 0 or "'" in salt or '\\' in salt -%}
        {{ exceptions.raise_compiler_error("PSEUDONYMISATION_SALT must be non-empty and contain no quote or backslash") }}
    {%- endif -%}
    {{- dbt.hash(dbt.concat(["'" ~ salt ~ "|'", expression])) -}}
{% endmacro %}
