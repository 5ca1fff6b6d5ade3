{#
    quintile_scores: score a metric into quintiles 1-5, exactly and
    deterministically, with tied values sharing a score.

    For a metric over the n rows being scored:
        score = min(5, 1 + (5 * (rank - 1)) div (n - 1))      (integer arithmetic)
    where rank is SQL rank() (ties get the lowest rank) in the order in which
    better is later; with n = 1 every score is 1. better='higher' ranks the
    metric ascending (frequency, monetary); better='lower' descending
    (recency in days).

    Returns a select of (<key_column>, <score_column>) over `relation` (a ref
    or the name of a CTE). Rows with a null metric are not scored.

    How it scales: a plain rank() over the whole customer base is one window
    with no partition, which a cluster runs on a single task. Here rank is
    computed as   rank = (rows in lower buckets) + rank within own bucket,
    where bucket = floor(sort key) is monotone in the sort key: counts per
    bucket and their running total are small aggregates, and the rank inside a
    bucket is a window partitioned by bucket, which spreads over the cluster.
    The result is identical to rank() over the whole set (a pytest checks it
    against pandas).
#}
{% macro quintile_scores(relation, key_column, metric_column, better='higher', score_column='score') -%}
    {%- if better not in ('higher', 'lower') -%}
        {{ exceptions.raise_compiler_error("quintile_scores: better must be 'higher' or 'lower', got '" ~ better ~ "'") }}
    {%- endif -%}
    {%- set sort_key = metric_column if better == 'higher' else '-(' ~ metric_column ~ ')' -%}
    select
        ranked.{{ key_column }},
        cast(
            case
                when totals.n = 1 then 1
                else least(
                    5,
                    1 + {{ ecommerce_segmentation.integer_divide(
                        '5 * (coalesce(bucket_offsets.rows_before, 0) + ranked.rank_in_bucket - 1)',
                        'totals.n - 1') }}
                )
            end as {{ dbt.type_int() }}
        ) as {{ score_column }}
    from (
        select
            {{ key_column }},
            floor({{ sort_key }}) as bucket,
            rank() over (partition by floor({{ sort_key }}) order by {{ sort_key }}) as rank_in_bucket
        from {{ relation }}
        where {{ metric_column }} is not null
    ) as ranked
    inner join (  -- noqa: ST05
        select
            bucket,
            sum(rows_in_bucket) over (
                order by bucket rows between unbounded preceding and 1 preceding
            ) as rows_before
        from (
            select
                floor({{ sort_key }}) as bucket,
                count(*) as rows_in_bucket
            from {{ relation }}
            where {{ metric_column }} is not null
            group by floor({{ sort_key }})
        ) as bucket_counts
    ) as bucket_offsets
        on ranked.bucket = bucket_offsets.bucket
    cross join (  -- noqa: ST05
        select count(*) as n
        from {{ relation }}
        where {{ metric_column }} is not null
    ) as totals
{% endmacro %}
