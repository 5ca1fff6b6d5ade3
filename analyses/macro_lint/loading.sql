{#- Lint harness of macros/loading/ (analyses/macro_lint/README.md): every macro that returns SQL
    text, once per variant. The loader's other macros run their statements through run_query or
    adapter.execute at on-run-start (README: "Statements only"). -#}
{%- set dialect = table_dialect(parse_dialect(
    "decimal_separator: ','\nthousands_separator: ' '\ndate_format: '%d.%m.%Y'\n"
    ~ "timestamp_format: '%d.%m.%Y %H:%M'\nnull_tokens: ['-', 'brak']\ndelimiter: ';'\n",
    'analyses/macro_lint/loading.sql'), 'orders') -%}
{%- set columns = contract_columns('orders') -%}
{%- set erasure = {'salt': 'lint-salt', 'rows': 1} -%}
{%- set unreadable = [
    {'rel': 'orders/part-0002.parquet', 'problem': 'not_parquet', 'message': 'not a Parquet file'}] -%}
with raw_orders as (

    select * from {{ source('shop', 'orders') }}

),

erased_orders as (

    select *
    from raw_orders
    where {{ erasure_predicate('orders', columns, erasure, var('raw_schema')) }}

),

sessions_erased as (

    select *
    from {{ source('shop', 'sessions') }}
    where {{ erasure_predicate('sessions', contract_columns('sessions'), erasure, var('raw_schema')) }}

),

unreadable_files as (

    {{ unreadable_file_rows(columns, unreadable, 1) }}

),

no_file as (

    {{ empty_raw_select(columns) }}

),

no_file_portable as (

    {{ ecommerce_segmentation.default__empty_raw_select(columns) }}

),

csv_select_list as (

    select
        {{ duckdb_csv_select_list(['order_id', 'customer_id', 'ordered_at'], columns,
            contract_table_meta('orders'), table_dialect(none, 'orders'), 1) | join(',\n        ') }}
    from (
        select
            order_id as c1,
            customer_id as c2,
            ordered_at as c3,
            _source_file as _src_file,
            _source_line as _src_line
        from raw_orders
    ) as positional_columns

),

expressions as (

    select
        order_id,
        {{ dialect_value('discount_amount', 'decimal', dialect) }} as discount_text,
        {{ dialect_value('ordered_at', 'timestamp', dialect) }} as ordered_at_text,
        {{ ecommerce_segmentation.default__dialect_datetime('ordered_at', ['%d.%m.%Y %H:%M'], '%Y-%m-%dT%H:%M:%S') }}
            as ordered_at_portable,
        {{ dialect_number('discount_amount', dialect) }} as discount_number,
        {{ matches_pattern('order_id', "'^O[0-9]+$'") }} as order_id_matches,
        {{ in_value_list('status', ["'paid'", "'shipped'"]) }} as status_known,
        {{ ecommerce_segmentation.default__in_value_list('status', ["'paid'", "'shipped'"]) }} as status_known_portable,
        {{ erasure_hash_sql('customer_id', 'lint-salt', 'customer_id') }} as customer_hash,
        {{ ecommerce_segmentation.default__erasure_hash_sql('customer_id', 'lint-salt', 'customer_id') }}
            as customer_hash_portable,
        {{ sql_string("O'1") }} as quoted_text,
        {{ ecommerce_segmentation.default__sql_string('O-1') }} as quoted_text_portable,
        {{ text_literal("O'1") }} as literal_text,
        {{ ecommerce_segmentation.default__text_literal('O-1') }} as literal_text_portable,
        {{ spark_null_tokens('shipping_city', dialect) }} as city_without_null_tokens
    from raw_orders

),

spark_paths as (

    {#- Spark's hidden _metadata column: a struct field -#}
    select {{ spark_relative_path_sql(var('raw_data_dir')) }} as relative_path
    from raw_orders

),

final as (

    select
        'erased_orders' as harness_part,
        count(*) as row_count
    from erased_orders
    union all
    select
        'sessions_erased' as harness_part,
        count(*) as row_count
    from sessions_erased
    union all
    select
        'unreadable_files' as harness_part,
        count(*) as row_count
    from unreadable_files
    union all
    select
        'no_file' as harness_part,
        count(*) as row_count
    from no_file
    union all
    select
        'no_file_portable' as harness_part,
        count(*) as row_count
    from no_file_portable
    union all
    select
        'csv_select_list' as harness_part,
        count(*) as row_count
    from csv_select_list
    union all
    select
        'expressions' as harness_part,
        count(*) as row_count
    from expressions
    union all
    select
        'spark_paths' as harness_part,
        count(*) as row_count
    from spark_paths

)

select * from final
