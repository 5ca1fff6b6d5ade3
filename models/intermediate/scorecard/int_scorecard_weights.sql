{#-
    The scorecard's points (docs/scoring.md, "The scorecard: points"): one
    row per learning set, score_name, behaviour and band (int_scorecard_band_woe),
    plus one base row per learning set and target.

    factor = var scorecard_points_to_double_odds / ln 2; offset =
    var scorecard_base_score - factor x ln(var scorecard_base_odds).
    - A band's points = round(factor x coefficient x WoE), the coefficient of
      its behaviour from int_scorecard_fit (0 points for a behaviour that is
      not selected: its WoE enters the fit as 0; nor for one the fit dropped
      for a negative coefficient: coefficient 0). is_selected: the behaviour
      scores points (selected by information value and not dropped).
    - The base row's points = round(offset + factor x intercept).
    A person's score = base points + the points of their bands; on this scale
    a score of base_score means odds of base_odds, and every
    points_to_double_odds more points double the odds (up to rounding).
-#}
{%- set factor = '(' ~ var('scorecard_points_to_double_odds') ~ ' / ln(2))' -%}
{%- set offset = '(' ~ var('scorecard_base_score') ~ ' - ' ~ factor ~ ' * ln(' ~ var('scorecard_base_odds') ~ '))' -%}
with band_woe as (

    select * from {{ ref('int_scorecard_band_woe') }}

),

coefficients as (

    select * from {{ ref('int_scorecard_fit') }}

),

set_totals as (

    select distinct
        learning_set,
        score_name,
        learning_persons,
        learning_positives,
        snapshot_count,
        first_snapshot_date,
        last_snapshot_date
    from band_woe

),

band_rows as (

    select
        band_woe.learning_set,
        band_woe.score_name,
        'band' as row_type,
        band_woe.behaviour,
        band_woe.band_name,
        band_woe.band_order,
        band_woe.persons,
        band_woe.positives,
        band_woe.weight_of_evidence,
        band_woe.information_value,
        band_woe.is_selected and not coalesce(coefficients.is_dropped, false) as is_selected,
        case when band_woe.is_selected then coefficients.coefficient else 0 end as coefficient,
        case
            when band_woe.is_selected then round({{ factor }} * coefficients.coefficient * band_woe.weight_of_evidence)
            else 0
        end as points,
        band_woe.snapshot_count,
        band_woe.first_snapshot_date,
        band_woe.last_snapshot_date
    from band_woe
    inner join coefficients
        on band_woe.learning_set = coefficients.learning_set
            and band_woe.score_name = coefficients.score_name
            and band_woe.behaviour = coefficients.behaviour

),

base_rows as (

    select
        set_totals.learning_set,
        set_totals.score_name,
        'base' as row_type,
        '(base)' as behaviour,
        '(all)' as band_name,
        0 as band_order,
        set_totals.learning_persons as persons,
        set_totals.learning_positives as positives,
        cast(null as double) as weight_of_evidence,
        cast(null as double) as information_value,
        true as is_selected,
        coefficients.coefficient,
        round({{ offset }} + {{ factor }} * coefficients.coefficient) as points,
        set_totals.snapshot_count,
        set_totals.first_snapshot_date,
        set_totals.last_snapshot_date
    from set_totals
    inner join coefficients
        on set_totals.learning_set = coefficients.learning_set
            and set_totals.score_name = coefficients.score_name
            and coefficients.behaviour = '(intercept)'

),

unioned as (

    select * from band_rows
    union all
    select * from base_rows

),

final as (

    select
        cast(
            {{ dbt.concat(['learning_set', "'|'", 'score_name', "'|'", 'behaviour', "'|'", 'band_name']) }}
            as {{ dbt.type_string() }}
        ) as scorecard_weight_id,
        cast(learning_set as {{ dbt.type_string() }}) as learning_set,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(row_type as {{ dbt.type_string() }}) as row_type,
        cast(behaviour as {{ dbt.type_string() }}) as behaviour,
        cast(band_name as {{ dbt.type_string() }}) as band_name,
        cast(band_order as int) as band_order,
        cast(persons as bigint) as persons,
        cast(positives as bigint) as positives,
        cast(positives as double) / persons as positive_rate,
        cast(weight_of_evidence as double) as weight_of_evidence,
        cast(information_value as double) as information_value,
        is_selected,
        cast(coefficient as double) as coefficient,
        cast(points as int) as points,
        cast(snapshot_count as int) as snapshot_count,
        first_snapshot_date,
        last_snapshot_date
    from unioned

)

select * from final
