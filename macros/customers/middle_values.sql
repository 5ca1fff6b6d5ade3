{#
    middle_values_ctes(prefix, relation, group_column, value_column, condition='true')

    The two middle values of value_column per value of group_column, for an
    exact median, written so that it scales on a cluster. Emits CTE
    definitions (without the leading `with`, each followed by a comma, so a
    caller puts them inside its own with-list); the last one, named
    <prefix>, has one row per group and middle position:

        median_group   the group_column value
        middle         1 or 2
        median_value   the value at sorted position (n + middle) div 2 of the
                       group's n rows with a non-null value (so both rows hold
                       the same value when n is odd)

    Median = the mean of the two median_value rows of a group; lower median
    = the middle = 1 row. Only rows of `relation` meeting `condition` count.

    Why not row_number() over (partition by group order by value): with one
    group (the whole customer base) or a few large ones, that window runs on
    one task per group on Spark. Here, as in quintile_scores:
      1. counts per (group, bucket = floor(value)) - a distributed aggregate;
      2. running totals of those counts per group - a window over one row per
         bucket, not per customer;
      3. the bucket holding each middle position, and within those buckets
         only, counts per distinct value and their running totals.
    The value at a sorted position does not depend on how ties are ordered,
    so the result equals the value picked by a row_number() over the whole
    group.
#}
{% macro middle_values_ctes(prefix, relation, group_column, value_column, condition='true') %}
{{ prefix }}_values as (

    select
        {{ group_column }} as median_group,
        {{ value_column }} as median_value,
        floor({{ value_column }}) as median_bucket
    from {{ relation }}
    where {{ value_column }} is not null and ({{ condition }})

),

{{ prefix }}_buckets as (

    select
        median_group,
        median_bucket,
        rows_in_bucket,
        sum(rows_in_bucket) over (
            partition by median_group order by median_bucket rows between unbounded preceding and current row
        ) - rows_in_bucket as rows_before,
        sum(rows_in_bucket) over (partition by median_group) as group_rows
    from (
        select
            median_group,
            median_bucket,
            count(*) as rows_in_bucket
        from {{ prefix }}_values
        group by median_group, median_bucket
    ) as bucket_counts

),

{{ prefix }}_targets as (

    {#- each middle position and the bucket that holds it #}
    select
        {{ prefix }}_buckets.median_group,
        {{ prefix }}_buckets.median_bucket,
        {{ prefix }}_buckets.rows_before,
        middles.middle,
        {{ ecommerce_segmentation.integer_divide(prefix ~ '_buckets.group_rows + middles.middle', '2') }} as target_position
    from {{ prefix }}_buckets
    cross join (  -- noqa: ST05
        select 1 as middle
        union all
        select 2 as middle
    ) as middles
    where
        {{ ecommerce_segmentation.integer_divide(prefix ~ '_buckets.group_rows + middles.middle', '2') }}
        > {{ prefix }}_buckets.rows_before
        and {{ ecommerce_segmentation.integer_divide(prefix ~ '_buckets.group_rows + middles.middle', '2') }}
        <= {{ prefix }}_buckets.rows_before + {{ prefix }}_buckets.rows_in_bucket

),

{{ prefix }}_value_ranges as (

    {#- distinct values of the target buckets only, with their positions inside the bucket -#}
    select
        median_group,
        median_bucket,
        median_value,
        sum(rows_with_value) over (
            partition by median_group, median_bucket order by median_value
            rows between unbounded preceding and current row
        ) - rows_with_value as rows_before_in_bucket,
        rows_with_value
    from (
        select
            {{ prefix }}_values.median_group,
            {{ prefix }}_values.median_bucket,
            {{ prefix }}_values.median_value,
            count(*) as rows_with_value
        from {{ prefix }}_values
        inner join (
            select distinct
                median_group,
                median_bucket
            from {{ prefix }}_targets
        ) as target_buckets
            on
                {{ prefix }}_values.median_group = target_buckets.median_group
                and {{ prefix }}_values.median_bucket = target_buckets.median_bucket
        group by {{ prefix }}_values.median_group, {{ prefix }}_values.median_bucket, {{ prefix }}_values.median_value
    ) as value_counts

),

{{ prefix }} as (

    select
        {{ prefix }}_targets.median_group,
        {{ prefix }}_targets.middle,
        {{ prefix }}_value_ranges.median_value
    from {{ prefix }}_targets
    inner join {{ prefix }}_value_ranges
        on
            {{ prefix }}_targets.median_group = {{ prefix }}_value_ranges.median_group
            and {{ prefix }}_targets.median_bucket = {{ prefix }}_value_ranges.median_bucket
            and {{ prefix }}_targets.target_position
            > {{ prefix }}_targets.rows_before + {{ prefix }}_value_ranges.rows_before_in_bucket
            and {{ prefix }}_targets.target_position
            <= {{ prefix }}_targets.rows_before + {{ prefix }}_value_ranges.rows_before_in_bucket
            + {{ prefix }}_value_ranges.rows_with_value

),
{%- endmacro %}


{#
    middle_values(relation, group_column, value_column, condition='true'):
    the same rows (median_group, middle, median_value) as one query starting
    with `with`, for the body of a model's own CTE:
        recency_middles as ( {{ '{{' }} middle_values('rfm', 'segment_name', 'recency_days') {{ '}}' }} )
#}
{% macro middle_values(relation, group_column, value_column, condition='true') -%}
with
{{ ecommerce_segmentation.middle_values_ctes('middle_values', relation, group_column, value_column, condition) }}

middle_values_result as (

    select
        median_group,
        middle,
        median_value
    from middle_values

)

select
    median_group,
    middle,
    median_value
from middle_values_result
{%- endmacro %}
