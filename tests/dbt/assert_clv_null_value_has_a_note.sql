{#-
    customer_lifetime_value: expected_average_order_value is null exactly
    where expected_order_value_note gives the reason, and the CLV is null
    only where the value is (no null without a reason, no reason beside a
    published value). A row here = a customer whose missing value is
    unexplained, or a note that contradicts a published value.
-#}
with clv as (

    select * from {{ ref('customer_lifetime_value') }}

),

final as (

    select
        customer_id,
        expected_average_order_value,
        customer_lifetime_value,
        expected_order_value_note
    from clv
    where
        (expected_average_order_value is null) <> (expected_order_value_note is not null)
        or (customer_lifetime_value is null and expected_average_order_value is not null)

)

select * from final
