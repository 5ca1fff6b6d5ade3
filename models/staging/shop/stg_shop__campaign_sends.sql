with base as (

    select * from {{ ref('base_shop__campaign_sends') }}
    where quarantine_reason is null

),

final as (

    select
        {{ clean_text('send_id') }} as send_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('variant') }} as variant,
        {{ clean_text('customer_id') }} as customer_id,
        lower({{ clean_text('channel') }}) as channel,
        {{ try_parse_timestamp('sent_at') }} as sent_at,
        unreadable_columns
    from base

)

select * from final
