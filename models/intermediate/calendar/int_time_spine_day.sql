{#-
    One row per calendar day from var('time_spine_start_date') (inclusive) to
    var('time_spine_end_date') (exclusive): the MetricFlow time spine of the
    semantic layer (models/semantic/, docs/semantic-layer.md). Days are plain
    calendar dates (the marts' <event>_date columns are already in shop time).
-#}
with days as (
    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('" ~ var('time_spine_start_date') ~ "' as date)",
        end_date="cast('" ~ var('time_spine_end_date') ~ "' as date)"
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
