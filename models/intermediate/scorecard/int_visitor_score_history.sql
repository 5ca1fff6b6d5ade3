{#-
    Every scoring run's scores: one row per as-of date, person and score
    name, from the scoring snapshot of int_scorecard_scores. int_visitor_scores
    compares a person's score with their previous run's here (previous_score,
    is_threshold_crossed). The real-time micro-batches do not append here
    (selector realtime, docs/realtime.md): a partial day's score must not
    become the score that day's crossings are judged against.

    Incremental, append only, keyed by as_of_date, like
    customer_segment_history: a build appends the rows of its as-of date
    unless that date is already stored (idempotent; the first build of a date
    wins). `dbt build --full-refresh` starts the history over.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}

with scores as (

    select * from {{ ref('int_scorecard_scores') }}
    where snapshot_sample = 'scoring'

),

stored_dates as (

    {#- The as-of dates already in the table (none on the first build). #}
    {% if is_incremental() %}
        select distinct as_of_date from {{ this }}
    {% else %}
        select cast(null as date) as as_of_date
    {% endif %}

),

new_rows as (

    select
        scores.snapshot_date as as_of_date,
        scores.person_id,
        scores.person_type,
        scores.customer_id,
        scores.score_name,
        scores.score
    from scores
    left join stored_dates
        on scores.snapshot_date = stored_dates.as_of_date
    where stored_dates.as_of_date is null

),

final as (

    select
        cast(
            {{ dbt.concat(['cast(as_of_date as ' ~ dbt.type_string() ~ ')', "'|'", 'person_id', "'|'", 'score_name']) }}
            as {{ dbt.type_string() }}
        ) as score_history_id,
        cast(as_of_date as date) as as_of_date,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(person_type as {{ dbt.type_string() }}) as person_type,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(score as int) as score,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as recorded_at
    from new_rows

)

select * from final
