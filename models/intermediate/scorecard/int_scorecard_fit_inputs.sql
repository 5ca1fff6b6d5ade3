{#-
    The rows the scorecard's per-behaviour scaling is fitted on
    (int_scorecard_fit): one row per learning set, target and observed
    (snapshot, person) of that learning set, with the target (is_positive)
    and one column per behaviour (macro scorecard_behaviours): the WoE of the
    person's band in that learning set, 0 for a behaviour that is not
    selected (information value below var scorecard_min_information_value).
-#}
{%- set behaviour_names = scorecard_behaviours() -%}
with behaviours as (

    select * from {{ ref('int_scorecard_behaviours') }}
    where sample <> 'scoring'

),

band_woe as (

    select * from {{ ref('int_scorecard_band_woe') }}

),

person_woe as (

    select
        band_woe.learning_set,
        band_woe.target,
        behaviours.scorecard_person_id,
        case when band_woe.target = 'buyer' then behaviours.is_buyer else behaviours.is_big_spender end as is_positive,
        behaviours.behaviour,
        case when band_woe.is_selected then band_woe.weight_of_evidence else 0 end as weight_of_evidence
    from behaviours
    inner join band_woe
        on behaviours.behaviour = band_woe.behaviour
            and behaviours.band_name = band_woe.band_name
            and (band_woe.learning_set = 'all_observed' or behaviours.sample = 'learning')

),

final as (

    select
        cast({{ dbt.concat(['learning_set', "'|'", 'target', "'|'", 'scorecard_person_id']) }}
            as {{ dbt.type_string() }}) as scorecard_fit_input_id,
        learning_set,
        target,
        scorecard_person_id,
        cast(max(case when is_positive then 1 else 0 end) as double) as is_positive,
        {%- for behaviour in behaviour_names %}
        cast(coalesce(max(case when behaviour = '{{ behaviour }}' then weight_of_evidence end), 0) as double)
            as woe_{{ behaviour }}{{ "," if not loop.last }}
        {%- endfor %}
    from person_woe
    group by learning_set, target, scorecard_person_id

)

select * from final
