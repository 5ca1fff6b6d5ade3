{#-
    One row per customer in the customers file: demographics and contact
    preferences without personal data. The exact birth date only feeds the
    age band (at the as-of date, model int_as_of_date); e-mail is not selected.
-#}
with customers as (

    select * from {{ ref('stg_shop__customers') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

final as (

    select
        customers.customer_id,
        {{ age_band('customers.birth_date', 'as_of.as_of_date') }} as age_band,
        customers.gender,
        customers.region,
        customers.city,
        customers.income_band,
        customers.signed_up_at,
        customers.has_marketing_consent,
        customers.preferred_channel,
        customers.preferred_contact_hour
    from customers
    cross join as_of

)

select * from final
