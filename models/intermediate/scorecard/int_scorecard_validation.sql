{#-
    Out-of-time validation of the scorecard (docs/scoring.md, "The
    scorecard: validation"): the validation snapshots scored with the weights
    learnt on the earlier learning snapshots only (int_scorecard_scores),
    against the naive recency baseline (score = minus days since the last
    visit: the more recent, the higher), for both scores. Rows:

    - row_type 'summary': AUC (rank-based: the probability that a random
      positive scores above a random negative, ties counted half; computed
      with mid ranks) and KS (the largest gap between the cumulative shares
      of positives and negatives over score cut-offs).
    - row_type 'threshold': persons with score >= threshold (scorecard: each
      threshold of the seed score_thresholds; baseline: "visited within N
      days" for each upper bound of the days_since_last_visit bands of
      scorecard_bands, threshold = -N): precision (positives among them),
      recall (share of all positives they hold), lift (precision / the
      positive rate of everyone).
    - row_type 'band': calibration, the observed positive rate per band
      (scorecard: the score bands of score_thresholds; baseline: the
      days_since_last_visit bands), and for the scorecard the mean rate its
      points state, 1 / (1 + exp(-(score - offset) / factor)).
-#}
{%- set factor = '(' ~ var('scorecard_points_to_double_odds') ~ ' / ln(2))' -%}
{%- set offset = '(' ~ var('scorecard_base_score') ~ ' - ' ~ factor ~ ' * ln(' ~ var('scorecard_base_odds') ~ '))' -%}
with scores as (

    select * from {{ ref('int_scorecard_scores') }}
    where snapshot_sample = 'validation'

),

snapshots as (

    select * from {{ ref('int_scorecard_snapshots') }}

),

thresholds as (

    select * from {{ ref('score_thresholds') }}

),

bands as (

    select * from {{ ref('scorecard_bands') }}
    where behaviour = 'days_since_last_visit'

),

score_names as (

    select distinct score_name from thresholds

),

periods as (

    select
        min(case when snapshot_sample = 'learning' then snapshot_date end) as learning_first_date,
        max(case when snapshot_sample = 'learning' then snapshot_date end) as learning_last_date,
        min(case when snapshot_sample = 'validation' then snapshot_date end) as validation_first_date,
        max(case when snapshot_sample = 'validation' then snapshot_date end) as validation_last_date
    from snapshots

),

scored as (

    select
        score_name,
        'scorecard' as scoring_model,
        cast(score as double) as score_value,
        case when is_positive then 1 else 0 end as is_positive,
        1 / (1 + exp(-(score - {{ offset }}) / {{ factor }})) as stated_rate
    from scores

    union all

    select
        score_name,
        'recency_baseline' as scoring_model,
        cast(-days_since_last_visit as double) as score_value,
        case when is_positive then 1 else 0 end as is_positive,
        cast(null as double) as stated_rate
    from scores

),

totals as (

    select
        score_name,
        scoring_model,
        count(*) as persons,
        sum(is_positive) as positives,
        count(*) - sum(is_positive) as negatives
    from scored
    group by score_name, scoring_model

),

score_groups as (

    select
        score_name,
        scoring_model,
        score_value,
        count(*) as persons,
        sum(is_positive) as positives,
        count(*) - sum(is_positive) as negatives
    from scored
    group by score_name, scoring_model, score_value

),

ranked_groups as (

    select
        score_name,
        scoring_model,
        score_value,
        persons,
        positives,
        sum(persons) over (
            partition by score_name, scoring_model order by score_value rows between unbounded preceding and current row
        ) - persons as persons_below,
        sum(positives) over (
            partition by score_name, scoring_model
            order by score_value desc rows between unbounded preceding and current row
        ) as positives_at_or_above,
        sum(negatives) over (
            partition by score_name, scoring_model
            order by score_value desc rows between unbounded preceding and current row
        ) as negatives_at_or_above
    from score_groups

),

summary_rows as (

    select
        ranked_groups.score_name,
        ranked_groups.scoring_model,
        'summary' as row_type,
        cast(null as {{ dbt.type_string() }}) as band_name,
        cast(null as double) as threshold,
        totals.persons,
        totals.positives,
        (
            sum(ranked_groups.positives * (ranked_groups.persons_below + (ranked_groups.persons + 1) / 2.0))
            - totals.positives * (totals.positives + 1) / 2.0
        )
        / nullif(cast(totals.positives as double) * totals.negatives, 0) as auc,
        max(abs(
            ranked_groups.positives_at_or_above / nullif(cast(totals.positives as double), 0)
            - ranked_groups.negatives_at_or_above / nullif(cast(totals.negatives as double), 0)
        )) as ks,
        cast(null as double) as stated_rate
    from ranked_groups
    inner join totals
        on ranked_groups.score_name = totals.score_name
            and ranked_groups.scoring_model = totals.scoring_model
    group by ranked_groups.score_name, ranked_groups.scoring_model, totals.persons, totals.positives, totals.negatives

),

cutoffs as (

    select
        score_name,
        'scorecard' as scoring_model,
        band_name,
        cast(threshold as double) as threshold
    from thresholds

    union all

    select
        score_names.score_name,
        'recency_baseline' as scoring_model,
        {{ dbt.concat(["'visited within '",
            'cast(cast(bands.upper_bound - 1 as int) as ' ~ dbt.type_string() ~ ')', "' days'"]) }}
            as band_name,
        cast(1 - bands.upper_bound as double) as threshold
    from bands
    cross join score_names
    where bands.upper_bound is not null

),

threshold_rows as (

    select
        cutoffs.score_name,
        cutoffs.scoring_model,
        'threshold' as row_type,
        cutoffs.band_name,
        cutoffs.threshold,
        count(scored.score_value) as persons,
        coalesce(sum(scored.is_positive), 0) as positives,
        cast(null as double) as auc,
        cast(null as double) as ks,
        cast(null as double) as stated_rate
    from cutoffs
    left join scored
        on cutoffs.score_name = scored.score_name
            and cutoffs.scoring_model = scored.scoring_model
            and cutoffs.threshold <= scored.score_value
    group by cutoffs.score_name, cutoffs.scoring_model, cutoffs.band_name, cutoffs.threshold

),

band_limits as (

    select
        score_name,
        'scorecard' as scoring_model,
        band_name,
        cast(threshold as double) as lower_value,
        cast(lead(threshold) over (partition by score_name order by threshold) as double) as upper_value
    from thresholds

    union all

    select
        score_names.score_name,
        'recency_baseline' as scoring_model,
        bands.band_name,
        cast(case when bands.upper_bound is not null then 1 - bands.upper_bound end as double) as lower_value,
        cast(case when bands.lower_bound is not null then 1 - bands.lower_bound end as double) as upper_value
    from bands
    cross join score_names

),

band_rows as (

    select
        band_limits.score_name,
        band_limits.scoring_model,
        'band' as row_type,
        band_limits.band_name,
        band_limits.lower_value as threshold,
        count(scored.score_value) as persons,
        coalesce(sum(scored.is_positive), 0) as positives,
        cast(null as double) as auc,
        cast(null as double) as ks,
        avg(scored.stated_rate) as stated_rate
    from band_limits
    left join scored
        on band_limits.score_name = scored.score_name
            and band_limits.scoring_model = scored.scoring_model
            and (band_limits.lower_value is null or band_limits.lower_value <= scored.score_value)
            and (band_limits.upper_value is null or band_limits.upper_value > scored.score_value)
    group by band_limits.score_name, band_limits.scoring_model, band_limits.band_name, band_limits.lower_value

),

unioned as (

    select * from summary_rows
    union all
    select * from threshold_rows
    union all
    select * from band_rows

),

final as (

    select
        cast({{ dbt.concat(['unioned.score_name', "'|'", 'unioned.scoring_model', "'|'", 'unioned.row_type', "'|'",
            "coalesce(unioned.band_name, '')"]) }} as {{ dbt.type_string() }}) as scorecard_validation_id,
        cast(unioned.score_name as {{ dbt.type_string() }}) as score_name,
        cast(unioned.scoring_model as {{ dbt.type_string() }}) as scoring_model,
        cast(unioned.row_type as {{ dbt.type_string() }}) as row_type,
        cast(unioned.band_name as {{ dbt.type_string() }}) as band_name,
        unioned.threshold,
        cast(unioned.persons as bigint) as persons,
        cast(unioned.positives as bigint) as positives,
        cast(unioned.positives as double) / nullif(unioned.persons, 0) as positive_rate,
        case
            when unioned.row_type = 'threshold' then cast(unioned.positives as double) / nullif(unioned.persons, 0)
        end as precision_rate,
        case
            when unioned.row_type = 'threshold' then cast(unioned.positives as double) / nullif(totals.positives, 0)
        end as recall_rate,
        case
            when unioned.row_type = 'threshold'
                then (cast(unioned.positives as double) / nullif(unioned.persons, 0))
                    / nullif(cast(totals.positives as double) / totals.persons, 0)
        end as lift,
        unioned.auc,
        unioned.ks,
        unioned.stated_rate,
        periods.learning_first_date,
        periods.learning_last_date,
        periods.validation_first_date,
        periods.validation_last_date
    from unioned
    inner join totals
        on unioned.score_name = totals.score_name
            and unioned.scoring_model = totals.scoring_model
    cross join periods

)

select * from final
