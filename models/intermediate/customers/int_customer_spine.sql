{#-
    One row per customer: everyone in the customers file, everyone who
    placed an order and every customer a session was stitched to (the
    customers of dim_customers and customer_lifecycle), with the dates of
    first contact the lifecycle needs. The large order and session models
    are read here once for the spine.
-#}
with demographics as (

    select * from {{ ref('int_customer_demographics') }}

),

session_summary as (

    select * from {{ ref('int_customer_session_summary') }}

),

orders as (

    select * from {{ ref('int_order_revenue') }}
    where customer_id is not null  -- guest orders belong to no customer

),

sessions as (

    select * from {{ ref('int_sessions_stitched') }}
    where customer_id is not null

),

customer_ids as (

    select customer_id from demographics
    union
    select customer_id from orders
    union
    select customer_id from sessions

),

final as (

    select
        customer_ids.customer_id,
        demographics.customer_id is not null as is_registered,
        demographics.signed_up_at,
        session_summary.first_visit_at
    from customer_ids
    left join demographics
        on customer_ids.customer_id = demographics.customer_id
    left join session_summary
        on customer_ids.customer_id = session_summary.customer_id

)

select * from final
