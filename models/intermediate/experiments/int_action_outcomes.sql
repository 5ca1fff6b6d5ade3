{#-
    One row per marketing action ever decided (int_action_outbox_log, sent and
    control rows alike) with what followed it: the orders of its person placed
    within the attribution window after the action's earliest send time
    (earliest_send_at < ordered_at <= earliest_send_at + var
    experiment_attribution_window_days days; any status) and their net revenue
    (shop currency). An order's person is found as in int_person_order_items:
    the order's customer, else the stitched customer of its session, else that
    session's visitor. An action whose window reaches past the latest order in
    the data (is_window_complete false) can still convert.
-#}
{%- set window_days = numeric_var('experiment_attribution_window_days', minimum=1, integer=true) -%}
{%- set window_seconds = (window_days | int) * 86400 -%}
with outbox_log as (

    select * from {{ ref('int_action_outbox_log') }}

),

orders as (

    select * from {{ ref('int_order_revenue') }}

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

latest_data as (

    select max(ordered_at) as latest_ordered_at from orders

),

order_people as (

    select
        orders.order_id,
        orders.ordered_at,
        orders.net_revenue,
        {{ person_id('coalesce(orders.customer_id, sessions.customer_id)', 'sessions.visitor_id') }} as person_id
    from orders
    left join sessions
        on orders.session_id = sessions.session_id
    where orders.customer_id is not null
        or sessions.customer_id is not null
        or sessions.visitor_id is not null

),

action_orders as (

    {{ attribution_window_orders(
        'outbox_log', 'idempotency_key', 'person_id', 'earliest_send_at', 'order_people', 'person_id', window_seconds
    ) }}

),

final as (

    select
        outbox_log.idempotency_key,
        outbox_log.action_type,
        case when outbox_log.is_control then 'control' else 'treatment' end as variant,
        outbox_log.is_control,
        outbox_log.person_id,
        outbox_log.as_of_date,
        outbox_log.earliest_send_at,
        coalesce(
            {{ seconds_between('outbox_log.earliest_send_at', 'latest_data.latest_ordered_at') }}
            >= {{ window_seconds }},
            false
        ) as is_window_complete,
        cast(coalesce(action_orders.orders_in_window, 0) as bigint) as orders_in_window,
        coalesce(action_orders.orders_in_window > 0, false) as is_converted,
        cast(coalesce(action_orders.revenue_in_window, 0) as decimal(38, 2)) as revenue_in_window
    from outbox_log
    left join action_orders
        on outbox_log.idempotency_key = action_orders.idempotency_key
    cross join latest_data

)

select * from final
