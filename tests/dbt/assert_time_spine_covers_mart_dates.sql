-- The semantic layer's time spine (int_time_spine_day, vars time_spine_start_date /
-- time_spine_end_date) covers every date a metric is aggregated on: a date outside it
-- would be dropped from metric_time. Returns each mart date column whose range leaves it.

with spine as (
    select * from {{ ref('int_time_spine_day') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

spine_range as (
    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from spine
),

mart_ranges as (
    select
        'fct_orders.order_date' as mart_column,
        min(order_date) as first_date,
        max(order_date) as last_date
    from orders
    union all
    select
        'fct_sessions.session_date' as mart_column,
        min(session_date) as first_date,
        max(session_date) as last_date
    from sessions
    union all
    select
        'dim_customers.as_of_date' as mart_column,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from customers
),

final as (
    select
        mart_ranges.mart_column,
        mart_ranges.first_date,
        mart_ranges.last_date,
        spine_range.first_day,
        spine_range.last_day
    from mart_ranges
    cross join spine_range
    where
        mart_ranges.first_date < spine_range.first_day
        or mart_ranges.last_date > spine_range.last_day
)

select * from final
