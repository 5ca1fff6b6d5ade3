{#-
    One row per session and product with product events (product_view,
    add_to_cart, remove_from_cart): how often the product was viewed, added
    and removed in the session, and when. The one pass over the events for the
    product-level activation models (carts, repeated views, scorecard).

    Incremental like int_session_activity: the events of the load ids not seen
    yet are aggregated per session and product and merged with the sessions'
    earlier partial aggregates; the touched sessions are replaced
    (delete+insert), so a late event lands in its session.
-#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='session_id',
    pre_hook=["{{ reset_incremental_model('events') }}"]) }}
with events as (

    select * from {{ ref('stg_shop__events') }}
    where session_id is not null
        and product_id is not null
        and event_type in ('product_view', 'add_to_cart', 'remove_from_cart')
        and {{ new_load_ids_filter('events') }}

),

new_per_session_product as (

    select
        session_id,
        product_id,
        sum(case when event_type = 'product_view' then 1 else 0 end) as view_count,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as cart_add_count,
        sum(case when event_type = 'remove_from_cart' then 1 else 0 end) as cart_remove_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(case when event_type in ('add_to_cart', 'remove_from_cart') then occurred_at end)
            as last_cart_event_at,
        max(_load_id) as _load_id
    from events
    group by session_id, product_id

),

earlier_per_session_product as (

    {{ earlier_rows('events', 'new_per_session_product', 'session_id', [
        'session_id', 'product_id', 'view_count', 'cart_add_count', 'cart_remove_count',
        'first_event_at', 'last_event_at', 'last_cart_event_at', '_load_id']) }}

),

partial_aggregates as (

    select * from new_per_session_product
    union all
    select * from earlier_per_session_product

),

per_session_product as (

    select
        session_id,
        product_id,
        sum(view_count) as view_count,
        sum(cart_add_count) as cart_add_count,
        sum(cart_remove_count) as cart_remove_count,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        max(last_cart_event_at) as last_cart_event_at,
        max(_load_id) as _load_id
    from partial_aggregates
    group by session_id, product_id

),

final as (

    select
        {{ dbt.concat(['session_id', "'|'", 'product_id']) }} as session_product_id,
        session_id,
        product_id,
        cast(view_count as {{ dbt.type_bigint() }}) as view_count,
        cast(cart_add_count as {{ dbt.type_bigint() }}) as cart_add_count,
        cast(cart_remove_count as {{ dbt.type_bigint() }}) as cart_remove_count,
        cast(cart_add_count - cart_remove_count as {{ dbt.type_bigint() }}) as net_cart_quantity,
        first_event_at,
        last_event_at,
        last_cart_event_at,
        _load_id
    from per_session_product

)

select * from final
