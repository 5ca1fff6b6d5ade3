{#-
    Scores: one row per snapshot, person and score (score_name) for the
    snapshots that are scored: the validation snapshots with the weights
    learnt out of time (learning_set 'out_of_time', the learning snapshot_sample
    only), and the scoring snapshot (the as-of date) with the weights of all
    observed snapshots ('all_observed').

    score = the base points + the points of the person's bands of the
    selected behaviours (int_scorecard_weights); a band the learning set
    never saw scores 0. explanation (scoring snapshot only): the behaviours
    with non-zero points, highest points first, "behaviour band: +points".
    days_since_last_visit is the naive recency baseline scorecard_validation
    compares with.
-#}
{%- set behaviour_count = scorecard_behaviours() | length -%}
with person_bands as (

    select * from {{ ref('int_scorecard_person_bands') }}
    where snapshot_sample in ('validation', 'scoring')

),

{# one row per snapshot, person and behaviour: the bands unpivoted #}
behaviours as (

    {%- for behaviour in scorecard_behaviours() %}
        select
            snapshot_date,
            snapshot_sample,
            person_id,
            '{{ behaviour }}' as behaviour,
            band_{{ behaviour }} as band_name
        from person_bands
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

person_snapshots as (

    select * from {{ ref('int_scorecard_person_snapshots') }}
    where snapshot_sample in ('validation', 'scoring')

),

weights as (

    select * from {{ ref('int_scorecard_weights') }}

),

band_weights as (

    select * from weights
    where row_type = 'band' and is_selected

),

base_weights as (

    select * from weights
    where row_type = 'base'

),

contributions as (

    select
        behaviours.snapshot_date,
        behaviours.snapshot_sample,
        behaviours.person_id,
        band_weights.score_name,
        behaviours.behaviour,
        behaviours.band_name,
        band_weights.points
    from behaviours
    inner join band_weights
        on band_weights.learning_set
            = case when behaviours.snapshot_sample = 'validation' then 'out_of_time' else 'all_observed' end
            and behaviours.behaviour = band_weights.behaviour
            and behaviours.band_name = band_weights.band_name

),

person_points as (

    select
        snapshot_date,
        person_id,
        score_name,
        sum(points) as band_points
    from contributions
    group by snapshot_date, person_id, score_name

),

{# the explanation, of the scoring snapshot only: each non-zero contribution's text once, ranked #}
scoring_contributions as (

    select
        snapshot_date,
        person_id,
        score_name,
        case
            when points <> 0
                then {{ dbt.concat([
                    'behaviour', "' '", 'band_name', "': '",
                    "case when points > 0 then '+' else '' end",
                    'cast(points as ' ~ dbt.type_string() ~ ')']) }}
        end as contribution_text,
        row_number() over (
            partition by snapshot_date, person_id, score_name
            order by case when points = 0 then 1 else 0 end, points desc, behaviour asc
        ) as contribution_rank
    from contributions
    where snapshot_sample = 'scoring'

),

explanations as (

    select
        snapshot_date,
        person_id,
        score_name,
        {{ top_values_list('contribution_text', 'contribution_rank', behaviour_count, '; ') }} as explanation
    from scoring_contributions
    group by snapshot_date, person_id, score_name

),

scored as (

    select
        person_snapshots.snapshot_date,
        person_snapshots.snapshot_sample,
        person_snapshots.person_id,
        person_snapshots.person_type,
        person_snapshots.customer_id,
        base_weights.score_name,
        base_weights.points as base_points,
        base_weights.points + coalesce(person_points.band_points, 0) as score,
        explanations.explanation,
        person_snapshots.days_since_last_visit,
        case base_weights.score_name
            when 'buyer' then person_snapshots.is_buyer
            else person_snapshots.is_big_spender
        end as is_positive
    from person_snapshots
    inner join base_weights
        on base_weights.learning_set
            = case when person_snapshots.snapshot_sample = 'validation' then 'out_of_time' else 'all_observed' end
    left join person_points
        on person_snapshots.snapshot_date = person_points.snapshot_date
            and person_snapshots.person_id = person_points.person_id
            and base_weights.score_name = person_points.score_name
    left join explanations
        on person_snapshots.snapshot_date = explanations.snapshot_date
            and person_snapshots.person_id = explanations.person_id
            and base_weights.score_name = explanations.score_name

),

final as (

    select
        cast(
            {{ dbt.concat(['cast(snapshot_date as ' ~ dbt.type_string() ~ ')', "'|'",
                'person_id', "'|'", 'score_name']) }}
            as {{ dbt.type_string() }}
        ) as scorecard_score_id,
        snapshot_date,
        snapshot_sample,
        person_id,
        person_type,
        customer_id,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(base_points as int) as base_points,
        cast(score as int) as score,
        cast(explanation as {{ dbt.type_string() }}) as explanation,
        days_since_last_visit,
        is_positive
    from scored

)

select * from final
