{#- One row per customer and calendar quarter in which they have at least one
    non-cancelled order (quarters without orders have no row). -#}
with orders as (

    select * from {{ ref('int_order_revenue') }}
    where not is_cancelled
        and customer_id is not null  -- guest orders belong to no customer

),

quartered as (

    select
        customer_id,
        cast({{ dbt.date_trunc('quarter', 'order_date') }} as date) as quarter_start_date,
        item_count,
        gross_revenue,
        returned_revenue,
        net_revenue
    from orders

),

per_quarter as (

    select
        customer_id,
        quarter_start_date,
        count(*) as order_count,
        sum(item_count) as item_count,
        sum(gross_revenue) as gross_revenue,
        sum(returned_revenue) as returned_revenue,
        sum(net_revenue) as net_revenue
    from quartered
    group by customer_id, quarter_start_date

),

final as (

    select
        cast(
            {{ dbt.concat(['customer_id', "'|'", 'cast(quarter_start_date as ' ~ dbt.type_string() ~ ')']) }}
            as {{ dbt.type_string() }}
        ) as customer_quarter_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(quarter_start_date as date) as quarter_start_date,
        cast(extract(year from quarter_start_date) as {{ dbt.type_int() }}) as calendar_year,
        cast(extract(quarter from quarter_start_date) as {{ dbt.type_int() }}) as calendar_quarter,
        cast(order_count as {{ dbt.type_bigint() }}) as order_count,
        cast(item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(gross_revenue as decimal(38, 2)) as gross_revenue,
        cast(returned_revenue as decimal(38, 2)) as returned_revenue,
        cast(net_revenue as decimal(38, 2)) as net_revenue
    from per_quarter

)

select * from final
