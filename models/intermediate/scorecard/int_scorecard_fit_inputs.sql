{#-
    The rows the scorecard's per-behaviour scaling is fitted on
    (int_scorecard_fit): one row per learning set, score_name and observed
    (snapshot, person) of that learning set, with the score_name (is_positive)
    and one column per behaviour (macro scorecard_behaviours): the WoE of the
    person's band in that learning set, 0 for a behaviour that is not
    selected (information value below var scorecard_min_information_value).
-#}
{%- set behaviour_names = scorecard_behaviours() -%}
with behaviours as (

    select * from {{ ref('int_scorecard_behaviours') }}
    where snapshot_sample <> 'scoring'

),

band_woe as (

    select * from {{ ref('int_scorecard_band_woe') }}

),

person_woe as (

    select
        band_woe.learning_set,
        band_woe.score_name,
        behaviours.scorecard_person_id,
        case when band_woe.score_name = 'buyer' then behaviours.is_buyer else behaviours.is_big_spender end
            as is_positive,
        behaviours.behaviour,
        case when band_woe.is_selected then band_woe.weight_of_evidence else 0 end as weight_of_evidence
    from behaviours
    inner join band_woe
        on behaviours.behaviour = band_woe.behaviour
            and behaviours.band_name = band_woe.band_name
            and (band_woe.learning_set = 'all_observed' or behaviours.snapshot_sample = 'learning')

),

final as (

    select
        cast(
            {{ dbt.concat(['learning_set', "'|'", 'score_name', "'|'", 'scorecard_person_id']) }}
            as {{ dbt.type_string() }}
        ) as scorecard_fit_input_id,
        learning_set,
        score_name,
        scorecard_person_id,
        {%- for behaviour in behaviour_names %}
            cast(coalesce(max(case when behaviour = '{{ behaviour }}' then weight_of_evidence end), 0) as double)
                as woe_{{ behaviour }},
        {%- endfor %}
        cast(max(case when is_positive then 1 else 0 end) as double) as is_positive
    from person_woe
    group by learning_set, score_name, scorecard_person_id

)

select * from final
