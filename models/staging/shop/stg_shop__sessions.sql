{#- Traffic sources go through the editable seed traffic_source_mapping;
    an unmapped value becomes 'other', an empty one 'direct'. -#}
{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('sessions') }}"]) }}
{#- Incremental: appends the valid rows of the load ids not seen yet (macros/staging/incremental.sql). -#}
with base as (

    select * from {{ ref('base_shop__sessions') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('sessions') }}

),

traffic_source_mapping as (

    select * from {{ ref('traffic_source_mapping') }}

),

final as (

    select
        base.session_id,
        base.visitor_id,
        base.customer_id,
        base.started_at,
        {{ shop_date('base.started_at') }} as session_date,
        case
            when base.traffic_source is null then 'direct'
            else coalesce(traffic_source_mapping.traffic_source, 'other')
        end as traffic_source,
        base.traffic_source as source_traffic_source,
        base.campaign,
        case
            when base.device in ('desktop', 'mobile', 'tablet', 'app') then base.device
            when base.device is not null then 'other'
        end as device,
        base.unreadable_columns,
        base._load_id
    from base
    left join traffic_source_mapping
        on base.traffic_source = traffic_source_mapping.source_value

)

select * from final
