{#-
    The snapshot dates of the scorecard (docs/scoring.md, "The scorecard:
    snapshots"): one row per date d (a day in shop time) at which persons
    are described by their behaviour up to d and, for observed snapshots,
    labelled by what they did in the horizon after d.

    - Observed snapshots: var scorecard_snapshot_count dates, spaced
      var scorecard_snapshot_spacing_days apart, the latest being the as-of
      date minus var scoring_horizon_days (its horizon is fully observed).
    - snapshot_sample: the latest var scorecard_validation_snapshot_count observed
      snapshots are 'validation'; an earlier one is 'learning' when its
      horizon ends on or before the first validation date (its outcomes are
      not the validation period's), else 'gap' (learnt from only by the
      weights of all observed snapshots). The as-of date itself is the
      'scoring' snapshot (no outcome yet).
    - large_order_value: var scoring_large_order_value, or when null the 80th
      percentile (linear interpolation) of the order values of the orders
      dated on or before the as-of date.
-#}
{%- set snapshot_count = var('scorecard_snapshot_count') | int -%}
{%- set spacing = var('scorecard_snapshot_spacing_days') | int -%}
{%- set horizon = var('scoring_horizon_days') | int -%}
{%- set validation_count = var('scorecard_validation_snapshot_count') | int -%}
{%- set large_order_value = var('scoring_large_order_value') -%}
{%- if snapshot_count < 2 or validation_count < 1 or validation_count >= snapshot_count
    or spacing < 1 or horizon < 1 -%}
    {{ exceptions.raise_compiler_error(
        "scorecard vars: need scorecard_snapshot_count >= 2, "
        ~ "1 <= scorecard_validation_snapshot_count < scorecard_snapshot_count, "
        ~ "scorecard_snapshot_spacing_days >= 1 and scoring_horizon_days >= 1") }}
{%- endif -%}
{#- A learning snapshot's horizon ends on or before the first (earliest) validation snapshot. -#}
{%- set first_learning_index = ((validation_count - 1) * spacing + horizon + spacing - 1) // spacing -%}
{%- set snapshot_samples = [] -%}
{%- for index in range(snapshot_count) -%}
    {%- do snapshot_samples.append(
        'validation' if index < validation_count else ('learning' if index >= first_learning_index else 'gap')) -%}
{%- endfor -%}
{%- set horizon_end_date = dbt.dateadd('day', horizon ~ ' - snapshot_offsets.days_before_as_of', 'as_of.as_of_date') -%}
with as_of as (

    select * from {{ ref('int_as_of_date') }}

),

person_orders as (

    select * from {{ ref('int_scorecard_person_orders') }}

),

shop_order_values as (

    select percentile_cont(0.8) within group (order by person_orders.order_value) as percentile_80_order_value
    from person_orders
    cross join as_of
    where person_orders.order_date <= as_of.as_of_date

),

snapshot_offsets as (

    {%- for index in range(snapshot_count) %}
        select
            {{ index }} as snapshot_index,
            '{{ snapshot_samples[index] }}' as snapshot_sample,
            {{ horizon + index * spacing }} as days_before_as_of
        union all
    {%- endfor %}
    select
        -1 as snapshot_index,
        'scoring' as snapshot_sample,
        0 as days_before_as_of

),

final as (

    select
        cast({{ dbt.dateadd('day', '-1 * snapshot_offsets.days_before_as_of', 'as_of.as_of_date') }} as date)
            as snapshot_date,
        cast(snapshot_offsets.snapshot_index as int) as snapshot_index,
        cast(snapshot_offsets.snapshot_sample as {{ dbt.type_string() }}) as snapshot_sample,
        snapshot_offsets.snapshot_sample <> 'scoring' as is_observed,
        case
            when snapshot_offsets.snapshot_sample <> 'scoring'
                then cast({{ horizon_end_date }} as date)
        end as horizon_end_date,
        as_of.as_of_date,
        cast(
            {% if large_order_value is none %}
                shop_order_values.percentile_80_order_value
            {% else %}{{ large_order_value }}{% endif %}
            as decimal(18, 2)
        ) as large_order_value
    from snapshot_offsets
    cross join as_of
    cross join shop_order_values

)

select * from final
