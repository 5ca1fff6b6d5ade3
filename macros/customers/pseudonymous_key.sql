{#
    pseudonymous_key(expression): a stable pseudonymous key for a personal
    identifier (e.g. customer_id): md5 of '<salt>|<value>' via dbt.hash, so
    BI users can join and count without seeing the identifier itself, and a
    key cannot be reversed by hashing guessed ids without the salt.

    The salt comes from the environment variable PSEUDONYMISATION_SALT
    (macro secret_salt). Changing the salt changes every key.
#}
{% macro pseudonymous_key(expression) %}
    {%- set salt = secret_salt(['PSEUDONYMISATION_SALT']) -%}
    {{- dbt.hash(dbt.concat(["'" ~ salt ~ "|'", expression])) -}}
{% endmacro %}


{#
    secret_salt(env_names): the value of the first of these environment
    variables that is set and non-empty.

    When none is set, the public development salt 'ecomseg-dev-only-salt'
    (it is in this file, so it protects nothing) is used, but only on a
    development target: one named in var('development_targets'), default
    the two targets of profiles.yml, duckdb and spark, which build the local
    warehouse and the test cluster. On any other target (e.g. the `prod`
    target of profiles.yml) the build stops with an error that says which
    variable to set. validate.py also warns when marts carry keys made with
    the development salt.

    A salt may not contain quotes or backslashes: it is inlined as an SQL
    literal, whose escaping differs between engines.
#}
{% macro secret_salt(env_names) %}
    {%- set ns = namespace(salt='') -%}
    {%- for name in env_names if not ns.salt -%}
        {%- set ns.salt = env_var(name, '') -%}
    {%- endfor -%}
    {%- if not ns.salt -%}
        {%- set development_targets = var('development_targets') -%}
        {%- if target.name not in development_targets and execute -%}
            {{ exceptions.raise_compiler_error(
                (env_names | join(' / ')) ~ " is not set, and target '" ~ target.name
                ~ "' is not a development target (var development_targets: " ~ (development_targets | join(', '))
                ~ "), so the public development salt is refused. Set a secret salt, e.g. export "
                ~ env_names[0] ~ "=\"$(python -c 'import secrets; print(secrets.token_hex(16))')\", "
                ~ "and keep it: changing it changes every pseudonymous key (docs/privacy.md).") }}
        {%- endif -%}
        {%- set ns.salt = 'ecomseg-dev-only-salt' -%}
    {%- endif -%}
    {%- if "'" in ns.salt or '\\' in ns.salt -%}
        {{ exceptions.raise_compiler_error((env_names | join(' / ')) ~ " must contain no quote or backslash") }}
    {%- endif -%}
    {{ return(ns.salt) }}
{% endmacro %}
