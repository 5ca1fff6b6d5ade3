{#-
    One row per arm of an experiment: a campaign's variant (experiment_type
    'campaign', from int_campaign_send_outcomes) or a marketing action type's
    sent ('treatment') or control group ('action', from int_action_outcomes):
    its recipients (sends / actions), converters (of them, those followed by
    an order within the attribution window) and the net revenue of those
    orders (shop currency). The statistics are in int_experiment_results.
-#}
with campaign_sends as (

    select * from {{ ref('int_campaign_send_outcomes') }}

),

action_outcomes as (

    select * from {{ ref('int_action_outcomes') }}

),

units as (

    select
        'campaign' as experiment_type,
        campaign_id as experiment_id,
        variant,
        is_control,
        is_converted,
        revenue_in_window
    from campaign_sends
    union all
    select
        'action' as experiment_type,
        action_type as experiment_id,
        variant,
        is_control,
        is_converted,
        revenue_in_window
    from action_outcomes

),

arms as (

    select
        experiment_type,
        experiment_id,
        variant,
        is_control,
        count(*) as recipients,
        sum(case when is_converted then 1 else 0 end) as converters,
        sum(revenue_in_window) as revenue
    from units
    group by experiment_type, experiment_id, variant, is_control

),

final as (

    select
        {{ dbt.concat(['experiment_type', "'|'", 'experiment_id', "'|'", 'variant']) }} as experiment_arm_id,
        experiment_type,
        experiment_id,
        variant,
        is_control,
        cast(recipients as bigint) as recipients,
        cast(converters as bigint) as converters,
        cast(revenue as decimal(38, 2)) as revenue
    from arms

)

select * from final
