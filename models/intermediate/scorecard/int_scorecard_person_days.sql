{#-
    One row per person (macro person_id: the stitched customer, else the
    visitor) and day in shop time with at least one session: that day's
    visits and what happened in them. Every scorecard snapshot sums these
    rows up to its date, so the history is aggregated once per person and
    day (incremental-ready: a new day adds rows, old days do not change
    unless a session is re-stitched).

    Abandonment: a session with at least one add to cart that placed no
    order and has no purchase event, by the furthest checkout step reached
    (0 or 1: cart, 2: delivery, 3: payment, 4: confirmation).
-#}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}
    where started_at is not null

),

person_sessions as (

    select
        {{ person_id('customer_id', 'visitor_id') }} as person_id,
        customer_id,
        session_id,
        session_date,
        started_at,
        traffic_source,
        device,
        page_view_count,
        product_view_count,
        search_count,
        cart_add_count,
        furthest_checkout_step,
        is_converted,
        case when cart_add_count > 0 and not is_converted then furthest_checkout_step end as abandoned_step,
        row_number() over (
            partition by {{ person_id('customer_id', 'visitor_id') }}, session_date
            order by started_at, session_id
        ) as first_of_day_rank,
        row_number() over (
            partition by {{ person_id('customer_id', 'visitor_id') }}, session_date
            order by started_at desc, session_id desc
        ) as last_of_day_rank
    from sessions

),

person_days as (

    select
        person_id,
        session_date as activity_date,
        max(customer_id) as customer_id,
        count(*) as visit_count,
        sum(case when traffic_source = 'email' then 1 else 0 end) as email_visit_count,
        sum(page_view_count) as page_view_count,
        sum(product_view_count) as product_view_count,
        sum(case when product_view_count >= 3 then 1 else 0 end) as visits_with_3plus_product_views,
        sum(search_count) as search_count,
        sum(case when search_count > 0 then 1 else 0 end) as visits_with_search,
        sum(cart_add_count) as cart_add_count,
        sum(case when cart_add_count > 0 then 1 else 0 end) as visits_with_cart_add,
        sum(case when abandoned_step <= 1 then 1 else 0 end) as abandoned_at_cart,
        sum(case when abandoned_step = 2 then 1 else 0 end) as abandoned_at_delivery,
        sum(case when abandoned_step = 3 then 1 else 0 end) as abandoned_at_payment,
        sum(case when abandoned_step = 4 then 1 else 0 end) as abandoned_at_confirmation,
        sum(case when is_converted then 1 else 0 end) as converted_visit_count,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at,
        max(case when first_of_day_rank = 1 then traffic_source end) as first_traffic_source,
        max(case when last_of_day_rank = 1 then traffic_source end) as last_traffic_source,
        max(case when last_of_day_rank = 1 then device end) as last_device
    from person_sessions
    where person_id is not null
    group by person_id, session_date

),

final as (

    select
        cast(
            {{ dbt.concat(['person_id', "'|'", 'cast(activity_date as ' ~ dbt.type_string() ~ ')']) }}
            as {{ dbt.type_string() }}
        ) as person_day_id,
        person_id,
        activity_date,
        customer_id,
        cast(visit_count as bigint) as visit_count,
        cast(email_visit_count as bigint) as email_visit_count,
        cast(page_view_count as bigint) as page_view_count,
        cast(product_view_count as bigint) as product_view_count,
        cast(visits_with_3plus_product_views as bigint) as visits_with_3plus_product_views,
        cast(search_count as bigint) as search_count,
        cast(visits_with_search as bigint) as visits_with_search,
        cast(cart_add_count as bigint) as cart_add_count,
        cast(visits_with_cart_add as bigint) as visits_with_cart_add,
        cast(abandoned_at_cart as bigint) as abandoned_at_cart,
        cast(abandoned_at_delivery as bigint) as abandoned_at_delivery,
        cast(abandoned_at_payment as bigint) as abandoned_at_payment,
        cast(abandoned_at_confirmation as bigint) as abandoned_at_confirmation,
        cast(converted_visit_count as bigint) as converted_visit_count,
        first_started_at,
        last_started_at,
        first_traffic_source,
        last_traffic_source,
        last_device
    from person_days

)

select * from final
