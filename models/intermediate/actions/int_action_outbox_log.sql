{#-
    The outbox log: every marketing action ever decided, one row per
    idempotency key, appended build by build (issue #14, point 4). The
    decision of a build is made here, against the log's own history:

      1 eligible candidates only (int_action_candidates.ineligible_reason
        null);
      2 never the same occasion twice: a key already in the log is not
        decided again, in any later build;
      3 one decision per person and as-of date: a person with a row of this
        as-of date gets nothing more (building twice the same day appends
        nothing and changes nothing);
      4 frequency cap: a person with var action_cap_max_actions rows (sent or
        control: control people face the same eligibility) in the
        var action_cap_window_days days up to the as-of date gets nothing;
      5 of what is left, per person the candidate of the lowest precedence
        (seed marketing_action_rules), then the highest trigger_value (of two
        abandoned carts the more valuable one; of two crossed scores the
        higher), then the latest trigger, then the key.

    Incremental, append only (plain append works the same on DuckDB and on
    Spark), and never rebuilt by --full-refresh (full_refresh: false): a full
    refresh must not forget what was sent. Erasure (ecomseg forget) deletes a
    person's rows by customer_id, and an anonymous visitor's by visitor_id
    (docs/privacy.md). marketing_actions publishes the rows of the current
    as-of date; int_action_decisions explains every candidate's outcome.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    full_refresh=false,
) }}
{%- set cap_max = numeric_var('action_cap_max_actions', minimum=0, integer=true) -%}
{%- set cap_days = numeric_var('action_cap_window_days', minimum=1, integer=true) -%}
with candidates as (

    select * from {{ ref('int_action_candidates') }}
    where ineligible_reason is null

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

history as (

    {#- what earlier builds decided (nothing on the first build) -#}
    {% if is_incremental() %}
        select
            idempotency_key,
            person_id,
            as_of_date
        from {{ this }}
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as idempotency_key,
            cast(null as {{ dbt.type_string() }}) as person_id,
            cast(null as date) as as_of_date
        from as_of
        where false
    {% endif %}

),

person_history as (

    select
        history.person_id,
        max(case when history.as_of_date = as_of.as_of_date then 1 else 0 end) as decided_today,
        sum(
            case
                when history.as_of_date <= as_of.as_of_date
                    and history.as_of_date > {{ dbt.dateadd('day', '-' ~ cap_days, 'as_of.as_of_date') }}
                    then 1
                else 0
            end
        ) as actions_in_window
    from history
    cross join as_of
    group by history.person_id

),

open_candidates as (

    select
        candidates.*,
        row_number() over (
            partition by candidates.person_id
            order by
                candidates.precedence asc,
                candidates.trigger_value desc nulls last,
                candidates.trigger_at desc nulls last,
                candidates.idempotency_key asc
        ) as person_rank
    from candidates
    left join history
        on candidates.idempotency_key = history.idempotency_key
    left join person_history
        on candidates.person_id = person_history.person_id
    where history.idempotency_key is null
        and coalesce(person_history.decided_today, 0) = 0
        and coalesce(person_history.actions_in_window, 0) < {{ cap_max }}

),

final as (

    select
        idempotency_key,
        action_type,
        occasion_key,
        person_id,
        person_type,
        customer_id,
        visitor_id,
        person_key,
        lifecycle_stage,
        rfm_segment,
        has_marketing_consent,
        channel,
        precedence,
        trigger_at,
        reason,
        content_label,
        content_product_ids,
        content_product_names,
        control_bucket,
        is_control,
        contact_hour,
        earliest_send_shop_time,
        earliest_send_at,
        as_of_date,
        decided_at
    from open_candidates
    where person_rank = 1

)

select * from final
