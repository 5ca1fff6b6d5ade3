{#- Personal data (email, birth_date) stays in staging; marts never select it. -#}
with base as (

    select * from {{ ref('base_shop__customers') }}
    where quarantine_reason is null

),

final as (

    select
        customer_id,
        email,
        birth_date,
        case
            when gender in ('female', 'male', 'other') then gender
            when gender is not null then 'other'
        end as gender,
        region,
        city,
        income_band,
        signed_up_at,
        coalesce(marketing_consent, false) as has_marketing_consent,
        case
            when preferred_channel in ('email', 'sms', 'push') then preferred_channel
        end as preferred_channel,
        cast(preferred_contact_hour as {{ dbt.type_int() }}) as preferred_contact_hour,
        unreadable_columns
    from base

)

select * from final
