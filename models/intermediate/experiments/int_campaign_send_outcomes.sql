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

send_orders as (

    {{ attribution_window_orders(
        'sends', 'send_id', 'customer_id', 'sent_at', 'orders', 'customer_id', window_seconds
    ) }}

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
