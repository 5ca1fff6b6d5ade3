{#- Personal data (email, birth_date) stays in staging; marts never select it. -#}
with base as (

    select * from {{ ref('base_shop__customers') }}
    where quarantine_reason is null

),

final as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        lower({{ clean_text('email') }}) as email,
        {{ try_parse_date('birth_date') }} as birth_date,
        case
            when lower({{ clean_text('gender') }}) in ('female', 'male', 'other') then lower({{ clean_text('gender') }})
            when {{ clean_text('gender') }} is not null then 'other'
        end as gender,
        {{ clean_text('region') }} as region,
        {{ clean_text('city') }} as city,
        {{ clean_text('income_band') }} as income_band,
        {{ try_parse_timestamp('signed_up_at') }} as signed_up_at,
        coalesce({{ try_parse_boolean('marketing_consent') }}, false) as has_marketing_consent,
        case
            when lower({{ clean_text('preferred_channel') }}) in ('email', 'sms', 'push')
                then lower({{ clean_text('preferred_channel') }})
        end as preferred_channel,
        cast({{ try_parse_integer('preferred_contact_hour') }} as {{ dbt.type_int() }}) as preferred_contact_hour,
        unreadable_columns
    from base

)

select * from final
