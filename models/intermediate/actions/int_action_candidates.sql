{#-
    Every candidate marketing action of the as-of date (issue #14, point 4):
    the behaviour and customer-state triggers, each with the person's state,
    the rule of its action type (seed marketing_action_rules), the channel,
    the earliest send time, the control-group draw and the static guards.
    One row per idempotency key.

    - idempotency_key: hash of action type, person and occasion (occasions:
      int_action_behaviour_triggers, int_action_customer_triggers); the same
      occasion of the same person gives the same key in every build.
    - person: person_id (macro person_id: the customer id, else 'visitor:' and
      the visitor id); person_type customer | visitor; person_key the
      pseudonymous key of person_id (for a customer the customer_key of the
      marts).
    - state: lifecycle_stage and rfm_segment of a customer ('none' without
      orders, 'unknown' when the customer has no lifecycle row); 'visitor'
      for an anonymous visitor.
    - channel: a customer with marketing consent gets their preferred channel
      (a value of the contract's customers.preferred_channel; var
      action_default_channel when they have none);
      a customer without consent and an anonymous visitor get 'onsite'
      (shown on the shop's own pages, no message).
    - earliest send: "now" is the end of the as-of date in shop time (the
      start of the next shop day); a message goes out at the customer's
      preferred contact hour of that day (var action_default_contact_hour
      without one), moved out of the quiet hours (vars
      action_quiet_hours_start / _end, shop time: an hour from the start
      until midnight becomes start - 1, an hour after midnight before the
      end becomes the end); on-site at once. earliest_send_shop_time is the shop's
      wall clock, earliest_send_at the same instant in UTC.
    - control group: is_control when hash_bucket(person_id | action_type,
      100) < var action_control_group_percent: recorded, not sent.
    - ineligible_reason (null = eligible): the customer is not in the
      customer file (erased, or never delivered: no consent on record); the
      action type has no rule; the person's lifecycle stage or RFM segment
      does not fit the rule.
    What history decides (already emitted, frequency cap, one decision per
    person) is in int_action_outbox_log; every candidate's outcome in
    int_action_decisions.
-#}
{%- set control_percent = numeric_var('action_control_group_percent', minimum=0) -%}
{%- set default_hour = numeric_var('action_default_contact_hour', minimum=0, integer=true) -%}
{%- set default_channel = var('action_default_channel') -%}
{%- set quiet_start = numeric_var('action_quiet_hours_start', minimum=1, integer=true) | int -%}
{%- set quiet_end = numeric_var('action_quiet_hours_end', minimum=0, integer=true) | int -%}
{%- if quiet_start > 24 or quiet_end >= quiet_start -%}
    {{ exceptions.raise_compiler_error("vars action_quiet_hours_start / action_quiet_hours_end: quiet hours run overnight from the start hour (1-24; 24 = none before midnight) to the end hour (0 = none after midnight), end < start; got "
        ~ quiet_start ~ " / " ~ quiet_end) }}
{%- endif -%}
{%- set contract_channels = contract_staged_values('customers', 'preferred_channel') -%}
{%- if execute and default_channel not in contract_channels -%}
    {{ exceptions.raise_compiler_error("var('action_default_channel') must be one of the contract's customers.preferred_channel values "
        ~ contract_channels | join(', ') ~ "; got '" ~ default_channel ~ "'") }}
{%- endif -%}
{%- if default_hour | int > 23 -%}
    {{ exceptions.raise_compiler_error("var('action_default_contact_hour') must be an hour 0-23; got " ~ default_hour) }}
{%- endif -%}
{%- if control_percent | float > 100 -%}
    {{ exceptions.raise_compiler_error("var('action_control_group_percent') must be 0-100; got " ~ control_percent) }}
{%- endif -%}
with behaviour_triggers as (

    select * from {{ ref('int_action_behaviour_triggers') }}

),

customer_triggers as (

    select * from {{ ref('int_action_customer_triggers') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

lifecycle as (

    select * from {{ ref('int_customer_lifecycle') }}

),

rfm as (

    select * from {{ ref('int_customer_rfm') }}

),

rules as (

    select * from {{ ref('marketing_action_rules') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

activation_now as (

    {#- now: the end of the as-of date in shop time: its shop wall clock and UTC -#}
    select
        as_of_date,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as timestamp) as now_shop_time,
        {{ from_shop_time('cast(' ~ dbt.dateadd('day', 1, 'as_of_date') ~ ' as timestamp)') }} as now_at
    from as_of

),

triggers as (

    select
        action_type,
        person_id,
        occasion_key,
        trigger_at,
        reason,
        content_label,
        content_product_ids,
        content_product_names,
        trigger_value
    from behaviour_triggers
    union all
    select
        action_type,
        person_id,
        occasion_key,
        trigger_at,
        reason,
        content_label,
        content_product_ids,
        content_product_names,
        cast(null as {{ dbt.type_float() }}) as trigger_value
    from customer_triggers

),

people as (

    select
        triggers.action_type,
        triggers.person_id,
        triggers.occasion_key,
        triggers.trigger_at,
        triggers.reason,
        triggers.content_label,
        triggers.content_product_ids,
        triggers.content_product_names,
        triggers.trigger_value,
        case when triggers.person_id like 'visitor:%' then 'visitor' else 'customer' end as person_type,
        {#- the customer's id for the joins below, null for a visitor: a join on person_type = 'customer' and
            the id would be a nested loop on DuckDB (a condition on the kept side of a left join) -#}
        case when triggers.person_id like 'visitor:%' then null else triggers.person_id end as customer_key
    from triggers

),

with_state as (

    select
        people.action_type,
        people.person_id,
        people.person_type,
        people.occasion_key,
        people.trigger_at,
        people.reason,
        people.content_label,
        people.content_product_ids,
        people.content_product_names,
        people.trigger_value,
        case when people.person_type = 'customer' then people.person_id end as customer_id,
        case when people.person_type = 'visitor' then substr(people.person_id, 9) end as visitor_id,
        customers.customer_id is not null as is_known_customer,
        coalesce(customers.has_marketing_consent, false) as has_marketing_consent,
        customers.preferred_channel,
        customers.preferred_contact_hour,
        case
            when people.person_type = 'visitor' then 'visitor'
            else coalesce(lifecycle.lifecycle_stage, 'unknown')
        end as lifecycle_stage,
        case
            when people.person_type = 'visitor' then 'visitor'
            else coalesce(rfm.segment_name, 'none')
        end as rfm_segment
    from people
    left join customers
        on people.customer_key = customers.customer_id
    left join lifecycle
        on people.customer_key = lifecycle.customer_id
    left join rfm
        on people.customer_key = rfm.customer_id

),

with_rules as (

    select
        with_state.*,
        rules.precedence,
        rules.lifecycle_stages as rule_lifecycle_stages,
        rules.rfm_segments as rule_rfm_segments,
        rules.action_type is not null as has_rule,
        coalesce(
            rules.lifecycle_stages = '*'
            or {{ dbt.concat(["'|'", 'rules.lifecycle_stages', "'|'"]) }}
            like {{ dbt.concat(["'%|'", 'with_state.lifecycle_stage', "'|%'"]) }},
            false
        ) as fits_lifecycle,
        coalesce(
            rules.rfm_segments = '*'
            or {{ dbt.concat(["'|'", 'rules.rfm_segments', "'|'"]) }}
            like {{ dbt.concat(["'%|'", 'with_state.rfm_segment', "'|%'"]) }},
            false
        ) as fits_rfm
    from with_state
    left join rules
        on with_state.action_type = rules.action_type

),

channelled as (

    select
        with_rules.*,
        case
            when with_rules.person_type = 'visitor' then 'onsite'
            when not with_rules.has_marketing_consent then 'onsite'
            else coalesce(with_rules.preferred_channel, '{{ default_channel }}')
        end as channel,
        case
            when with_rules.preferred_contact_hour between 0 and 23 then with_rules.preferred_contact_hour
            else {{ default_hour }}
        end as wished_contact_hour,
        {{ hash_bucket(dbt.concat(['with_rules.person_id', "'|'", 'with_rules.action_type']), 100) }}
            as control_bucket
    from with_rules

),

quiet_hours_applied as (

    select
        channelled.*,
        case
            when channelled.wished_contact_hour >= {{ quiet_start }} then {{ quiet_start - 1 }}
            when channelled.wished_contact_hour < {{ quiet_end }} then {{ quiet_end }}
            else channelled.wished_contact_hour
        end as contact_hour
    from channelled

),

scheduled as (

    select
        quiet_hours_applied.*,
        activation_now.as_of_date,
        activation_now.now_at,
        case
            when quiet_hours_applied.channel = 'onsite' then activation_now.now_shop_time
            else {{ dbt.dateadd('hour', 'quiet_hours_applied.contact_hour', 'activation_now.now_shop_time') }}
        end as earliest_send_shop_time
    from quiet_hours_applied
    cross join activation_now

),

final as (

    select
        cast(
            {{ dbt.hash(dbt.concat(['action_type', "'|'", 'person_id', "'|'", 'occasion_key'])) }}
            as {{ dbt.type_string() }}
        ) as idempotency_key,
        cast(action_type as {{ dbt.type_string() }}) as action_type,
        cast(occasion_key as {{ dbt.type_string() }}) as occasion_key,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(person_type as {{ dbt.type_string() }}) as person_type,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast({{ pseudonymous_key('person_id') }} as {{ dbt.type_string() }}) as person_key,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(has_marketing_consent as boolean) as has_marketing_consent,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(precedence as {{ dbt.type_int() }}) as precedence,
        cast(trigger_at as timestamp) as trigger_at,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(content_label as {{ dbt.type_string() }}) as content_label,
        cast(content_product_ids as {{ dbt.type_string() }}) as content_product_ids,
        cast(content_product_names as {{ dbt.type_string() }}) as content_product_names,
        cast(trigger_value as {{ dbt.type_float() }}) as trigger_value,
        cast(control_bucket as {{ dbt.type_int() }}) as control_bucket,
        cast(control_bucket < {{ control_percent }} as boolean) as is_control,
        cast(case when channel <> 'onsite' then contact_hour end as {{ dbt.type_int() }}) as contact_hour,
        cast(earliest_send_shop_time as timestamp) as earliest_send_shop_time,
        cast({{ from_shop_time('earliest_send_shop_time') }} as timestamp) as earliest_send_at,
        cast(
            case
                when person_type = 'customer' and not is_known_customer
                    then 'unknown customer: not in the customer file (erased, or never delivered)'
                when not has_rule
                    then 'no rule for the action type in marketing_action_rules'
                when not fits_lifecycle
                    then {{ dbt.concat([
                        "'lifecycle stage '", 'lifecycle_stage', "' does not fit the rule ('",
                        'rule_lifecycle_stages', "')'"]) }}
                when not fits_rfm
                    then {{ dbt.concat([
                        "'RFM segment '", 'rfm_segment', "' does not fit the rule ('", 'rule_rfm_segments', "')'"]) }}
            end
            as {{ dbt.type_string() }}
        ) as ineligible_reason,
        cast(as_of_date as date) as as_of_date,
        cast(now_at as timestamp) as decided_at
    from scheduled

)

select * from final
