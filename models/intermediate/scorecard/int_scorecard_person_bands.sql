{#-
    The scorecard's behaviours banded: one row per snapshot and person
    (int_scorecard_person_snapshots), one band column per behaviour (macro
    scorecard_behaviours), band_<behaviour>.

    - Numeric behaviours: the band of the editable seed scorecard_bands whose
      lower_bound <= value < upper_bound (an empty bound is open; macro
      scorecard_band_matches, applied to each behaviour's distinct values);
      a null value (days_since_last_order of a person who never ordered)
      takes the behaviour's band with both bounds empty. A value in no band
      has a null band, which the test int_scorecard_person_bands_every_behaviour_banded
      stops the build on: extend the seed.
    - Categorical behaviours (traffic source of the first and latest visit,
      latest device, registered customer yes / no): the value is the band.

    Wide, not one row per behaviour (issue #12): the long table (25 rows per
    snapshot and person, 17.7M rows on the medium sample) cost more to write
    than everything that reads it, and the scorecard's fit needs the bands
    side by side again. Its readers unpivot what they count (band_woe,
    scores) in their own query.
-#}
{#- the long table this model replaced, dropped from an upgraded warehouse -#}
{{ config(pre_hook="{{ drop_retired_relation('int_scorecard_behaviours') }}") }}
{%- set numeric_behaviours = scorecard_behaviours('numeric') -%}
{%- set categorical_behaviours = scorecard_behaviours('categorical') -%}
with person_snapshots as (

    select * from {{ ref('int_scorecard_person_snapshots') }}

),

bands as (

    select * from {{ ref('scorecard_bands') }}

),

{# each numeric behaviour's distinct values with their band: the range join reads the few distinct values,
    not every person (a value in no band is left out, so the person's band is null) #}
behaviour_values as (

    {%- for behaviour in numeric_behaviours %}
        select distinct
            '{{ behaviour }}' as behaviour,
            cast({{ behaviour }} as double) as value_number
        from person_snapshots
        where {{ behaviour }} is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

value_bands as (

    select
        behaviour_values.behaviour,
        behaviour_values.value_number,
        bands.band_name
    from behaviour_values
    inner join bands
        on behaviour_values.behaviour = bands.behaviour
            and {{ scorecard_band_matches('behaviour_values.value_number', 'bands') }}

),

{# one row: each numeric behaviour's band for a missing value (both bounds empty), if it has one #}
missing_value_bands as (

    select
        {%- for behaviour in numeric_behaviours %}
            max(case when behaviour = '{{ behaviour }}' then band_name end) as band_{{ behaviour }},
        {%- endfor %}
        count(*) as missing_value_band_count
    from bands
    where lower_bound is null and upper_bound is null

),

banded as (

    select
        person_snapshots.scorecard_person_id,
        person_snapshots.snapshot_date,
        person_snapshots.snapshot_sample,
        person_snapshots.person_id,
        {%- for behaviour in numeric_behaviours %}
            case
                when person_snapshots.{{ behaviour }} is null then missing_value_bands.band_{{ behaviour }}
                else band_{{ behaviour }}.band_name
            end as band_{{ behaviour }},
        {%- endfor %}
        {%- for behaviour in categorical_behaviours %}
            person_snapshots.{{ behaviour }} as band_{{ behaviour }},
        {%- endfor %}
        person_snapshots.is_buyer,
        person_snapshots.is_big_spender
    from person_snapshots
    cross join missing_value_bands
    {%- for behaviour in numeric_behaviours %}
        left join value_bands as band_{{ behaviour }}
            on band_{{ behaviour }}.behaviour = '{{ behaviour }}'
                and cast(person_snapshots.{{ behaviour }} as double) = band_{{ behaviour }}.value_number
    {%- endfor %}

),

final as (

    select
        scorecard_person_id,
        snapshot_date,
        snapshot_sample,
        person_id,
        {%- for behaviour in numeric_behaviours + categorical_behaviours %}
            cast(band_{{ behaviour }} as {{ dbt.type_string() }}) as band_{{ behaviour }},
        {%- endfor %}
        is_buyer,
        is_big_spender
    from banded

)

select * from final
