{#-
    Every person seen within var scorecard_population_days of the as-of date
    (anonymous visitor or customer, stitched) with both scores, their bands
    and actions (seed score_thresholds), the previous run's score and the
    explanation (int_visitor_scores). Persons are identified by person_key
    (pseudonymous; a visitor's cookie id is personal data and never shown);
    customers also by customer_id (docs/privacy.md).
-#}
with visitor_scores as (

    select * from {{ ref('int_visitor_scores') }}

),

keyed as (

    select
        {{ pseudonymous_key('person_id') }} as person_key,
        person_type,
        customer_id,
        score_name,
        score,
        score_band,
        score_band_threshold,
        fired_action,
        previous_score,
        is_threshold_crossed,
        explanation,
        as_of_date,
        as_of_at
    from visitor_scores

),

final as (

    select
        cast({{ dbt.concat(['person_key', "'|'", 'score_name']) }} as {{ dbt.type_string() }}) as visitor_score_id,
        cast(person_key as {{ dbt.type_string() }}) as person_key,
        cast(person_type as {{ dbt.type_string() }}) as person_type,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(score as int) as score,
        cast(score_band as {{ dbt.type_string() }}) as score_band,
        cast(score_band_threshold as int) as score_band_threshold,
        cast(fired_action as {{ dbt.type_string() }}) as fired_action,
        cast(previous_score as int) as previous_score,
        cast(is_threshold_crossed as boolean) as is_threshold_crossed,
        cast(explanation as {{ dbt.type_string() }}) as explanation,
        cast(as_of_date as date) as as_of_date,
        cast(as_of_at as timestamp) as as_of_at
    from keyed

)

select * from final
