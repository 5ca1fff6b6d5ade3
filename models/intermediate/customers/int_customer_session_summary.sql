{#-
    One row per customer with at least one (stitched) session: acquisition and
    visits.

    - first_traffic_source / first_campaign: of the customer's first session
      (by started_at; tie: smallest session_id), i.e. first touch.
    - most_frequent_traffic_source: most sessions; tie: alphabetical.
    - visits_before_first_order: sessions started at or before the first
      non-cancelled order, so it includes the session that placed it; null
      when the customer has no such order.
    - visits_before_purchase_visit: the same sessions without the session
      that placed that order (its session_id; an order without a session
      leaves all of them): the visits before the purchase visit.
    - days_from_first_visit_to_first_order: calendar days (shop dates, var
      shop_timezone) from the first session's date to the first non-cancelled
      order's date; null when there is no order or the first session came
      after the first order.
-#}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}
    where customer_id is not null

),

orders as (

    select * from {{ ref('int_order_revenue') }}
    where customer_id is not null  -- guest orders belong to no customer

),

first_orders as (

    {#- the first non-cancelled order (tie: smallest order_id) and its session -#}
    select
        customer_id,
        ordered_at as first_order_at,
        session_id as first_order_session_id
    from (
        select
            customer_id,
            ordered_at,
            session_id,
            row_number() over (partition by customer_id order by ordered_at, order_id) as order_number
        from orders
        where not is_cancelled
    ) as numbered_orders
    where order_number = 1

),

ranked_sessions as (

    select
        customer_id,
        session_id,
        started_at,
        traffic_source,
        campaign,
        row_number() over (partition by customer_id order by started_at, session_id) as visit_number
    from sessions

),

source_counts as (

    select
        customer_id,
        traffic_source,
        count(*) as session_count
    from sessions
    where traffic_source is not null
    group by customer_id, traffic_source

),

preferred_sources as (

    select
        customer_id,
        traffic_source,
        {{ preference_rank('customer_id', 'session_count', 'traffic_source') }} as preference
    from source_counts

),

visit_totals as (

    select
        ranked_sessions.customer_id,
        count(*) as visit_count,
        min(ranked_sessions.started_at) as first_visit_at,
        max(case when ranked_sessions.visit_number = 1 then ranked_sessions.traffic_source end) as first_traffic_source,
        max(case when ranked_sessions.visit_number = 1 then ranked_sessions.campaign end) as first_campaign,
        sum(case when ranked_sessions.started_at <= first_orders.first_order_at then 1 else 0 end)
            as sessions_up_to_first_order,
        sum(
            case
                when ranked_sessions.started_at <= first_orders.first_order_at
                    and ranked_sessions.session_id <> coalesce(first_orders.first_order_session_id, '')
                    then 1
                else 0
            end
        ) as sessions_before_purchase_visit,
        max(first_orders.first_order_at) as first_order_at
    from ranked_sessions
    left join first_orders
        on ranked_sessions.customer_id = first_orders.customer_id
    group by ranked_sessions.customer_id

),

final as (

    select
        visit_totals.customer_id,
        cast(visit_totals.visit_count as {{ dbt.type_bigint() }}) as visit_count,
        visit_totals.first_visit_at,
        visit_totals.first_traffic_source,
        visit_totals.first_campaign,
        preferred_sources.traffic_source as most_frequent_traffic_source,
        cast(
            case when visit_totals.first_order_at is not null then visit_totals.sessions_up_to_first_order end
            as {{ dbt.type_bigint() }}
        ) as visits_before_first_order,
        cast(
            case when visit_totals.first_order_at is not null then visit_totals.sessions_before_purchase_visit end
            as {{ dbt.type_bigint() }}
        ) as visits_before_purchase_visit,
        case
            when visit_totals.first_visit_at <= visit_totals.first_order_at
                then {{ days_between(
                    shop_date('visit_totals.first_visit_at'), shop_date('visit_totals.first_order_at')
                ) }}
        end as days_from_first_visit_to_first_order
    from visit_totals
    left join preferred_sources
        on visit_totals.customer_id = preferred_sources.customer_id
            and preferred_sources.preference = 1

)

select * from final
