{#-
    The learned scorecard for marketers (docs/scoring.md, "The scorecard:
    reading action_weights"): per score_name, behaviour and band the persons in
    it, their purchase rate, weight of evidence, the behaviour's information
    value and the band's points, plus one base row per score_name; learnt on all
    observed snapshots (int_scorecard_weights, learning set 'all_observed').
-#}
with weights as (

    select * from {{ ref('int_scorecard_weights') }}
    where learning_set = 'all_observed'

),

final as (

    select
        cast({{ dbt.concat(['score_name', "'|'", 'behaviour', "'|'", 'band_name']) }} as {{ dbt.type_string() }})
            as action_weight_id,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(row_type as {{ dbt.type_string() }}) as row_type,
        cast(behaviour as {{ dbt.type_string() }}) as behaviour,
        cast(band_name as {{ dbt.type_string() }}) as band_name,
        cast(band_order as int) as band_order,
        cast(persons as bigint) as visitors,
        cast(positives as bigint) as purchasers,
        cast(positive_rate as double) as purchase_rate,
        cast(weight_of_evidence as double) as weight_of_evidence,
        cast(information_value as double) as information_value,
        cast(is_selected as boolean) as is_selected,
        cast(coefficient as double) as behaviour_scaling,
        cast(points as int) as points,
        cast(snapshot_count as int) as snapshot_count,
        cast(first_snapshot_date as date) as first_snapshot_date,
        cast(last_snapshot_date as date) as last_snapshot_date
    from weights

)

select * from final
