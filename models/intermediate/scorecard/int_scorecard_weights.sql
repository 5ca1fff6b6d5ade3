{#-
    The learned scorecard (docs/scoring.md, "The scorecard"): per learning
    set, target, behaviour and band, the weight of evidence and points, plus
    one base row per learning set and target.

    - learning_set 'all_observed': every observed snapshot (learning, gap and
      validation samples pooled): the weights that score today's persons and
      that action_weights publishes. 'out_of_time': the learning sample only,
      the weights scorecard_validation scores the validation snapshots with.
    - target 'buyer' (is_buyer) and 'big_spender' (is_big_spender); positives
      = persons with the target, negatives = the others, counted over
      (snapshot, person) rows.
    - Weight of evidence, with s = var scorecard_woe_smoothing (default 0.5)
      added to every cell so an empty cell stays finite, B = the behaviour's
      bands seen in the learning set:
        positive_share = (positives in band + s) / (all positives + s * B)
        negative_share = (negatives in band + s) / (all negatives + s * B)
        WoE = ln(positive_share / negative_share)
      information value (of the behaviour) = sum over its bands of
      (positive_share - negative_share) * WoE.
    - Points: factor = var scorecard_points_to_double_odds / ln 2, offset =
      var scorecard_base_score - factor * ln(var scorecard_base_odds). A
      behaviour is selected when its information value >=
      var scorecard_min_information_value; a band of a selected behaviour
      scores round(factor * WoE) points, any other 0. The base row's points =
      round(offset + factor * ln(prior odds)), prior odds = (positives + s) /
      (negatives + s) over the learning set. Score = base points + the points
      of the person's bands (an additive, naive-Bayes scorecard).
-#}
{%- set smoothing = var('scorecard_woe_smoothing') -%}
{%- set factor = '(' ~ var('scorecard_points_to_double_odds') ~ ' / ln(2))' -%}
{%- set offset = '(' ~ var('scorecard_base_score') ~ ' - ' ~ factor ~ ' * ln(' ~ var('scorecard_base_odds') ~ '))' -%}
with behaviours as (

    select * from {{ ref('int_scorecard_behaviours') }}
    where sample <> 'scoring'

),

person_snapshots as (

    select * from {{ ref('int_scorecard_person_snapshots') }}
    where sample <> 'scoring'

),

sample_counts as (

    select
        sample,
        behaviour,
        band_name,
        band_order,
        count(*) as persons,
        sum(case when is_buyer then 1 else 0 end) as buyers,
        sum(case when is_big_spender then 1 else 0 end) as big_spenders
    from behaviours
    group by sample, behaviour, band_name, band_order

),

set_counts as (

    select
        'all_observed' as learning_set,
        behaviour,
        band_name,
        band_order,
        sum(persons) as persons,
        sum(buyers) as buyers,
        sum(big_spenders) as big_spenders
    from sample_counts
    group by behaviour, band_name, band_order

    union all

    select
        'out_of_time' as learning_set,
        behaviour,
        band_name,
        band_order,
        sum(persons) as persons,
        sum(buyers) as buyers,
        sum(big_spenders) as big_spenders
    from sample_counts
    where sample = 'learning'
    group by behaviour, band_name, band_order

),

band_counts as (

    select
        learning_set,
        'buyer' as target,
        behaviour,
        band_name,
        band_order,
        persons,
        buyers as positives
    from set_counts

    union all

    select
        learning_set,
        'big_spender' as target,
        behaviour,
        band_name,
        band_order,
        persons,
        big_spenders as positives
    from set_counts

),

behaviour_totals as (

    select
        learning_set,
        target,
        behaviour,
        sum(positives) as total_positives,
        sum(persons - positives) as total_negatives,
        count(*) as band_count
    from band_counts
    group by learning_set, target, behaviour

),

band_shares as (

    select
        band_counts.learning_set,
        band_counts.target,
        band_counts.behaviour,
        band_counts.band_name,
        band_counts.band_order,
        band_counts.persons,
        band_counts.positives,
        (band_counts.positives + {{ smoothing }})
        / (behaviour_totals.total_positives + {{ smoothing }} * behaviour_totals.band_count) as positive_share,
        (band_counts.persons - band_counts.positives + {{ smoothing }})
        / (behaviour_totals.total_negatives + {{ smoothing }} * behaviour_totals.band_count) as negative_share
    from band_counts
    inner join behaviour_totals
        on band_counts.learning_set = behaviour_totals.learning_set
            and band_counts.target = behaviour_totals.target
            and band_counts.behaviour = behaviour_totals.behaviour

),

band_woe as (

    select
        *,
        ln(positive_share / negative_share) as weight_of_evidence
    from band_shares

),

behaviour_iv as (

    select
        learning_set,
        target,
        behaviour,
        sum((positive_share - negative_share) * weight_of_evidence) as information_value
    from band_woe
    group by learning_set, target, behaviour

),

set_snapshots as (

    select
        'all_observed' as learning_set,
        snapshot_date,
        is_buyer,
        is_big_spender
    from person_snapshots

    union all

    select
        'out_of_time' as learning_set,
        snapshot_date,
        is_buyer,
        is_big_spender
    from person_snapshots
    where sample = 'learning'

),

set_totals as (

    select
        learning_set,
        count(*) as persons,
        sum(case when is_buyer then 1 else 0 end) as buyers,
        sum(case when is_big_spender then 1 else 0 end) as big_spenders,
        count(distinct snapshot_date) as snapshot_count,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from set_snapshots
    group by learning_set

),

priors as (

    select
        learning_set,
        'buyer' as target,
        persons,
        buyers as positives,
        snapshot_count,
        first_snapshot_date,
        last_snapshot_date
    from set_totals

    union all

    select
        learning_set,
        'big_spender' as target,
        persons,
        big_spenders as positives,
        snapshot_count,
        first_snapshot_date,
        last_snapshot_date
    from set_totals

),

band_rows as (

    select
        band_woe.learning_set,
        band_woe.target,
        'band' as row_type,
        band_woe.behaviour,
        band_woe.band_name,
        band_woe.band_order,
        band_woe.persons,
        band_woe.positives,
        band_woe.weight_of_evidence,
        behaviour_iv.information_value,
        behaviour_iv.information_value >= {{ var('scorecard_min_information_value') }} as is_selected,
        case
            when behaviour_iv.information_value >= {{ var('scorecard_min_information_value') }}
                then round({{ factor }} * band_woe.weight_of_evidence)
            else 0
        end as points
    from band_woe
    inner join behaviour_iv
        on band_woe.learning_set = behaviour_iv.learning_set
            and band_woe.target = behaviour_iv.target
            and band_woe.behaviour = behaviour_iv.behaviour

),

base_rows as (

    select
        learning_set,
        target,
        'base' as row_type,
        '(base)' as behaviour,
        '(all)' as band_name,
        0 as band_order,
        persons,
        positives,
        cast(null as double) as weight_of_evidence,
        cast(null as double) as information_value,
        true as is_selected,
        round({{ offset }} + {{ factor }} * ln((positives + {{ smoothing }}) / (persons - positives + {{ smoothing }})))
            as points
    from priors

),

unioned as (

    select * from band_rows
    union all
    select * from base_rows

),

final as (

    select
        cast({{ dbt.concat(['unioned.learning_set', "'|'", 'unioned.target', "'|'", 'unioned.behaviour', "'|'", 'unioned.band_name']) }}
            as {{ dbt.type_string() }}) as scorecard_weight_id,
        cast(unioned.learning_set as {{ dbt.type_string() }}) as learning_set,
        cast(unioned.target as {{ dbt.type_string() }}) as target,
        cast(unioned.row_type as {{ dbt.type_string() }}) as row_type,
        cast(unioned.behaviour as {{ dbt.type_string() }}) as behaviour,
        cast(unioned.band_name as {{ dbt.type_string() }}) as band_name,
        cast(unioned.band_order as int) as band_order,
        cast(unioned.persons as bigint) as persons,
        cast(unioned.positives as bigint) as positives,
        cast(unioned.positives as double) / unioned.persons as positive_rate,
        cast(unioned.weight_of_evidence as double) as weight_of_evidence,
        cast(unioned.information_value as double) as information_value,
        unioned.is_selected,
        cast(unioned.points as int) as points,
        cast(priors.snapshot_count as int) as snapshot_count,
        priors.first_snapshot_date,
        priors.last_snapshot_date
    from unioned
    inner join priors
        on unioned.learning_set = priors.learning_set
            and unioned.target = priors.target

)

select * from final
