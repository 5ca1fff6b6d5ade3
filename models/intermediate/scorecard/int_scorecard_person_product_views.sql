{#-
    One row per person, product and day in shop time on which the person
    viewed the product (view_count > 0), from int_session_product_events;
    the scorecard's "most views of one product" sums these up to each
    snapshot date.
-#}
with session_products as (

    select * from {{ ref('int_session_product_events') }}
    where view_count > 0

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}
    where started_at is not null

),

person_product_days as (

    select
        {{ person_id('sessions.customer_id', 'sessions.visitor_id') }} as person_id,
        session_products.product_id,
        sessions.session_date as view_date,
        sum(session_products.view_count) as view_count
    from session_products
    inner join sessions
        on session_products.session_id = sessions.session_id
    group by 1, 2, 3

),

final as (

    select
        cast(
            {{ dbt.concat(['person_id', "'|'", 'product_id', "'|'", 'cast(view_date as ' ~ dbt.type_string() ~ ')']) }}
            as {{ dbt.type_string() }}
        ) as person_product_day_id,
        person_id,
        product_id,
        view_date,
        cast(view_count as bigint) as view_count
    from person_product_days
    where person_id is not null

)

select * from final
