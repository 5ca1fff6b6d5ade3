{#-
    One row per campaign (campaign_sends) and variant:
    recipients, converters within the attribution window, rates, uplift
    against the control arm with its confidence interval, the two-proportion
    z-test and the sample-ratio-mismatch check. The numbers are computed in
    int_experiment_results (docs/experiments.md); the first and last send
    dates (shop time) come from the sends (the semantic layer's time
    dimension).
-#}
with experiment_results as (

    select * from {{ ref('int_experiment_results') }}
    where experiment_type = 'campaign'

),

send_outcomes as (

    select * from {{ ref('int_campaign_send_outcomes') }}

),

send_dates as (

    select
        campaign_id,
        variant,
        min({{ shop_date('sent_at') }}) as first_sent_date,
        max({{ shop_date('sent_at') }}) as last_sent_date
    from send_outcomes
    group by campaign_id, variant

),

final as (

    select
        cast(
            {{ dbt.concat(['experiment_results.experiment_id', "'|'", 'experiment_results.variant']) }}
            as {{ dbt.type_string() }}
        ) as campaign_variant_id,
        cast(experiment_results.experiment_id as {{ dbt.type_string() }}) as campaign_id,
        cast(experiment_results.variant as {{ dbt.type_string() }}) as variant,
        cast(send_dates.first_sent_date as date) as first_sent_date,
        cast(send_dates.last_sent_date as date) as last_sent_date,
        cast(experiment_results.is_control as boolean) as is_control,
        cast(experiment_results.recipients as bigint) as recipients,
        cast(experiment_results.converters as bigint) as converters,
        cast(experiment_results.conversion_rate as double) as conversion_rate,
        cast(experiment_results.revenue as decimal(38, 2)) as revenue,
        cast(experiment_results.revenue_per_recipient as decimal(18, 2)) as revenue_per_recipient,
        cast(experiment_results.control_recipients as bigint) as control_recipients,
        cast(experiment_results.control_converters as bigint) as control_converters,
        cast(experiment_results.control_conversion_rate as double) as control_conversion_rate,
        cast(experiment_results.absolute_uplift as double) as absolute_uplift,
        cast(experiment_results.absolute_uplift_ci_lower as double) as absolute_uplift_ci_lower,
        cast(experiment_results.absolute_uplift_ci_upper as double) as absolute_uplift_ci_upper,
        cast(experiment_results.relative_uplift as double) as relative_uplift,
        cast(experiment_results.z_score as double) as z_score,
        cast(experiment_results.p_value as double) as p_value,
        cast(experiment_results.planned_share as double) as planned_share,
        cast(experiment_results.srm_chi_square as double) as srm_chi_square,
        cast(experiment_results.srm_p_value as double) as srm_p_value,
        cast(experiment_results.is_sample_ratio_mismatch as boolean) as is_sample_ratio_mismatch
    from experiment_results
    left join send_dates
        on
            experiment_results.experiment_id = send_dates.campaign_id
            and experiment_results.variant = send_dates.variant

)

select * from final
