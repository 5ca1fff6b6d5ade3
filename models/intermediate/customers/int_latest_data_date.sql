{#-
    One row: the latest order or event time in the data, as a UTC date. It is
    the default as-of date (macro as_of_date() when var('as_of_date') is
    empty). A single-column max over the events, which is cheap. Falls back
    to today only when there are no orders and no events.
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
        coalesce(cast(max(latest_at) as date), cast({{ dbt.current_timestamp() }} as date)) as latest_data_date
    from latest

)

select * from final
