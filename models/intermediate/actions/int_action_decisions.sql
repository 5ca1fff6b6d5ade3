{#-
    The audit of the marketing actions: every candidate of the as-of date
    (int_action_candidates) with what became of it and why, one row per
    idempotency key. outcome:

      emitted          decided for this as-of date (in int_action_outbox_log
                       and in marketing_actions; is_control says whether it
                       is sent or held out)
      already_emitted  the same occasion was decided at an earlier as-of date
      not_eligible     a static guard (outcome_reason: unknown customer, no
                       rule, lifecycle stage or RFM segment does not fit)
      lost             the person got another action of this as-of date
                       (outcome_reason names it and its precedence)
      capped           the person reached the frequency cap
                       (var action_cap_max_actions in action_cap_window_days
                       days) before this as-of date
-#}
{%- set cap_max = numeric_var('action_cap_max_actions', minimum=0, integer=true) -%}
{%- set cap_days = numeric_var('action_cap_window_days', minimum=1, integer=true) -%}
with candidates as (

    select * from {{ ref('int_action_candidates') }}

),

outbox_log as (

    select * from {{ ref('int_action_outbox_log') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

todays_actions as (

    select
        outbox_log.person_id,
        outbox_log.idempotency_key,
        outbox_log.action_type,
        outbox_log.precedence
    from outbox_log
    inner join as_of
        on outbox_log.as_of_date = as_of.as_of_date

),

earlier_keys as (

    select distinct outbox_log.idempotency_key
    from outbox_log
    inner join as_of
        on outbox_log.as_of_date < as_of.as_of_date

),

earlier_window_counts as (

    select
        outbox_log.person_id,
        count(*) as actions_in_window
    from outbox_log
    cross join as_of
    where outbox_log.as_of_date < as_of.as_of_date
        and outbox_log.as_of_date > {{ dbt.dateadd('day', '-' ~ cap_days, 'as_of.as_of_date') }}
    group by outbox_log.person_id

),

judged as (

    select
        candidates.idempotency_key,
        candidates.action_type,
        candidates.occasion_key,
        candidates.person_id,
        candidates.person_type,
        candidates.customer_id,
        candidates.person_key,
        candidates.lifecycle_stage,
        candidates.rfm_segment,
        candidates.channel,
        candidates.precedence,
        candidates.trigger_at,
        candidates.reason,
        candidates.is_control,
        candidates.as_of_date,
        case
            when todays_actions.idempotency_key = candidates.idempotency_key then 'emitted'
            when earlier_keys.idempotency_key is not null then 'already_emitted'
            when candidates.ineligible_reason is not null then 'not_eligible'
            when todays_actions.idempotency_key is not null then 'lost'
            when coalesce(earlier_window_counts.actions_in_window, 0) >= {{ cap_max }} then 'capped'
            else 'not_decided'
        end as outcome,
        case
            when todays_actions.idempotency_key = candidates.idempotency_key then null
            when earlier_keys.idempotency_key is not null
                then 'the same occasion was decided at an earlier as-of date'
            when candidates.ineligible_reason is not null then candidates.ineligible_reason
            when todays_actions.idempotency_key is not null
                then {{ dbt.concat([
                    "'the person got '", 'todays_actions.action_type', "' (precedence '",
                    'cast(todays_actions.precedence as ' ~ dbt.type_string() ~ ')', "')'"]) }}
            when coalesce(earlier_window_counts.actions_in_window, 0) >= {{ cap_max }}
                then {{ dbt.concat([
                    'cast(earlier_window_counts.actions_in_window as ' ~ dbt.type_string() ~ ')',
                    "' actions in the last " ~ cap_days ~ " days: the frequency cap is " ~ cap_max ~ "'"]) }}
            else 'the log model was not built with this candidate (a partial build)'
        end as outcome_reason
    from candidates
    left join todays_actions
        on candidates.person_id = todays_actions.person_id
    left join earlier_keys
        on candidates.idempotency_key = earlier_keys.idempotency_key
    left join earlier_window_counts
        on candidates.person_id = earlier_window_counts.person_id

),

final as (

    select
        idempotency_key,
        action_type,
        occasion_key,
        person_id,
        person_type,
        customer_id,
        person_key,
        lifecycle_stage,
        rfm_segment,
        channel,
        precedence,
        trigger_at,
        reason,
        is_control,
        as_of_date,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(outcome_reason as {{ dbt.type_string() }}) as outcome_reason
    from judged

)

select * from final
