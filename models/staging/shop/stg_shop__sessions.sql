{#- Traffic sources go through the editable seed traffic_source_mapping;
    an unmapped value becomes 'other', an empty one 'direct'. -#}
with base as (

    select * from {{ ref('base_shop__sessions') }}
    where quarantine_reason is null

),

traffic_source_mapping as (

    select * from {{ ref('traffic_source_mapping') }}

),

typed as (

    select
        {{ clean_text('session_id') }} as session_id,
        {{ clean_text('visitor_id') }} as visitor_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ try_parse_timestamp('started_at') }} as started_at,
        lower({{ clean_text('traffic_source') }}) as source_traffic_source,
        {{ clean_text('campaign') }} as campaign,
        lower({{ clean_text('device') }}) as source_device,
        unreadable_columns
    from base

),

final as (

    select
        typed.session_id,
        typed.visitor_id,
        typed.customer_id,
        typed.started_at,
        {{ shop_date('typed.started_at') }} as session_date,
        case
            when typed.source_traffic_source is null then 'direct'
            else coalesce(traffic_source_mapping.traffic_source, 'other')
        end as traffic_source,
        typed.source_traffic_source,
        typed.campaign,
        case
            when typed.source_device in ('desktop', 'mobile', 'tablet', 'app') then typed.source_device
            when typed.source_device is not null then 'other'
        end as device,
        typed.unreadable_columns
    from typed
    left join traffic_source_mapping
        on typed.source_traffic_source = traffic_source_mapping.source_value

)

select * from final
