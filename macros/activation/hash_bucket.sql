{#
    hash_bucket(expression, buckets): a deterministic, evenly spread bucket
    0 .. buckets - 1 of a text expression, the same on every engine: the
    first 8 hex digits of md5(expression) read as an unsigned integer
    (0 .. 2^32 - 1), modulo buckets. In Python:
    int(hashlib.md5(text.encode()).hexdigest()[:8], 16) % buckets
    (tests/python/test_marketing_actions.py checks DuckDB against it).
    Used for the control groups of the marketing actions: a person's bucket
    for an action type never changes between builds.
#}
{% macro hash_bucket(expression, buckets) %}
    {{- return(adapter.dispatch('hash_bucket', 'ecommerce_segmentation')(expression, buckets)) -}}
{% endmacro %}

{#- Spark (and the portable default): conv() reads the hex digits as base 16. -#}
{% macro default__hash_bucket(expression, buckets) -%}
    (cast(conv(substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 8), 16, 10) as bigint) % {{ buckets }})
{%- endmacro %}

{% macro spark__hash_bucket(expression, buckets) -%}
    {{ ecommerce_segmentation.default__hash_bucket(expression, buckets) }}
{%- endmacro %}

{#- DuckDB: a '0x'-prefixed text casts to an integer as hexadecimal. -#}
{% macro duckdb__hash_bucket(expression, buckets) -%}
    (cast(concat('0x', substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 8)) as bigint) % {{ buckets }})
{%- endmacro %}
