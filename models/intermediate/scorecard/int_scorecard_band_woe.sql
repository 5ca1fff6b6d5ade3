{#-
    Weight of evidence and information value (docs/scoring.md, "The
    scorecard"): one row per learning set, score_name, behaviour and band.

    - learning_set 'all_observed': every observed snapshot (learning, gap and
      validation samples pooled): the weights that score today's persons and
      that action_weights publishes. 'out_of_time': the learning sample only,
      the weights scorecard_validation scores the validation snapshots with.
    - score_name 'buyer' (is_buyer) and 'big_spender' (is_big_spender); positives
      = persons with the score_name, negatives = the others, counted over
      (snapshot, person) rows.
    - With s = var scorecard_woe_smoothing (default 0.5) added to every cell
      so an empty cell stays finite, and B = the behaviour's bands seen in the
      learning set:
        positive_share = (positives in band + s) / (all positives + s * B)
        negative_share = (negatives in band + s) / (all negatives + s * B)
        weight of evidence (WoE) = ln(positive_share / negative_share)
      information value (of the behaviour) = sum over its bands of
      (positive_share - negative_share) * WoE. A behaviour is selected (it
      scores points) when its information value >=
      var scorecard_min_information_value.
    - learning_persons / learning_positives: (snapshot, person) rows and
      positives of the whole learning set (the prior).
-#}
{%- set smoothing = 'cast(' ~ var('scorecard_woe_smoothing') ~ ' as double)' -%}
with person_bands as (

    select * from {{ ref('int_scorecard_person_bands') }}
    where snapshot_sample <> 'scoring'

),

person_snapshots as (

    select * from {{ ref('int_scorecard_person_snapshots') }}
    where snapshot_sample <> 'scoring'

),

bands as (

    select * from {{ ref('scorecard_bands') }}

),

{# per sample, behaviour and band: one group-by of the wide bands per behaviour (a null band, which the
    band's not_null test stops the build on, is not counted) #}
sample_band_counts as (

    {%- for behaviour in scorecard_behaviours() %}
        select
            snapshot_sample,
            '{{ behaviour }}' as behaviour,
            band_{{ behaviour }} as band_name,
            count(*) as persons,
            sum(case when is_buyer then 1 else 0 end) as buyers,
            sum(case when is_big_spender then 1 else 0 end) as big_spenders
        from person_bands
        where band_{{ behaviour }} is not null
        group by snapshot_sample, band_{{ behaviour }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

{# the band's order: the seed's for a numeric behaviour, 0 for a categorical one (the value is the band) #}
sample_counts as (

    select
        sample_band_counts.snapshot_sample,
        sample_band_counts.behaviour,
        sample_band_counts.band_name,
        coalesce(bands.band_order, 0) as band_order,
        sample_band_counts.persons,
        sample_band_counts.buyers,
        sample_band_counts.big_spenders
    from sample_band_counts
    left join bands
        on sample_band_counts.behaviour = bands.behaviour
            and sample_band_counts.band_name = bands.band_name

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
    where snapshot_sample = 'learning'
    group by behaviour, band_name, band_order

),

band_counts as (

    select
        learning_set,
        'buyer' as score_name,
        behaviour,
        band_name,
        band_order,
        persons,
        buyers as positives
    from set_counts

    union all

    select
        learning_set,
        'big_spender' as score_name,
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
        score_name,
        behaviour,
        sum(positives) as total_positives,
        sum(persons - positives) as total_negatives,
        count(*) as band_count
    from band_counts
    group by learning_set, score_name, behaviour

),

band_shares as (

    select
        band_counts.learning_set,
        band_counts.score_name,
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
            and band_counts.score_name = behaviour_totals.score_name
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
        score_name,
        behaviour,
        sum((positive_share - negative_share) * weight_of_evidence) as information_value
    from band_woe
    group by learning_set, score_name, behaviour

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
    where snapshot_sample = 'learning'

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
        'buyer' as score_name,
        persons,
        buyers as positives,
        snapshot_count,
        first_snapshot_date,
        last_snapshot_date
    from set_totals

    union all

    select
        learning_set,
        'big_spender' as score_name,
        persons,
        big_spenders as positives,
        snapshot_count,
        first_snapshot_date,
        last_snapshot_date
    from set_totals

),

final as (

    select
        cast(
            {{ dbt.concat(['band_woe.learning_set', "'|'", 'band_woe.score_name', "'|'",
                'band_woe.behaviour', "'|'", 'band_woe.band_name']) }}
            as {{ dbt.type_string() }}
        ) as scorecard_band_woe_id,
        cast(band_woe.learning_set as {{ dbt.type_string() }}) as learning_set,
        cast(band_woe.score_name as {{ dbt.type_string() }}) as score_name,
        band_woe.behaviour,
        band_woe.band_name,
        band_woe.band_order,
        cast(band_woe.persons as bigint) as persons,
        cast(band_woe.positives as bigint) as positives,
        cast(band_woe.positive_share as double) as positive_share,
        cast(band_woe.negative_share as double) as negative_share,
        cast(band_woe.weight_of_evidence as double) as weight_of_evidence,
        cast(behaviour_iv.information_value as double) as information_value,
        behaviour_iv.information_value >= {{ var('scorecard_min_information_value') }} as is_selected,
        cast(priors.persons as bigint) as learning_persons,
        cast(priors.positives as bigint) as learning_positives,
        cast(priors.snapshot_count as int) as snapshot_count,
        priors.first_snapshot_date,
        priors.last_snapshot_date
    from band_woe
    inner join behaviour_iv
        on band_woe.learning_set = behaviour_iv.learning_set
            and band_woe.score_name = behaviour_iv.score_name
            and band_woe.behaviour = behaviour_iv.behaviour
    inner join priors
        on band_woe.learning_set = priors.learning_set
            and band_woe.score_name = priors.score_name

)

select * from final
