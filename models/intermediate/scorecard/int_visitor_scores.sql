{#-
    One row per person and score name ('buyer', 'big_spender') scored at
    the as-of date: every person (anonymous visitor or customer, stitched)
    with a visit within var scorecard_population_days of it.

    - score, explanation: int_scorecard_scores (scoring snapshot).
    - score_band / fired_action: the band of the seed score_thresholds with
      the highest threshold <= score (the lowest band when the score is below
      every threshold) and that band's action (null: none).
    - previous_score: the person's score at the latest earlier as-of date in
      int_visitor_score_history (null when none).
    - is_threshold_crossed: the band fires an action and previous_score was
      null or below the band's threshold.
    - as_of_at: the end of the as-of date in shop time, as a UTC timestamp.
-#}
with as_of as (

    select * from {{ ref('int_as_of_date') }}

),

scores as (

    select * from {{ ref('int_scorecard_scores') }}
    where snapshot_sample = 'scoring'

),

thresholds as (

    select * from {{ ref('score_thresholds') }}

),

history as (

    select * from {{ ref('int_visitor_score_history') }}

),

previous_dates as (

    select
        history.person_id,
        history.score_name,
        max(history.as_of_date) as previous_as_of_date
    from history
    cross join as_of
    where history.as_of_date < as_of.as_of_date
    group by history.person_id, history.score_name

),

previous_scores as (

    select
        history.person_id,
        history.score_name,
        history.score as previous_score
    from history
    inner join previous_dates
        on history.person_id = previous_dates.person_id
            and history.score_name = previous_dates.score_name
            and history.as_of_date = previous_dates.previous_as_of_date

),

banded as (

    select
        scores.person_id,
        scores.score_name,
        thresholds.threshold,
        thresholds.band_name,
        thresholds.action,
        row_number() over (
            partition by scores.person_id, scores.score_name
            order by
                case when thresholds.threshold <= scores.score then 0 else 1 end,
                case when thresholds.threshold <= scores.score then -thresholds.threshold else thresholds.threshold end
        ) as band_rank
    from scores
    inner join thresholds
        on scores.score_name = thresholds.score_name

),

final as (

    select
        cast({{ dbt.concat(['scores.person_id', "'|'", 'scores.score_name']) }} as {{ dbt.type_string() }})
            as visitor_score_id,
        scores.person_id,
        scores.person_type,
        scores.customer_id,
        scores.score_name,
        scores.score,
        cast(banded.band_name as {{ dbt.type_string() }}) as score_band,
        cast(banded.threshold as int) as score_band_threshold,
        cast(banded.action as {{ dbt.type_string() }}) as fired_action,
        previous_scores.previous_score,
        coalesce(
            banded.action is not null
            and (previous_scores.previous_score is null or previous_scores.previous_score < banded.threshold),
            false
        ) as is_threshold_crossed,
        scores.explanation,
        as_of.as_of_date,
        {{ from_shop_time(dbt.dateadd('day', 1, 'cast(as_of.as_of_date as timestamp)')) }} as as_of_at
    from scores
    cross join as_of
    left join banded
        on scores.person_id = banded.person_id
            and scores.score_name = banded.score_name
            and banded.band_rank = 1
    left join previous_scores
        on scores.person_id = previous_scores.person_id
            and scores.score_name = previous_scores.score_name

)

select * from final
