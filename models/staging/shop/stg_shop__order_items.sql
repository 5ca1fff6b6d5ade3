{#- Lines without a line_number are numbered after the order's highest given one.
    An order's lines are those of its latest delivery (file, in delivery order) that has lines for it: a
    re-exported order's lines replace the earlier ones. Incremental: the valid lines of the load ids not seen
    yet replace (delete+insert) every line of the orders they hold. -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    pre_hook=["{{ reset_incremental_model('order_items') }}"]) }}
with delivered as (

    select * from {{ ref('base_shop__order_items') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('order_items') }}

),

order_files as (

    {#- coalesce: a unit test's fixture may leave the loader columns empty #}
    select distinct
        order_id,
        coalesce(_load_id, 0) as delivery_load_id,
        coalesce(_source_file, '') as delivery_file
    from delivered

),

latest_deliveries as (

    {#- per order, the latest file (load, path) that delivered lines for it #}
    select
        order_id,
        delivery_load_id,
        delivery_file,
        row_number() over (
            partition by order_id
            order by delivery_load_id desc, delivery_file desc
        ) as delivery_rank
    from order_files

),

base as (

    select delivered.*
    from delivered
    inner join latest_deliveries
        on delivered.order_id = latest_deliveries.order_id
            and coalesce(delivered._load_id, 0) = latest_deliveries.delivery_load_id
            and coalesce(delivered._source_file, '') = latest_deliveries.delivery_file
            and latest_deliveries.delivery_rank = 1

),

typed as (

    select
        order_id,
        line_number as given_line_number,
        product_id,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        unit_price,
        unreadable_columns,
        _load_id
    from base

),

numbered as (

    select
        order_id,
        product_id,
        quantity,
        unit_price,
        coalesce(
            given_line_number,
            coalesce(max(given_line_number) over (partition by order_id), 0)
            + row_number() over (
                partition by order_id, given_line_number is null
                order by product_id, quantity, unit_price
            )
        ) as line_number,
        unreadable_columns,
        _load_id
    from typed

),

final as (

    select
        {{ dbt.concat(['order_id', "'-'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']) }} as order_item_id,
        order_id,
        cast(line_number as {{ dbt.type_int() }}) as line_number,
        product_id,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 6)) as gross_amount,
        unreadable_columns,
        _load_id
    from numbered

)

select * from final
