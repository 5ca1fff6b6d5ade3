{#-
    One row per product still in a cart: a cart is a session with cart events
    (cart_id = session_id: a cart lives in one session), and a product is
    still in it when its add_to_cart events outnumber its remove_from_cart
    events in that session (each event is one unit). quantity = adds -
    removes (> 0 only), at the product's current list price (the latest
    delivered product version, stg_shop__products; shop currency). A product
    missing from the products file, or without a list price, keeps its row
    with a null price (int_carts counts those units as unpriced).
-#}
with session_products as (

    select * from {{ ref('int_session_product_events') }}
    where net_cart_quantity > 0

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

final as (

    select
        session_products.session_product_id as cart_item_id,
        session_products.session_id as cart_id,
        session_products.product_id,
        products.product_name,
        products.category,
        cast(session_products.net_cart_quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(products.list_price as decimal(18, 6)) as unit_price,
        cast(session_products.net_cart_quantity * products.list_price as decimal(18, 6)) as line_value,
        session_products.last_cart_event_at
    from session_products
    left join products
        on session_products.product_id = products.product_id

)

select * from final
