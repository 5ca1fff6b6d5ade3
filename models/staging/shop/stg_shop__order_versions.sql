{#- Every delivered version of an order, in delivery order (load, file): an order
    is an entity, re-exported when its status changes; stg_shop__orders holds the
    latest version. One row per valid base_shop__orders row: version_number 1, 2,
    ... in delivery order, is_latest for the version staged in stg_shop__orders,
    superseded_in_file = the file of the next version (null for the latest). -#}
with delivered as (

    select * from {{ ref('base_shop__orders') }}
    where quarantine_reason is null

),

numbered as (

    select
        order_id,
        coalesce(status, 'delivered') as order_status,
        customer_id,
        ordered_at,
        _source_file as delivered_in_file,
        _load_id,
        row_number() over (
            partition by order_id
            order by {{ delivery_order() }}
        ) as version_number,
        lead(_source_file) over (
            partition by order_id
            order by {{ delivery_order() }}
        ) as superseded_in_file
    from delivered

),

final as (

    select
        {{ dbt.concat(['order_id', "'-'", 'cast(version_number as ' ~ dbt.type_string() ~ ')']) }} as order_version_id,
        order_id,
        cast(version_number as {{ dbt.type_int() }}) as version_number,
        order_status,
        customer_id,
        ordered_at,
        delivered_in_file,
        superseded_in_file,
        superseded_in_file is null as is_latest,
        _load_id
    from numbered

)

select * from final
