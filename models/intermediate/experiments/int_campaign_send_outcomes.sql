{#-
    One row per campaign send (stg_shop__campaign_sends) with what followed it:
    the orders of its customer placed within the attribution window after the
    send (sent_at < ordered_at <= sent_at + var experiment_attribution_window_days
    days; any status, cancelled ones too, as ground_truth.json counts them), and
    their net revenue (shop currency; a cancelled order's is 0). A send without
    a variant is kept under the variant 'unassigned' (never a control arm).
-#}
{%- set window_days = numeric_var('experiment_attribution_window_days', minimum=1, integer=true) -%}
{%- set window_seconds = (window_days | int) * 86400 -%}
{%- set control_variant = var('campaign_control_variant') | string | lower -%}
with sends as (

    select * from {{ ref('stg_shop__campaign_sends') }}

),

orders as (

    select * from {{ ref('int_order_revenue') }}
    where customer_id is not null

),

window_orders as (

    {#- an inner join with the window as a filter: in a left join's condition, DuckDB cannot hash-join on
        the customer when the window is an expression of both sides (a nested loop over sends x orders) -#}
    select
        sends.send_id,
        orders.order_id,
        orders.net_revenue
    from sends
    inner join orders
        on sends.customer_id = orders.customer_id
    where
        sends.sent_at < orders.ordered_at
        and {{ seconds_between('sends.sent_at', 'orders.ordered_at') }} <= {{ window_seconds }}

),

send_orders as (

    select
        send_id,
        count(order_id) as orders_in_window,
        sum(net_revenue) as revenue_in_window
    from window_orders
    group by send_id

),

final as (

    select
        sends.send_id,
        sends.campaign_id,
        coalesce(sends.variant, 'unassigned') as variant,
        coalesce(lower(sends.variant) = '{{ control_variant }}', false) as is_control,
        sends.customer_id,
        sends.sent_at,
        cast(coalesce(send_orders.orders_in_window, 0) as bigint) as orders_in_window,
        coalesce(send_orders.orders_in_window > 0, false) as is_converted,
        cast(coalesce(send_orders.revenue_in_window, 0) as decimal(38, 2)) as revenue_in_window
    from sends
    left join send_orders
        on sends.send_id = send_orders.send_id

)

select * from final
