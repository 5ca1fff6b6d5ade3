with base as (

    select * from {{ ref('base_shop__orders') }}
    where quarantine_reason is null

),

final as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ try_parse_timestamp('ordered_at') }} as ordered_at,
        cast({{ try_parse_timestamp('ordered_at') }} as date) as order_date,
        coalesce(lower({{ clean_text('status') }}), 'delivered') as order_status,
        coalesce(lower({{ clean_text('status') }}) = 'cancelled', false) as is_cancelled,
        lower({{ clean_text('payment_method') }}) as payment_method,
        lower({{ clean_text('delivery_method') }}) as delivery_method,
        {{ clean_text('shipping_region') }} as shipping_region,
        {{ clean_text('shipping_city') }} as shipping_city,
        coalesce({{ try_parse_decimal('discount_amount') }}, 0) as discount_amount,
        {{ clean_text('session_id') }} as session_id,
        unreadable_columns
    from base

)

select * from final
