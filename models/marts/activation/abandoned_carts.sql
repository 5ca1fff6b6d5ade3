{#-
    One row per abandoned cart (int_carts.is_abandoned: items left, no order
    in the session, idle for var('cart_abandoned_after_minutes') before the
    end of the as-of date): who (pseudonymous person key; the customer id for
    customers), when (UTC and shop time), the stage it was left at, what is
    still in it (a readable list, the product ids, units, value at current
    list prices in the shop currency) and whether the person bought later.
    docs/funnel.md.
-#}
{%- set listed_products = 10 %}
with carts as (

    select * from {{ ref('int_carts') }}
    where is_abandoned

),

cart_items as (

    select * from {{ ref('int_cart_items') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

ranked_items as (

    select
        cart_items.cart_id,
        cart_items.product_id,
        {{ dbt.concat([
            'cast(cart_items.quantity as ' ~ dbt.type_string() ~ ')', "' x '",
            'coalesce(cart_items.product_name, cart_items.product_id)', "' ('",
            "coalesce(cast(cast(round(cart_items.unit_price, 2) as decimal(18, 2)) as " ~ dbt.type_string() ~ "), 'no price')",
            "')'"]) }} as item_text,
        row_number() over (
            partition by cart_items.cart_id
            order by cart_items.line_value desc nulls last, cart_items.product_id asc
        ) as item_rank
    from cart_items
    inner join carts
        on cart_items.cart_id = carts.cart_id

),

cart_lists as (

    select
        cart_id,
        {{ top_values_list('item_text', 'item_rank', listed_products, '; ') }} as listed_products,
        {{ top_values_list('product_id', 'item_rank', listed_products, ',') }} as listed_product_ids
    from ranked_items
    group by cart_id

),

final as (

    select
        cast(carts.cart_id as {{ dbt.type_string() }}) as cart_id,
        cast({{ pseudonymous_key('carts.person_id') }} as {{ dbt.type_string() }}) as person_key,
        cast(carts.person_type as {{ dbt.type_string() }}) as person_type,
        cast(carts.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(carts.traffic_source as {{ dbt.type_string() }}) as traffic_source,
        cast(carts.device as {{ dbt.type_string() }}) as device,
        cast(carts.cart_started_at as {{ dbt.type_timestamp() }}) as cart_started_at,
        cast(carts.cart_last_activity_at as {{ dbt.type_timestamp() }}) as abandoned_at,
        cast({{ to_shop_time('carts.cart_last_activity_at') }} as {{ dbt.type_timestamp() }}) as abandoned_at_shop_time,
        cast({{ shop_date('carts.cart_last_activity_at') }} as date) as abandoned_date,
        cast(carts.abandoned_stage as {{ dbt.type_string() }}) as abandoned_stage,
        cast(carts.product_count as {{ dbt.type_bigint() }}) as product_count,
        cast(carts.item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(carts.cart_value as decimal(18, 2)) as cart_value,
        cast(carts.unpriced_item_count as {{ dbt.type_bigint() }}) as unpriced_item_count,
        cast(
            case
                when carts.product_count > {{ listed_products }}
                    then {{ dbt.concat([
                        'cart_lists.listed_products', "'; (+'",
                        'cast(carts.product_count - ' ~ listed_products ~ ' as ' ~ dbt.type_string() ~ ')',
                        "' more products)'"]) }}
                else cart_lists.listed_products
            end as {{ dbt.type_string() }}
        ) as cart_products,
        cast(cart_lists.listed_product_ids as {{ dbt.type_string() }}) as cart_product_ids,
        cast(carts.bought_later_at is not null as {{ dbt.type_boolean() }}) as is_bought_later,
        cast(carts.bought_later_at as {{ dbt.type_timestamp() }}) as bought_later_at,
        cast(
            {{ days_between(shop_date('carts.cart_last_activity_at'), shop_date('carts.bought_later_at')) }}
            as {{ dbt.type_int() }}
        ) as days_to_later_purchase,
        cast(carts.bought_cart_product_later as {{ dbt.type_boolean() }}) as bought_cart_product_later,
        cast(as_of.as_of_date as date) as as_of_date
    from carts
    cross join as_of
    left join cart_lists
        on carts.cart_id = cart_lists.cart_id

)

select * from final
