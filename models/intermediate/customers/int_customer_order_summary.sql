{#-
    One row per customer with at least one order (any status): purchases,
    purchase habits, service and the latest shipping address.

    - Counts, dates and revenue use non-cancelled orders only (cancelled
      orders count for nothing); cancelled_order_count counts the others.
    - net_revenue_last_90_days / _365_days: orders dated in the 90 / 365 days
      ending on the as-of date (inclusive): as_of_date - 89 .. as_of_date.
    - Preferred payment / delivery method, weekday (ISO, 1 = Monday) and hour
      (in shop time, var shop_timezone): the value with most non-cancelled
      orders; tie: smallest value. Dates are shop dates too.
    - latest_shipping_region / _city: of the customer's latest order (any
      status) that has a shipping region (tie: largest order_id).
    - return_count / complaint_count: return registrations (complaints) on
      any of the customer's orders.
-#}
with orders as (

    select * from {{ ref('int_order_revenue') }}
    where customer_id is not null  -- guest orders belong to no customer

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

order_totals as (

    select
        orders.customer_id,
        sum(case when orders.is_cancelled then 0 else 1 end) as order_count,
        sum(case when orders.is_cancelled then 1 else 0 end) as cancelled_order_count,
        min(case when not orders.is_cancelled then orders.ordered_at end) as first_order_at,
        max(case when not orders.is_cancelled then orders.ordered_at end) as last_order_at,
        sum(case when orders.is_cancelled then 0 else orders.item_count end) as item_count,
        sum(orders.gross_revenue) as gross_revenue,
        sum(orders.returned_revenue) as returned_revenue,
        sum(orders.net_revenue) as net_revenue,
        sum(
            case
                when orders.order_date > {{ dbt.dateadd('day', -90, 'as_of.as_of_date') }}
                    and orders.order_date <= as_of.as_of_date
                    then orders.net_revenue
                else 0
            end
        ) as net_revenue_last_90_days,
        sum(
            case
                when orders.order_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
                    and orders.order_date <= as_of.as_of_date
                    then orders.net_revenue
                else 0
            end
        ) as net_revenue_last_365_days
    from orders
    cross join as_of
    group by orders.customer_id

),

{%- set habits = {
    'payment_method': 'payment_method',
    'delivery_method': 'delivery_method',
    'order_weekday': iso_day_of_week(to_shop_time('ordered_at')),
    'order_hour': 'cast(extract(hour from ' ~ to_shop_time('ordered_at') ~ ') as ' ~ dbt.type_int() ~ ')',
} %}

habit_values as (

    select
        customer_id,
        -- noqa: disable=LT02
        {%- for name, expression in habits.items() %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from orders
    where not is_cancelled {{ ecommerce_segmentation.shared_cte_condition() }}

),
{% for name in habits %}
    {{ name }}_counts as (

        select
            customer_id,
            {{ name }},
            count(*) as order_count
        from habit_values
        where {{ name }} is not null
        group by customer_id, {{ name }}

    ),

    {{ name }}_preferred as (

        select
            customer_id,
            {{ name }},
            {{ preference_rank('customer_id', 'order_count', name) }} as preference
        from {{ name }}_counts

    ),
{% endfor %}

latest_addresses as (

    select
        customer_id,
        shipping_region,
        shipping_city,
        row_number() over (partition by customer_id order by ordered_at desc, order_id desc) as recency_rank
    from orders
    where shipping_region is not null

),

return_totals as (

    select
        orders.customer_id,
        count(*) as return_count,
        sum(case when returns.is_complaint then 1 else 0 end) as complaint_count
    from returns
    inner join orders
        on returns.order_id = orders.order_id
    group by orders.customer_id

),

final as (

    select
        order_totals.customer_id,
        cast(order_totals.order_count as {{ dbt.type_bigint() }}) as order_count,
        cast(order_totals.cancelled_order_count as {{ dbt.type_bigint() }}) as cancelled_order_count,
        order_totals.first_order_at,
        {{ shop_date('order_totals.first_order_at') }} as first_order_date,
        {{ shop_date('order_totals.last_order_at') }} as last_order_date,
        cast(coalesce(order_totals.item_count, 0) as {{ dbt.type_bigint() }}) as item_count,
        cast(order_totals.gross_revenue as decimal(38, 2)) as gross_revenue,
        cast(order_totals.returned_revenue as decimal(38, 2)) as returned_revenue,
        cast(order_totals.net_revenue as decimal(38, 2)) as net_revenue,
        cast(order_totals.net_revenue_last_90_days as decimal(38, 2)) as net_revenue_last_90_days,
        cast(order_totals.net_revenue_last_365_days as decimal(38, 2)) as net_revenue_last_365_days,
        {{ divide_money('order_totals.net_revenue', 'order_totals.order_count') }} as average_order_value,
        {%- for name in habits %}
            {{ name }}_preferred.{{ name }} as preferred_{{ name }},
        {%- endfor %}
        latest_addresses.shipping_region as latest_shipping_region,
        latest_addresses.shipping_city as latest_shipping_city,
        cast(coalesce(return_totals.return_count, 0) as {{ dbt.type_bigint() }}) as return_count,
        cast(coalesce(return_totals.complaint_count, 0) as {{ dbt.type_bigint() }}) as complaint_count
    from order_totals
    {%- for name in habits %}
    left join {{ name }}_preferred
        on order_totals.customer_id = {{ name }}_preferred.customer_id
            and {{ name }}_preferred.preference = 1
    {%- endfor %}
    left join latest_addresses
        on order_totals.customer_id = latest_addresses.customer_id
            and latest_addresses.recency_rank = 1
    left join return_totals
        on order_totals.customer_id = return_totals.customer_id

)

select * from final
