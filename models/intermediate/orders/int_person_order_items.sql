{#-
    One row per line of a non-cancelled order, with the person who bought it
    (macro person_id): the order's customer, else the stitched customer of
    the session it was placed in, else that session's visitor. A guest order
    without a session (nobody to attach it to) is left out. The purchases
    the activation models look at after a cart, a search or a product view
    (bought later, bought a matching product, bought after a view).
-#}
with order_items as (

    select * from {{ ref('int_order_item_revenue') }}
    where not is_cancelled

),

orders as (

    select * from {{ ref('int_order_revenue') }}

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

order_people as (

    select
        orders.order_id,
        orders.session_id,
        coalesce(orders.customer_id, sessions.customer_id) as customer_id,
        sessions.visitor_id
    from orders
    left join sessions
        on orders.session_id = sessions.session_id

),

final as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_people.session_id,
        {{ person_id('order_people.customer_id', 'order_people.visitor_id') }} as person_id,
        case
            when order_people.customer_id is not null then 'customer'
            when order_people.visitor_id is not null then 'visitor'
        end as person_type,
        order_people.customer_id,
        order_items.ordered_at,
        order_items.product_id,
        order_items.quantity
    from order_items
    inner join order_people
        on order_items.order_id = order_people.order_id
    where order_people.customer_id is not null
        or order_people.visitor_id is not null

)

select * from final
