{#-
    One row per person and product they viewed (product_view events of
    sessions started up to the end of the as-of date; int_session_product_events
    summed per person, macro person_id over the session's stitched customer
    and visitor): views, sessions with a view, first and last view, whether
    the person bought the product after the first view (a non-cancelled order
    at or after first_viewed_at, up to the end of the as-of date) and whether
    the views are repeated: at least var('repeated_view_min_views') views
    over at least var('repeated_view_min_sessions') sessions.

    first_viewed_at / last_viewed_at: the first / last product event (view,
    cart add or remove) of the product in the person's sessions with a view
    of it (int_session_product_events keeps per session the first and last
    product event, not of each type).
-#}
{%- set min_views = var('repeated_view_min_views') | int %}
{%- set min_sessions = var('repeated_view_min_sessions') | int %}
with session_products as (

    select * from {{ ref('int_session_product_events') }}
    where view_count > 0

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

person_order_items as (

    select * from {{ ref('int_person_order_items') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

session_views as (

    select
        {{ person_id('sessions.customer_id', 'sessions.visitor_id') }} as person_id,
        sessions.customer_id,
        sessions.visitor_id,
        session_products.product_id,
        session_products.view_count,
        session_products.first_event_at,
        session_products.last_event_at
    from session_products
    cross join as_of
    inner join sessions
        on session_products.session_id = sessions.session_id
    where sessions.session_date <= as_of.as_of_date
        and (sessions.customer_id is not null or sessions.visitor_id is not null)

),

person_views as (

    select
        person_id,
        product_id,
        max(customer_id) as customer_id,
        min(visitor_id) as visitor_id,
        sum(view_count) as view_count,
        count(*) as session_count,
        min(first_event_at) as first_viewed_at,
        max(last_event_at) as last_viewed_at
    from session_views
    group by person_id, product_id

),

purchases_after_view as (

    select
        person_views.person_id,
        person_views.product_id,
        min(person_order_items.ordered_at) as bought_after_view_at
    from person_views
    cross join as_of
    inner join person_order_items
        on person_views.person_id = person_order_items.person_id
            and person_views.product_id = person_order_items.product_id
            and person_views.first_viewed_at <= person_order_items.ordered_at
            and as_of.as_of_date >= {{ shop_date('person_order_items.ordered_at') }}
    group by person_views.person_id, person_views.product_id

),

final as (

    select
        {{ dbt.hash(dbt.concat(['person_views.person_id', "'|'", 'person_views.product_id'])) }}
            as visitor_product_view_id,
        person_views.person_id,
        case when person_views.customer_id is not null then 'customer' else 'visitor' end as person_type,
        person_views.customer_id,
        person_views.visitor_id,
        person_views.product_id,
        cast(person_views.view_count as {{ dbt.type_bigint() }}) as view_count,
        cast(person_views.session_count as {{ dbt.type_bigint() }}) as session_count,
        person_views.first_viewed_at,
        person_views.last_viewed_at,
        purchases_after_view.bought_after_view_at is not null as is_bought_after_view,
        purchases_after_view.bought_after_view_at,
        person_views.view_count >= {{ min_views }}
        and person_views.session_count >= {{ min_sessions }} as is_repeated_view
    from person_views
    left join purchases_after_view
        on person_views.person_id = purchases_after_view.person_id
            and person_views.product_id = purchases_after_view.product_id

)

select * from final
