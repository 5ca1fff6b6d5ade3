{#- currency: the order's ISO 4217 code, var('shop_currency') when the file
    gives none. exchange_rate: the shop-currency value of one unit of it, the
    latest valid rate (as in stg_shop__exchange_rates) dated on or before the order date
    (1 for the shop currency); base_shop__orders quarantined the orders
    without one. Amounts here stay in the order's currency; they are
    converted in int_order_item_revenue / int_order_revenue.
    Orders are entities: a later file's row of an order is a new version, and
    the latest delivered version (delivery order: load, file) is staged here;
    every version is in stg_shop__order_versions. Incremental: the valid rows
    of the load ids not seen yet replace (delete+insert) the orders they hold. -#}
{%- set shop_currency = "upper('" ~ var('shop_currency') ~ "')" -%}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    pre_hook=["{{ reset_incremental_model('orders') }}"]) }}
with delivered as (

    select * from {{ ref('base_shop__orders') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('orders') }}

),

ranked as (

    select
        delivered.*,
        row_number() over (
            partition by delivered.order_id
            order by {{ delivery_order(direction='desc') }}
        ) as version_rank
    from delivered

),

base as (

    {#- the latest delivered version of each order #}
    select * from ranked
    where version_rank = 1

),

exchange_rates as (

    {#- the valid rates, typed once in base_shop__exchange_rates (a stg_ model reads base_ models only) #}
    select
        currency,
        rate_date,
        rate_to_shop_currency
    from {{ ref('base_shop__exchange_rates') }}
    where quarantine_reason is null

),

typed as (

    select
        order_id,
        customer_id,
        customer_id is null as is_guest_order,
        ordered_at,
        {{ shop_date('ordered_at') }} as order_date,
        coalesce(status, 'delivered') as order_status,
        coalesce(status = 'cancelled', false) as is_cancelled,
        payment_method,
        delivery_method,
        shipping_region,
        shipping_city,
        coalesce(discount_amount, 0) as discount_amount,
        session_id,
        coalesce(currency, {{ shop_currency }}) as currency,
        unreadable_columns,
        _load_id
    from base

),

order_rates as (

    select
        typed.order_id,
        exchange_rates.rate_to_shop_currency,
        row_number() over (
            partition by typed.order_id
            order by exchange_rates.rate_date desc
        ) as rate_rank
    from typed
    inner join exchange_rates
        on typed.currency = exchange_rates.currency
            and typed.order_date >= exchange_rates.rate_date
    where typed.currency <> {{ shop_currency }}

),

final as (

    select
        typed.*,
        case
            when typed.currency = {{ shop_currency }} then cast(1 as decimal(18, 6))
            else order_rates.rate_to_shop_currency
        end as exchange_rate
    from typed
    left join order_rates
        on typed.order_id = order_rates.order_id
            and order_rates.rate_rank = 1

)

select * from final
