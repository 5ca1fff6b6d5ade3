{#-
    One row per person and product viewed repeatedly without being bought
    (int_visitor_product_views: is_repeated_view - at least
    var('repeated_view_min_views') views over at least
    var('repeated_view_min_sessions') sessions - and no purchase of the
    product after the first view, up to the end of the as-of date), with the
    product's current name, category and list price. docs/funnel.md.
-#}
with product_views as (

    select * from {{ ref('int_visitor_product_views') }}
    where is_repeated_view
        and not is_bought_after_view

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

keyed as (

    select
        {{ pseudonymous_key('person_id') }} as person_key,
        person_type,
        customer_id,
        product_id,
        view_count,
        session_count,
        first_viewed_at,
        last_viewed_at
    from product_views

),

final as (

    select
        cast(
            {{ dbt.hash(dbt.concat(['keyed.person_key', "'|'", 'keyed.product_id'])) }}
            as {{ dbt.type_string() }}
        ) as repeated_view_key,
        cast(keyed.person_key as {{ dbt.type_string() }}) as person_key,
        cast(keyed.person_type as {{ dbt.type_string() }}) as person_type,
        cast(keyed.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(keyed.product_id as {{ dbt.type_string() }}) as product_id,
        cast(products.product_name as {{ dbt.type_string() }}) as product_name,
        cast(products.category as {{ dbt.type_string() }}) as category,
        cast(round(products.list_price, 2) as decimal(18, 2)) as list_price,
        cast(keyed.view_count as {{ dbt.type_bigint() }}) as view_count,
        cast(keyed.session_count as {{ dbt.type_bigint() }}) as session_count,
        cast(keyed.first_viewed_at as {{ dbt.type_timestamp() }}) as first_viewed_at,
        cast(keyed.last_viewed_at as {{ dbt.type_timestamp() }}) as last_viewed_at,
        cast({{ shop_date('keyed.last_viewed_at') }} as date) as last_viewed_date,
        cast(as_of.as_of_date as date) as as_of_date
    from keyed
    cross join as_of
    left join products
        on keyed.product_id = products.product_id

)

select * from final
