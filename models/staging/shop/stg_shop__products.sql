{#- Products are entities: a later file's row of a product (e.g. a new price)
    is a new version, and the latest delivered one (delivery order: load,
    file) is staged here; every delivery is in stg_shop__product_versions. -#}
with delivered as (

    select * from {{ ref('base_shop__products') }}
    where quarantine_reason is null

),

ranked as (

    select
        delivered.*,
        row_number() over (
            partition by delivered.product_id
            order by {{ delivery_order(direction='desc') }}
        ) as version_rank
    from delivered

),

base as (

    {#- the latest delivered version of each product #}
    select * from ranked
    where version_rank = 1

),

final as (

    select
        product_id,
        product_name,
        category,
        brand,
        list_price,
        unreadable_columns
    from base

)

select * from final
