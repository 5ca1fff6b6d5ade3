{#-
    The scorecard's behaviours in long format: one row per snapshot, person
    and behaviour (int_scorecard_person_snapshots), with the band the value
    falls in.

    - Numeric behaviours: the band of the editable seed scorecard_bands whose
      lower_bound <= value < upper_bound (an empty bound is open); a null
      value (days_since_last_order of a person who never ordered) takes the
      behaviour's band with both bounds empty. A value in no band has a null
      band_name, which the not_null test stops the build on: extend the seed.
    - Categorical behaviours (traffic source of the first and latest visit,
      latest device, registered customer yes / no): the value is the band.
-#}
{%- set numeric_behaviours = scorecard_behaviours('numeric') -%}
{%- set categorical_behaviours = scorecard_behaviours('categorical') -%}
with person_snapshots as (

    select * from {{ ref('int_scorecard_person_snapshots') }}

),

bands as (

    select * from {{ ref('scorecard_bands') }}

),

numeric_values as (

    {%- for behaviour in numeric_behaviours %}
        select
            scorecard_person_id,
            snapshot_date,
            snapshot_sample,
            person_id,
            '{{ behaviour }}' as behaviour,
            cast({{ behaviour }} as double) as value_number,
            is_buyer,
            is_big_spender
        from person_snapshots
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

categorical_values as (

    {%- for behaviour in categorical_behaviours %}
        select
            scorecard_person_id,
            snapshot_date,
            snapshot_sample,
            person_id,
            '{{ behaviour }}' as behaviour,
            cast({{ behaviour }} as {{ dbt.type_string() }}) as value_text,
            is_buyer,
            is_big_spender
        from person_snapshots
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

numeric_banded as (

    select
        numeric_values.scorecard_person_id,
        numeric_values.snapshot_date,
        numeric_values.snapshot_sample,
        numeric_values.person_id,
        numeric_values.behaviour,
        numeric_values.value_number,
        cast(null as {{ dbt.type_string() }}) as value_text,
        bands.band_name,
        bands.band_order,
        numeric_values.is_buyer,
        numeric_values.is_big_spender
    from numeric_values
    left join bands
        on numeric_values.behaviour = bands.behaviour
            and (
                (numeric_values.value_number is null and bands.lower_bound is null and bands.upper_bound is null)
                or (
                    numeric_values.value_number is not null
                    and (bands.lower_bound is not null or bands.upper_bound is not null)
                    and (bands.lower_bound is null or numeric_values.value_number >= bands.lower_bound)
                    and (bands.upper_bound is null or numeric_values.value_number < bands.upper_bound)
                )
            )

),

categorical_banded as (

    select
        scorecard_person_id,
        snapshot_date,
        snapshot_sample,
        person_id,
        behaviour,
        cast(null as double) as value_number,
        value_text,
        value_text as band_name,
        0 as band_order,
        is_buyer,
        is_big_spender
    from categorical_values

),

unioned as (

    select * from numeric_banded
    union all
    select * from categorical_banded

),

final as (

    select
        cast({{ dbt.concat(['scorecard_person_id', "'|'", 'behaviour']) }} as {{ dbt.type_string() }})
            as scorecard_behaviour_id,
        scorecard_person_id,
        snapshot_date,
        snapshot_sample,
        person_id,
        cast(behaviour as {{ dbt.type_string() }}) as behaviour,
        value_number,
        value_text,
        cast(band_name as {{ dbt.type_string() }}) as band_name,
        cast(band_order as int) as band_order,
        is_buyer,
        is_big_spender
    from unioned

)

select * from final
