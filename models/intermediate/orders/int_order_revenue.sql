{#-
    One row per order: revenue (from int_order_item_revenue), the session that
    led to it and its place among the customer's orders.

    - The point of rounding (docs/raw-data-contract.md): gross, returned and
      net revenue are computed from the lines at full precision (6 decimals)
      and rounded half up to cents here, once; everything built from orders
      (customers, quarters, segments, sessions) sums these rounded amounts.
    - net_revenue = greatest(0, gross - discount - returned), rounded to
      cents (0 when the discount is more than the whole cents kept after
      returns); 0 for cancelled orders, whose revenue columns are all 0. It is
      computed as the sum of the lines' net revenue (int_order_item_revenue,
      which spreads the discount in whole cents), rounded half up to cents,
      so fct_order_items always reconciles with fct_orders.
    - Every revenue column is in the shop currency (var('shop_currency')),
      converted at the order's exchange_rate (stg_shop__orders). currency,
      exchange_rate and original_gross_revenue / original_discount_amount /
      original_net_revenue keep the order's own currency and amounts (same
      rules, same rounding).
    - session_id: orders.session_id, else the session of the order's purchase
      event (earliest; tie: smallest session_id).
    - order_sequence_number: 1, 2, ... over the customer's non-cancelled
      orders by ordered_at (tie: order_id). Cancelled orders get null and are
      never the first order. Guest orders (no customer_id) get null: they
      belong to no customer's history.
-#}
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

item_revenue as (

    select * from {{ ref('int_order_item_revenue') }}

),

identity_links as (

    select * from {{ ref('int_event_identity_links') }}
    where link_type = 'order_session'

),

order_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count,
        sum(gross_revenue) as gross_revenue,
        sum(returned_quantity) as returned_quantity,
        sum(returned_revenue) as returned_revenue,
        sum(net_revenue) as net_revenue,
        sum(original_gross_revenue) as original_gross_revenue,
        sum(original_returned_revenue) as original_returned_revenue
    from item_revenue
    group by order_id

),

purchase_sessions as (

    select
        order_id,
        session_id,
        row_number() over (partition by order_id order by first_seen_at, session_id) as session_rank
    from identity_links

),

joined as (

    select
        orders.order_id,
        orders.customer_id,
        orders.is_guest_order,
        orders.ordered_at,
        orders.order_date,
        orders.order_status,
        orders.is_cancelled,
        orders.payment_method,
        orders.delivery_method,
        orders.shipping_region,
        orders.shipping_city,
        coalesce(orders.session_id, purchase_sessions.session_id) as session_id,
        coalesce(order_totals.line_count, 0) as line_count,
        coalesce(order_totals.item_count, 0) as item_count,
        coalesce(order_totals.gross_revenue, 0) as gross_revenue,
        {#- a discount is given in whole cents (as int_order_item_revenue spreads it) #}
        case when orders.is_cancelled then 0 else round(orders.discount_amount * orders.exchange_rate, 2) end
            as discount_amount,
        orders.currency,
        orders.exchange_rate,
        coalesce(order_totals.original_gross_revenue, 0) as original_gross_revenue,
        case when orders.is_cancelled then 0 else round(orders.discount_amount, 2) end as original_discount_amount,
        coalesce(order_totals.original_returned_revenue, 0) as original_returned_revenue,
        coalesce(order_totals.returned_quantity, 0) as returned_quantity,
        coalesce(order_totals.returned_revenue, 0) as returned_revenue,
        coalesce(order_totals.net_revenue, 0) as lines_net_revenue
    from orders
    left join order_totals
        on orders.order_id = order_totals.order_id
    left join purchase_sessions
        on orders.order_id = purchase_sessions.order_id
            and purchase_sessions.session_rank = 1

),

final as (

    select
        order_id,
        customer_id,
        is_guest_order,
        ordered_at,
        order_date,
        order_status,
        is_cancelled,
        payment_method,
        delivery_method,
        shipping_region,
        shipping_city,
        session_id,
        cast(line_count as {{ dbt.type_int() }}) as line_count,
        cast(item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(round(gross_revenue, 2) as decimal(18, 2)) as gross_revenue,
        cast(discount_amount as decimal(18, 2)) as discount_amount,
        cast(returned_quantity as {{ dbt.type_bigint() }}) as returned_quantity,
        cast(round(returned_revenue, 2) as decimal(18, 2)) as returned_revenue,
        cast(round(lines_net_revenue, 2) as decimal(18, 2)) as net_revenue,
        currency,
        cast(exchange_rate as decimal(18, 6)) as exchange_rate,
        cast(round(original_gross_revenue, 2) as decimal(18, 2)) as original_gross_revenue,
        cast(original_discount_amount as decimal(18, 2)) as original_discount_amount,
        cast(
            round(
                greatest(
                    cast(0 as decimal(18, 6)),
                    original_gross_revenue - original_discount_amount - original_returned_revenue
                ),
                2
            )
            as decimal(18, 2)
        ) as original_net_revenue,
        case
            when not is_cancelled and customer_id is not null then row_number() over (
                    partition by customer_id, is_cancelled
                    order by ordered_at, order_id
                )
        end as order_sequence_number
    from joined

)

select * from final
