{#- Returns have no key: a return is numbered among the returns of its order, product and time.
    Incremental: the valid returns of the load ids not seen yet and the earlier returns of the orders they
    touch (from this model) are numbered again together and replace (delete+insert) those orders' rows,
    so every return_id equals the full computation's (macros/staging/incremental.sql). -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    pre_hook=["{{ reset_incremental_model('returns') }}"]) }}
with base as (

    select * from {{ ref('base_shop__returns') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('returns') }}

),

delivered as (

    select
        order_id,
        product_id,
        returned_at,
        cast(quantity as {{ dbt.type_int() }}) as returned_quantity,
        reason as return_reason,
        coalesce(is_complaint, false) as is_complaint,
        unreadable_columns,
        _load_id
    from base

),

earlier as (

    {#- the earlier returns of the orders the batch touches, numbered again with it #}
    {{ earlier_rows('returns', 'delivered', 'order_id',
        ['order_id', 'product_id', 'returned_at', 'returned_quantity', 'return_reason', 'is_complaint',
         'unreadable_columns', '_load_id']) }}

),

typed as (

    select * from delivered
    union all
    select * from earlier

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
        unreadable_columns,
        _load_id
    from typed

)

select * from final
