with base as (

    select * from {{ ref('base_shop__campaign_sends') }}
    where quarantine_reason is null

),

final as (

    select
        send_id,
        campaign_id,
        variant,
        customer_id,
        channel,
        sent_at,
        unreadable_columns
    from base

)

select * from final
