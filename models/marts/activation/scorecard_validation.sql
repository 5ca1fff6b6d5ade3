{#-
    Out-of-time validation of the scorecard against the recency baseline
    (int_scorecard_validation; docs/scoring.md, "The scorecard: validation").
-#}
with validation as (

    select * from {{ ref('int_scorecard_validation') }}

),

final as (

    select
        cast(scorecard_validation_id as {{ dbt.type_string() }}) as scorecard_validation_id,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(scoring_model as {{ dbt.type_string() }}) as scoring_model,
        cast(row_type as {{ dbt.type_string() }}) as row_type,
        cast(band_name as {{ dbt.type_string() }}) as band_name,
        cast(threshold as double) as threshold,
        cast(persons as bigint) as persons,
        cast(positives as bigint) as positives,
        cast(positive_rate as double) as positive_rate,
        cast(precision_rate as double) as precision_rate,
        cast(recall_rate as double) as recall_rate,
        cast(lift as double) as lift,
        cast(auc as double) as auc,
        cast(ks as double) as ks,
        cast(stated_rate as double) as stated_rate,
        cast(learning_first_date as date) as learning_first_date,
        cast(learning_last_date as date) as learning_last_date,
        cast(validation_first_date as date) as validation_first_date,
        cast(validation_last_date as date) as validation_last_date
    from validation

)

select * from final
