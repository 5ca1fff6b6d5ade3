{#- Lines without a line_number are numbered after the order's highest given one. -#}
with base as (

    select * from {{ ref('base_shop__order_items') }}
    where quarantine_reason is null

),

typed as (

    select
        order_id,
        line_number as given_line_number,
        product_id,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        unit_price,
        unreadable_columns
    from base

),

numbered as (

    select
        order_id,
        product_id,
        quantity,
        unit_price,
        coalesce(
            given_line_number,
            coalesce(max(given_line_number) over (partition by order_id), 0)
            + row_number() over (
                partition by order_id, given_line_number is null
                order by product_id, quantity, unit_price
            )
        ) as line_number,
        unreadable_columns
    from typed

),

final as (

    select
        {{ dbt.concat(['order_id', "'-'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']) }} as order_item_id,
        order_id,
        cast(line_number as {{ dbt.type_int() }}) as line_number,
        product_id,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 6)) as gross_amount,
        unreadable_columns
    from numbered

)

select * from final
