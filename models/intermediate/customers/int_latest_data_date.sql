{#-
    One row: the latest order or event time in the data, as a date in shop
    time (var shop_timezone). It is the default as-of date (model int_as_of_date
    when var('as_of_date') is empty). A single-column max over
    the events, which is cheap. Falls back to the shop's date at the run's
    start only when there are no orders and no events.
-#}
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

events as (

    select * from {{ ref('stg_shop__events') }}

),

latest as (

    select max(ordered_at) as latest_at from orders
    union all
    select max(occurred_at) as latest_at from events

),

final as (

    select
        'latest_data_date' as as_of_id,
        coalesce({{ shop_date('max(latest_at)') }}, {{ shop_date_of_run() }}) as latest_data_date
    from latest

)

select * from final
