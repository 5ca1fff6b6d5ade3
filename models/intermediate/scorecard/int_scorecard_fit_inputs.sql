{#-
    The rows the scorecard's per-behaviour scaling is fitted on
    (int_scorecard_fit): one row per learning set, score_name and observed
    (snapshot, person) of that learning set, with the score_name (is_positive)
    and one column per behaviour (macro scorecard_behaviours): the WoE of the
    person's band in that learning set, 0 for a behaviour that is not
    selected (information value below var scorecard_min_information_value).

    A (snapshot, person) belongs to learning set 'all_observed' when it is
    observed, to 'out_of_time' when it is in the learning sample; its WoE per
    behaviour is looked up by band (int_scorecard_person_bands, wide), one
    join per behaviour, so no long table is grouped back into columns.
-#}
{%- set behaviour_names = scorecard_behaviours() -%}
with person_bands as (

    select * from {{ ref('int_scorecard_person_bands') }}
    where snapshot_sample <> 'scoring'

),

band_woe as (

    select * from {{ ref('int_scorecard_band_woe') }}

),

learning_sets as (

    select distinct
        learning_set,
        score_name
    from band_woe

),

set_persons as (

    select
        learning_sets.learning_set,
        learning_sets.score_name,
        person_bands.*
    from person_bands
    inner join learning_sets
        on learning_sets.learning_set = 'all_observed' or person_bands.snapshot_sample = 'learning'

),

person_woe as (

    select
        set_persons.learning_set,
        set_persons.score_name,
        set_persons.scorecard_person_id,
        {%- for behaviour in behaviour_names %}
            case when woe_{{ behaviour }}.is_selected then woe_{{ behaviour }}.weight_of_evidence else 0 end
                as woe_{{ behaviour }},
            woe_{{ behaviour }}.band_name is not null as has_band_{{ behaviour }},
        {%- endfor %}
        case when set_persons.score_name = 'buyer' then set_persons.is_buyer else set_persons.is_big_spender end
            as is_positive
    from set_persons
    {%- for behaviour in behaviour_names %}
        left join band_woe as woe_{{ behaviour }}
            on set_persons.learning_set = woe_{{ behaviour }}.learning_set
                and set_persons.score_name = woe_{{ behaviour }}.score_name
                and woe_{{ behaviour }}.behaviour = '{{ behaviour }}'
                and set_persons.band_{{ behaviour }} = woe_{{ behaviour }}.band_name
    {%- endfor %}

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
            cast(coalesce(woe_{{ behaviour }}, 0) as double) as woe_{{ behaviour }},
        {%- endfor %}
        cast(case when is_positive then 1 else 0 end as double) as is_positive
    from person_woe
    {#- as the WoE's (snapshot, person) rows: those with a band of the learning set #}
    where
        {%- for behaviour in behaviour_names %}
            {{ 'or ' if not loop.first }}has_band_{{ behaviour }}
        {%- endfor %}

)

select * from final
