with base as (

    select * from {{ ref('base_shop__returns') }}
    where quarantine_reason is null

),

typed as (

    select
        order_id,
        product_id,
        returned_at,
        cast(quantity as {{ dbt.type_int() }}) as returned_quantity,
        reason as return_reason,
        coalesce(is_complaint, false) as is_complaint,
        unreadable_columns
    from base

),

final as (

    select
        {{ dbt.concat([
            dbt.hash(dbt.concat(['order_id', "'|'", 'product_id', "'|'",
                "coalesce(cast(returned_at as " ~ dbt.type_string() ~ "), '')"])),
            "'-'",
            "cast(row_number() over (partition by order_id, product_id, returned_at order by returned_quantity nulls last, return_reason nulls last, is_complaint nulls last) as " ~ dbt.type_string() ~ ")",
        ]) }} as return_id,
        order_id,
        product_id,
        returned_at,
        returned_quantity,
        return_reason,
        is_complaint,
        unreadable_columns
    from typed

)

select * from final
