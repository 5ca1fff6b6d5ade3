{#-
    One row per session: the furthest step of the shop's funnel it reached
    and where it left (seed funnel_steps: 1 visit, 2 category_view,
    3 product_view, 4 add_to_cart, 5-8 checkout steps 1-4 (cart, delivery,
    payment, confirmation), 9 purchase).

    A step is reached when the session has its event (a category_view, a
    product_view, an add_to_cart, a checkout_step event of that step) or, for
    purchase, placed an order or has a purchase event; a placed order also
    reaches the confirmation step (int_sessions_stitched). Every session
    reaches the visit. The furthest step is the highest-numbered step
    reached, whether or not the steps before it were seen (a session can
    open a product page without a category page). Where it left: the step
    after the furthest one ('purchased' when it bought).

    The product, cart, checkout and purchase facts come from
    int_sessions_stitched; category views from one filtered pass over the
    category_view events, aggregated per session (incremental-ready: no
    window over the history).
-#}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

category_view_events as (

    select * from {{ ref('stg_shop__events') }}
    where event_type = 'category_view'
        and session_id is not null

),

funnel_steps as (

    select * from {{ ref('funnel_steps') }}

),

category_views as (

    select
        session_id,
        count(*) as category_view_count
    from category_view_events
    group by session_id

),

session_steps as (

    select
        sessions.session_id,
        sessions.visitor_id,
        sessions.customer_id,
        sessions.started_at,
        sessions.session_date,
        sessions.traffic_source,
        sessions.device,
        coalesce(category_views.category_view_count, 0) > 0 as has_category_view,
        sessions.product_view_count > 0 as has_product_view,
        sessions.cart_add_count > 0 as has_cart_add,
        sessions.furthest_checkout_step,
        sessions.is_converted,
        case
            when sessions.is_converted then 9
            when sessions.furthest_checkout_step between 1 and 4 then 4 + sessions.furthest_checkout_step
            when sessions.cart_add_count > 0 then 4
            when sessions.product_view_count > 0 then 3
            when coalesce(category_views.category_view_count, 0) > 0 then 2
            else 1
        end as furthest_step_number
    from sessions
    left join category_views
        on sessions.session_id = category_views.session_id
    {#- tombstones of an incremental run (no source left) are not sessions #}
    where sessions.started_at is not null

),

final as (

    select
        session_steps.session_id,
        {{ person_id('session_steps.customer_id', 'session_steps.visitor_id') }} as person_id,
        case
            when session_steps.customer_id is not null then 'customer'
            when session_steps.visitor_id is not null then 'visitor'
        end as person_type,
        session_steps.visitor_id,
        session_steps.customer_id,
        session_steps.started_at,
        session_steps.session_date,
        session_steps.traffic_source,
        session_steps.device,
        session_steps.has_category_view,
        session_steps.has_product_view,
        session_steps.has_cart_add,
        session_steps.furthest_checkout_step,
        session_steps.is_converted,
        cast(session_steps.furthest_step_number as {{ dbt.type_int() }}) as furthest_step_number,
        furthest_step.step_name as furthest_step_name,
        cast(
            case when session_steps.furthest_step_number < 9 then session_steps.furthest_step_number + 1 end
            as {{ dbt.type_int() }}
        ) as left_at_step_number,
        case when session_steps.furthest_step_number = 9 then 'purchased' else left_step.step_name end
            as left_at_step_name
    from session_steps
    left join funnel_steps as furthest_step
        on session_steps.furthest_step_number = furthest_step.step_number
    left join funnel_steps as left_step
        on session_steps.furthest_step_number + 1 = left_step.step_number

)

select * from final
