{#-
    One row per arm of an experiment (int_experiment_arms: a campaign's
    variant, or a marketing action type's sent or control group). Per arm: recipients,
    converters, conversion rate, revenue per recipient; against the
    experiment's control arm (all its control rows together): absolute uplift
    with a Wald confidence interval (unpooled standard error, normal quantile
    var experiment_ci_z), relative uplift, the pooled two-proportion z-test
    and its two-sided p-value (null on the control arm, or without a control
    arm, or when the pooled variance is 0). Per experiment: the
    sample-ratio-mismatch chi-square of the arms' recipients against the
    planned split (campaigns: var campaign_planned_splits; actions: var
    action_control_group_percent) with k - 1 degrees of freedom (k = arms
    planned with a share above 0), its p-value, and the flag when it is below
    var srm_alert_p_value or when an arm got recipients it was planned none.
    Statistics: macros/experiments/statistics.sql, docs/experiments.md.
-#}
{%- set ci_z = numeric_var('experiment_ci_z', minimum=0) -%}
{%- set srm_alert = numeric_var('srm_alert_p_value', minimum=0) -%}
{%- set control_share = numeric_var('action_control_group_percent', minimum=0) | float / 100 -%}
{%- set plans = var('campaign_planned_splits') or {} -%}
{%- if plans is not mapping -%}
    {{ exceptions.raise_compiler_error("var('campaign_planned_splits') must be a dict {campaign_id: {variant: share}}; got " ~ plans) }}
{%- endif -%}
{%- set plan_rows = [] -%}
{%- for campaign_id, split in plans.items() -%}
    {%- if split is not mapping -%}
        {{ exceptions.raise_compiler_error("var('campaign_planned_splits'): the plan of " ~ campaign_id ~ " must be a dict {variant: share}; got " ~ split) }}
    {%- endif -%}
    {%- for variant, share in split.items() -%}
        {%- if share is not number or share < 0 -%}
            {{ exceptions.raise_compiler_error("var('campaign_planned_splits'): share of " ~ campaign_id ~ " / " ~ variant ~ " must be a number >= 0; got " ~ share) }}
        {%- endif -%}
        {%- do plan_rows.append((campaign_id | string, variant | string, share)) -%}
    {%- endfor -%}
{%- endfor -%}
with arms as (

    select * from {{ ref('int_experiment_arms') }}

),

campaign_plan_weights as (

    {#- var campaign_planned_splits as rows ('*': every campaign not listed) #}
    {%- if plan_rows | length == 0 %}
        select
            cast(null as {{ dbt.type_string() }}) as plan_campaign_id,
            cast(null as {{ dbt.type_string() }}) as variant,
            cast(null as double) as planned_weight
        from arms
        where false
    {%- else %}
        {%- for campaign_id, variant, share in plan_rows %}
        select
            cast('{{ campaign_id | replace("'", "''") }}' as {{ dbt.type_string() }}) as plan_campaign_id,
            cast('{{ variant | replace("'", "''") }}' as {{ dbt.type_string() }}) as variant,
            cast({{ share }} as double) as planned_weight
    {%- if not loop.last %}
        union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}

),

campaign_ids as (

    select distinct experiment_id
    from arms
    where experiment_type = 'campaign'

),

listed_plans as (

    select distinct plan_campaign_id
    from campaign_plan_weights
    where plan_campaign_id <> '*'

),

campaign_plan_keys as (

    {#- a campaign's own plan, else the '*' plan #}
    select
        campaign_ids.experiment_id,
        coalesce(listed_plans.plan_campaign_id, '*') as plan_campaign_id
    from campaign_ids
    left join listed_plans
        on campaign_ids.experiment_id = listed_plans.plan_campaign_id

),

campaign_plans as (

    select
        campaign_plan_keys.experiment_id,
        campaign_plan_weights.variant,
        campaign_plan_weights.planned_weight
    from campaign_plan_keys
    inner join campaign_plan_weights
        on campaign_plan_keys.plan_campaign_id = campaign_plan_weights.plan_campaign_id

),

action_plans as (

    select distinct
        experiment_id,
        'treatment' as variant,
        cast({{ 1 - control_share }} as double) as planned_weight
    from arms
    where experiment_type = 'action'
    union all
    select distinct
        experiment_id,
        'control' as variant,
        cast({{ control_share }} as double) as planned_weight
    from arms
    where experiment_type = 'action'

),

plans as (

    select
        'campaign' as experiment_type,
        experiment_id,
        variant,
        planned_weight
    from campaign_plans
    union all
    select
        'action' as experiment_type,
        experiment_id,
        variant,
        planned_weight
    from action_plans

),

planned_shares as (

    select
        experiment_type,
        experiment_id,
        variant,
        planned_weight / nullif(sum(planned_weight) over (partition by experiment_type, experiment_id), 0)
            as planned_share
    from plans

),

experiment_totals as (

    select
        experiment_type,
        experiment_id,
        sum(recipients) as experiment_recipients
    from arms
    group by experiment_type, experiment_id

),

srm_cells as (

    {#- every planned arm and every observed arm: observed vs expected recipients #}
    select
        coalesce(arms.experiment_type, planned_shares.experiment_type) as experiment_type,
        coalesce(arms.experiment_id, planned_shares.experiment_id) as experiment_id,
        coalesce(arms.recipients, 0) as observed,
        planned_shares.planned_share,
        planned_shares.experiment_id is not null as is_planned
    from arms
    full outer join planned_shares
        on
            arms.experiment_type = planned_shares.experiment_type
            and arms.experiment_id = planned_shares.experiment_id
            and arms.variant = planned_shares.variant

),

srm_expected as (

    select
        srm_cells.experiment_type,
        srm_cells.experiment_id,
        srm_cells.observed,
        srm_cells.planned_share,
        srm_cells.is_planned,
        experiment_totals.experiment_recipients * srm_cells.planned_share as expected
    from srm_cells
    inner join experiment_totals
        on
            srm_cells.experiment_type = experiment_totals.experiment_type
            and srm_cells.experiment_id = experiment_totals.experiment_id

),

srm as (

    select
        srm_expected.experiment_type,
        srm_expected.experiment_id,
        max(case when srm_expected.is_planned then 1 else 0 end) = 1 as has_plan,
        max(case when srm_expected.observed > 0 and coalesce(srm_expected.planned_share, 0) = 0 then 1 else 0 end) = 1
            as has_unplanned_arm,
        sum(case when srm_expected.planned_share > 0 then 1 else 0 end) - 1 as degrees_of_freedom,
        sum(
            case
                when srm_expected.planned_share > 0
                    then power(srm_expected.observed - srm_expected.expected, 2) / srm_expected.expected
            end
        ) as chi_square
    from srm_expected
    group by srm_expected.experiment_type, srm_expected.experiment_id

),

srm_tests as (

    select
        experiment_type,
        experiment_id,
        has_plan,
        case when has_plan and not has_unplanned_arm and degrees_of_freedom >= 1 then chi_square end
            as srm_chi_square,
        case
            when has_plan and not has_unplanned_arm and degrees_of_freedom >= 1
                then {{ chi_square_p_value('chi_square', 'degrees_of_freedom') }}
        end as srm_p_value,
        has_plan and has_unplanned_arm as has_unplanned_arm
    from srm

),

controls as (

    select
        experiment_type,
        experiment_id,
        sum(recipients) as control_recipients,
        sum(converters) as control_converters
    from arms
    where is_control
    group by experiment_type, experiment_id

),

rates as (

    select
        arms.experiment_arm_id,
        arms.experiment_type,
        arms.experiment_id,
        arms.variant,
        arms.is_control,
        arms.recipients,
        arms.converters,
        arms.revenue,
        cast(arms.converters as double) / arms.recipients as conversion_rate,
        controls.control_recipients,
        controls.control_converters,
        cast(controls.control_converters as double) / controls.control_recipients as control_conversion_rate,
        cast(arms.converters + controls.control_converters as double)
        / (arms.recipients + controls.control_recipients) as pooled_rate,
        1.0 / arms.recipients + 1.0 / controls.control_recipients as inverse_sizes,
        (cast(arms.converters as double) / arms.recipients)
        * (1 - cast(arms.converters as double) / arms.recipients) / arms.recipients as arm_variance,
        (cast(controls.control_converters as double) / controls.control_recipients)
        * (1 - cast(controls.control_converters as double) / controls.control_recipients)
        / controls.control_recipients as control_variance
    from arms
    left join controls
        on
            arms.experiment_type = controls.experiment_type
            and arms.experiment_id = controls.experiment_id

),

comparisons as (

    select
        rates.*,
        case when not rates.is_control then rates.conversion_rate - rates.control_conversion_rate end
            as absolute_uplift,
        case
            when not rates.is_control
                then sqrt(rates.arm_variance + rates.control_variance)
        end as uplift_standard_error,
        case
            when not rates.is_control
                then (rates.conversion_rate - rates.control_conversion_rate)
                    / nullif(sqrt(rates.pooled_rate * (1 - rates.pooled_rate) * rates.inverse_sizes), 0)
        end as z_score
    from rates

),

final as (

    select
        comparisons.experiment_arm_id,
        comparisons.experiment_type,
        comparisons.experiment_id,
        comparisons.variant,
        comparisons.is_control,
        cast(comparisons.recipients as bigint) as recipients,
        cast(comparisons.converters as bigint) as converters,
        cast(comparisons.conversion_rate as double) as conversion_rate,
        cast(comparisons.revenue as decimal(38, 2)) as revenue,
        cast(comparisons.revenue / comparisons.recipients as decimal(18, 2)) as revenue_per_recipient,
        cast(comparisons.control_recipients as bigint) as control_recipients,
        cast(comparisons.control_converters as bigint) as control_converters,
        cast(comparisons.control_conversion_rate as double) as control_conversion_rate,
        cast(comparisons.absolute_uplift as double) as absolute_uplift,
        cast(comparisons.absolute_uplift - {{ ci_z }} * comparisons.uplift_standard_error as double)
            as absolute_uplift_ci_lower,
        cast(comparisons.absolute_uplift + {{ ci_z }} * comparisons.uplift_standard_error as double)
            as absolute_uplift_ci_upper,
        cast(
            case
                when not comparisons.is_control
                    then comparisons.conversion_rate / nullif(comparisons.control_conversion_rate, 0) - 1
            end as double
        ) as relative_uplift,
        cast(comparisons.z_score as double) as z_score,
        cast({{ two_sided_p_value('comparisons.z_score') }} as double) as p_value,
        cast(planned_shares.planned_share as double) as planned_share,
        cast(srm_tests.srm_chi_square as double) as srm_chi_square,
        cast(srm_tests.srm_p_value as double) as srm_p_value,
        cast(
            case
                when srm_tests.has_unplanned_arm then true
                when srm_tests.srm_p_value is not null then srm_tests.srm_p_value < {{ srm_alert }}
            end as boolean
        ) as is_sample_ratio_mismatch
    from comparisons
    inner join srm_tests
        on
            comparisons.experiment_type = srm_tests.experiment_type
            and comparisons.experiment_id = srm_tests.experiment_id
    left join planned_shares
        on
            comparisons.experiment_type = planned_shares.experiment_type
            and comparisons.experiment_id = planned_shares.experiment_id
            and comparisons.variant = planned_shares.variant

)

select * from final
