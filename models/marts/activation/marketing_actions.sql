{#-
    The outbox for the activation system (issue #14, point 4): the marketing
    actions decided at the current as-of date, at most one per person, from
    the outbox log (int_action_outbox_log: decisions, guards, history). A key
    is decided once: a later build never publishes a key of an earlier as-of
    date again, and building twice on the same day gives the same rows.
    Control-group rows (is_control) are recorded and must not be sent.
    Customers are named by customer_id (the activation system needs it);
    everyone, anonymous visitors included, by person_key; no visitor id.
-#}
with outbox_log as (

    select * from {{ ref('int_action_outbox_log') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

final as (

    select
        cast(outbox_log.idempotency_key as {{ dbt.type_string() }}) as idempotency_key,
        cast(outbox_log.action_type as {{ dbt.type_string() }}) as action_type,
        cast(outbox_log.occasion_key as {{ dbt.type_string() }}) as occasion_key,
        cast(outbox_log.person_key as {{ dbt.type_string() }}) as person_key,
        cast(outbox_log.person_type as {{ dbt.type_string() }}) as person_type,
        cast(outbox_log.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(outbox_log.channel as {{ dbt.type_string() }}) as channel,
        cast(outbox_log.is_control as boolean) as is_control,
        cast(outbox_log.earliest_send_at as timestamp) as earliest_send_at,
        cast(outbox_log.earliest_send_shop_time as timestamp) as earliest_send_shop_time,
        cast(outbox_log.contact_hour as int) as contact_hour,
        cast(outbox_log.precedence as int) as precedence,
        cast(outbox_log.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(outbox_log.rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(outbox_log.reason as {{ dbt.type_string() }}) as reason,
        cast(outbox_log.content_label as {{ dbt.type_string() }}) as content_label,
        cast(outbox_log.content_product_ids as {{ dbt.type_string() }}) as content_product_ids,
        cast(outbox_log.content_product_names as {{ dbt.type_string() }}) as content_product_names,
        cast(outbox_log.trigger_at as timestamp) as trigger_at,
        cast(outbox_log.as_of_date as date) as as_of_date,
        cast(outbox_log.decided_at as timestamp) as decided_at
    from outbox_log
    inner join as_of
        on outbox_log.as_of_date = as_of.as_of_date

)

select * from final
