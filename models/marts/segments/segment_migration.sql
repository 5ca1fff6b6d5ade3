{#-
    How customers moved between two as-of dates of customer_segment_history:
    one row per dimension (rfm_segment, lifecycle_stage), from-value and
    to-value with the number of customers present on both dates who were in
    the from-value on from_date and in the to-value on to_date (staying put
    is a row too, is_moved false). Customers present on only one of the two
    dates are not counted. Customers without an RFM segment (no
    non-cancelled order) count under '(none)'.

    Dates: vars migration_from_date / migration_to_date (YYYY-MM-DD); by
    default to_date = the latest date in the history and from_date = the
    latest date before it. With fewer than two stored dates (or a date that
    is not stored) the mart is empty.
-#}
{%- set from_date = date_var('migration_from_date') -%}
{%- set to_date = date_var('migration_to_date') -%}
{%- if from_date is not none and to_date is not none and from_date > to_date -%}
    {{ exceptions.raise_compiler_error("migration_from_date (" ~ from_date ~ ") is after migration_to_date (" ~ to_date ~ ")") }}
{%- endif -%}
{#- to_date: the var, else the latest stored date; from_date: the var, else
    the latest stored date before to_date. Both are aggregates over the
    stored dates, so an empty history gives no period and an empty mart. -#}
{%- set to_expression = "max(cast('" ~ to_date ~ "' as date))" if to_date is not none
    else "max(stored_dates.as_of_date)" -%}
{%- set from_expression = "max(cast('" ~ from_date ~ "' as date))" if from_date is not none
    else "max(case when stored_dates.as_of_date < period_end.to_date then stored_dates.as_of_date end)" -%}
with history as (

    select * from {{ ref('customer_segment_history') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

lifecycle_stages as (

    select * from {{ ref('lifecycle_stages') }}

),

stored_dates as (

    select distinct as_of_date from history

),

period_end as (

    select {{ to_expression }} as to_date
    from stored_dates

),

period as (

    select
        {{ from_expression }} as from_date,
        period_end.to_date
    from period_end
    cross join stored_dates
    group by period_end.to_date

),

from_rows as (

    select
        history.customer_id,
        period.from_date,
        period.to_date,
        history.rfm_segment_name,
        history.lifecycle_stage
    from history
    inner join period
        on history.as_of_date = period.from_date

),

to_rows as (

    select
        history.customer_id,
        history.rfm_segment_name,
        history.lifecycle_stage
    from history
    inner join period
        on history.as_of_date = period.to_date

),

pairs as (

    select
        from_rows.customer_id,
        from_rows.from_date,
        from_rows.to_date,
        coalesce(from_rows.rfm_segment_name, '(none)') as from_segment,
        coalesce(to_rows.rfm_segment_name, '(none)') as to_segment,
        from_rows.lifecycle_stage as from_stage,
        to_rows.lifecycle_stage as to_stage
    from from_rows
    inner join to_rows
        on from_rows.customer_id = to_rows.customer_id

),

moves as (

    select
        'rfm_segment' as dimension,
        from_date,
        to_date,
        from_segment as from_value,
        to_segment as to_value,
        count(*) as customer_count
    from pairs
    group by from_date, to_date, from_segment, to_segment

    union all

    select
        'lifecycle_stage' as dimension,
        from_date,
        to_date,
        from_stage as from_value,
        to_stage as to_value,
        count(*) as customer_count
    from pairs
    group by from_date, to_date, from_stage, to_stage

),

value_orders as (

    select
        'rfm_segment' as dimension,
        segment_name as value_name,
        segment_order as value_order
    from rfm_segments

    union all

    select
        'rfm_segment' as dimension,
        '(none)' as value_name,
        0 as value_order

    union all

    select
        'lifecycle_stage' as dimension,
        lifecycle_stage as value_name,
        stage_precedence as value_order
    from lifecycle_stages

),

with_shares as (

    select
        moves.dimension,
        moves.from_date,
        moves.to_date,
        moves.from_value,
        moves.to_value,
        moves.customer_count,
        sum(moves.customer_count) over (partition by moves.dimension, moves.from_value) as from_value_customer_count
    from moves

),

final as (

    select
        cast(
            {{ dbt.concat(['with_shares.dimension', "'|'", 'with_shares.from_value', "'|'", 'with_shares.to_value']) }}
            as {{ dbt.type_string() }}
        ) as migration_id,
        cast(with_shares.dimension as {{ dbt.type_string() }}) as dimension,
        cast(with_shares.from_date as date) as from_date,
        cast(with_shares.to_date as date) as to_date,
        cast(with_shares.from_value as {{ dbt.type_string() }}) as from_value,
        cast(with_shares.to_value as {{ dbt.type_string() }}) as to_value,
        cast(from_orders.value_order as {{ dbt.type_int() }}) as from_value_order,
        cast(to_orders.value_order as {{ dbt.type_int() }}) as to_value_order,
        cast(with_shares.from_value <> with_shares.to_value as {{ dbt.type_boolean() }}) as is_moved,
        cast(with_shares.customer_count as {{ dbt.type_bigint() }}) as customer_count,
        cast(
            {{ share('with_shares.customer_count', 'with_shares.from_value_customer_count') }} as double
        ) as share_of_from_customers
    from with_shares
    left join value_orders as from_orders
        on
            with_shares.dimension = from_orders.dimension
            and with_shares.from_value = from_orders.value_name
    left join value_orders as to_orders
        on
            with_shares.dimension = to_orders.dimension
            and with_shares.to_value = to_orders.value_name

)

select * from final
