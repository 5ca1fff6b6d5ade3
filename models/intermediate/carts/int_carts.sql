{#-
    One row per cart: a session with at least one add_to_cart or
    remove_from_cart event of a product (cart_id = session_id; a cart lives
    in one session), with the person it belongs to (macro person_id, the
    session's stitched customer, else its visitor), what is still in it
    (int_cart_items: adds minus removes, current list prices), how far into
    the checkout it went, and whether the person bought later.

    - cart_started_at: the first add_to_cart / remove_from_cart event;
      cart_last_activity_at: the last cart or checkout_step event (UTC).
    - abandoned_stage: the furthest checkout step reached in the session
      (1 cart, 2 delivery, 3 payment, 4 confirmation; 'cart' when none).
    - is_abandoned: items are left (item_count > 0), the session placed no
      order and has no purchase event, and the last activity is at least
      var('cart_abandoned_after_minutes') before "now", the end of the as-of
      date in shop time (so a cart still being filled is not abandoned, and
      a cart after an earlier as-of date is not either).
    - bought_later_at: the person's first non-cancelled order placed after
      cart_started_at in another session, up to the end of the as-of date
      (int_person_order_items); bought_cart_product_later: such an order
      holds a product still in the cart.
-#}
{%- set idle_minutes = var('cart_abandoned_after_minutes') | int %}
with session_products as (

    select * from {{ ref('int_session_product_events') }}
    where cart_add_count > 0
        or cart_remove_count > 0

),

cart_events as (

    select * from {{ ref('stg_shop__events') }}
    where event_type in ('add_to_cart', 'remove_from_cart', 'checkout_step')
        and session_id is not null

),

cart_items as (

    select * from {{ ref('int_cart_items') }}

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

now_at as (

    {#- "now" = the end of the as-of date, as the shop's wall-clock time #}
    select
        as_of_date,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as {{ dbt.type_timestamp() }}) as now_shop_time
    from as_of

),

cart_sessions as (

    select distinct session_id
    from session_products

),

cart_times as (

    select
        session_id,
        min(case when event_type in ('add_to_cart', 'remove_from_cart') then occurred_at end) as cart_started_at,
        max(occurred_at) as cart_last_activity_at
    from cart_events
    group by session_id

),

cart_contents as (

    select
        cart_id,
        count(*) as product_count,
        sum(quantity) as item_count,
        sum(line_value) as cart_value,
        sum(case when unit_price is null then quantity else 0 end) as unpriced_item_count
    from cart_items
    group by cart_id

),

carts as (

    select
        cart_sessions.session_id as cart_id,
        cart_sessions.session_id,
        {{ person_id('sessions.customer_id', 'sessions.visitor_id') }} as person_id,
        case
            when sessions.customer_id is not null then 'customer'
            when sessions.visitor_id is not null then 'visitor'
        end as person_type,
        sessions.visitor_id,
        sessions.customer_id,
        sessions.traffic_source,
        sessions.device,
        coalesce(cart_times.cart_started_at, sessions.started_at) as cart_started_at,
        coalesce(cart_times.cart_last_activity_at, sessions.ended_at) as cart_last_activity_at,
        coalesce(sessions.furthest_checkout_step, 0) as furthest_checkout_step,
        case coalesce(sessions.furthest_checkout_step, 0)
            when 2 then 'delivery'
            when 3 then 'payment'
            when 4 then 'confirmation'
            else 'cart'
        end as abandoned_stage,
        coalesce(cart_contents.product_count, 0) as product_count,
        coalesce(cart_contents.item_count, 0) as item_count,
        coalesce(cart_contents.cart_value, 0) as cart_value,
        coalesce(cart_contents.unpriced_item_count, 0) as unpriced_item_count,
        coalesce(sessions.is_converted, false) as is_converted
    from cart_sessions
    left join sessions
        on cart_sessions.session_id = sessions.session_id
    left join cart_times
        on cart_sessions.session_id = cart_times.session_id
    left join cart_contents
        on cart_sessions.session_id = cart_contents.cart_id

),

later_order_items as (

    {#- per person: their order lines after the cart (another session, up to the as-of date) #}
    select
        carts.cart_id,
        person_order_items.ordered_at,
        person_order_items.product_id
    from carts
    cross join as_of
    inner join person_order_items
        on carts.person_id = person_order_items.person_id
            and carts.cart_started_at < person_order_items.ordered_at
            and carts.session_id <> coalesce(person_order_items.session_id, '')
            and as_of.as_of_date >= {{ shop_date('person_order_items.ordered_at') }}

),

later_purchases as (

    select
        later_order_items.cart_id,
        min(later_order_items.ordered_at) as bought_later_at,
        max(case when cart_items.product_id is not null then 1 else 0 end) as bought_cart_product_flag
    from later_order_items
    left join cart_items
        on later_order_items.cart_id = cart_items.cart_id
            and later_order_items.product_id = cart_items.product_id
    group by later_order_items.cart_id

),

final as (

    select
        carts.cart_id,
        carts.session_id,
        carts.person_id,
        carts.person_type,
        carts.visitor_id,
        carts.customer_id,
        carts.traffic_source,
        carts.device,
        carts.cart_started_at,
        carts.cart_last_activity_at,
        cast(carts.furthest_checkout_step as {{ dbt.type_int() }}) as furthest_checkout_step,
        carts.abandoned_stage,
        cast(carts.product_count as {{ dbt.type_bigint() }}) as product_count,
        cast(carts.item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(round(carts.cart_value, 2) as decimal(18, 2)) as cart_value,
        cast(carts.unpriced_item_count as {{ dbt.type_bigint() }}) as unpriced_item_count,
        carts.is_converted,
        carts.item_count > 0
        and not carts.is_converted
        and {{ seconds_between(to_shop_time('carts.cart_last_activity_at'), 'now_at.now_shop_time') }}
        >= {{ idle_minutes * 60 }} as is_abandoned,
        later_purchases.bought_later_at,
        coalesce(later_purchases.bought_cart_product_flag, 0) = 1 as bought_cart_product_later
    from carts
    cross join now_at
    left join later_purchases
        on carts.cart_id = later_purchases.cart_id

)

select * from final
