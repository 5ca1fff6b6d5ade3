{#- Lint harness of macros/cross_db/ (analyses/macro_lint/README.md): every macro that writes SQL, once per variant. -#}
with orders as (

    select * from {{ ref('base_shop__orders') }}

),

final as (

    select
        order_id,
        {{ iso_day_of_week('ordered_at') }} as iso_weekday,
        {{ days_between('ordered_at', 'ordered_at') }} as days_apart,
        {{ seconds_between('ordered_at', 'ordered_at') }} as seconds_apart,
        {{ integer_divide('_source_line', '2') }} as half_line,
        {{ to_shop_time('ordered_at') }} as ordered_at_shop_time,
        {{ shop_date('ordered_at') }} as order_date,
        {{ from_shop_time('ordered_at') }} as ordered_at_from_shop_time,
        {{ shop_date_of_run() }} as run_date,
        {{ squash_whitespace('shipping_city') }} as squashed_city,
        {{ try_cast('discount_amount', 'double') }} as discount_double,
        {{ clean_text('shipping_city') }} as cleaned_city,
        {{ ecommerce_segmentation.default__clean_text('shipping_city') }} as portable_cleaned_city,
        {{ ecommerce_segmentation.default__null_token_check('shipping_city', ["'n/a'"]) }} as city_or_null,
        {{ try_parse_timestamp('payment_method') }} as parsed_timestamp,
        {{ try_parse_date('payment_method') }} as parsed_date,
        {{ try_parse_integer('payment_method') }} as parsed_integer,
        {{ try_parse_decimal('discount_amount') }} as parsed_decimal,
        {{ try_parse_boolean('payment_method') }} as parsed_boolean
    from orders
    where true {{- shared_cte_condition() }}

)

select * from final
