{{ config(
    materialized=staging_materialization(),
    incremental_strategy='append',
    pre_hook=["{{ reset_incremental_model('campaign_sends') }}"]) }}
{#- Incremental: appends the valid rows of the load ids not seen yet (macros/staging/incremental.sql). -#}
with base as (

    select * from {{ ref('base_shop__campaign_sends') }}
    where quarantine_reason is null
        and {{ new_load_ids_filter('campaign_sends') }}

),

final as (

    select
        send_id,
        campaign_id,
        variant,
        customer_id,
        channel,
        sent_at,
        unreadable_columns,
        _load_id
    from base

)

select * from final
