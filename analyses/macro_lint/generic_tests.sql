{#- Lint harness of macros/generic_tests/ (analyses/macro_lint/README.md): each generic test's query. -#}
with not_empty_failures as (

    {{- test_not_empty(ref('dim_customers')) }}

),

contract_values_failures as (

    {{- test_contract_values(ref('fct_orders'), 'order_status', 'orders', 'status') }}

),

values_in_range_failures as (

    {{- test_values_in_range(ref('dim_customers'), 'order_count', min_value=0, max_value=1000) }}

),

sums_reconcile_failures as (

    {{- test_sums_reconcile(ref('fct_orders'), 'net_revenue', ref('fct_order_items'), 'net_revenue',
        group_by='order_id', round_to=2) }}

),

rows_reconcile_failures as (

    {{- test_rows_reconcile(source('shop', 'orders'), ref('stg_shop__orders'), ref('quarantine_shop__orders'),
        table_name='orders', superseded=ref('stg_shop__order_versions'),
        superseded_where='not superseded_rows.is_latest') }}

),

accepted_values_failures as (

    {{- test_accepted_values_in_new_loads(ref('int_sessions_stitched'), 'identified_by',
        ['session', 'event', 'order', 'visitor'], 'events', load_column='_run_id') }}

),

relationships_failures as (

    {{- test_relationships_in_new_loads(ref('stg_shop__order_items'), 'order_id', ref('stg_shop__orders'), 'order_id',
        'order_items') }}

),

consent_failures as (

    {{- test_only_consenting_customers(ref('customer_product_recommendations'), 'customer_id',
        consent_model=ref('dim_customers')) }}

),

final as (

    select
        'not_empty' as generic_test,
        count(*) as failures
    from not_empty_failures
    union all
    select
        'contract_values' as generic_test,
        count(*) as failures
    from contract_values_failures
    union all
    select
        'accepted_values_in_new_loads' as generic_test,
        count(*) as failures
    from accepted_values_failures
    union all
    select
        'values_in_range' as generic_test,
        count(*) as failures
    from values_in_range_failures
    union all
    select
        'sums_reconcile' as generic_test,
        count(*) as failures
    from sums_reconcile_failures
    union all
    select
        'rows_reconcile' as generic_test,
        count(*) as failures
    from rows_reconcile_failures
    union all
    select
        'relationships_in_new_loads' as generic_test,
        count(*) as failures
    from relationships_failures
    union all
    select
        'only_consenting_customers' as generic_test,
        count(*) as failures
    from consent_failures

)

select * from final
