{#
    preference_rank: the ranking every "top", "preferred" and "favourite"
    value of the customer facts uses. Highest measure first; a tie goes to
    the smallest value (alphabetical for text, lowest number for weekdays
    and hours). Rank 1 is the winner. Callers filter out null values first.
#}
{% macro preference_rank(partition_by, measure, value) -%}
    row_number() over (partition by {{ partition_by }} order by {{ measure }} desc, {{ value }} asc)
{%- endmacro %}


{#
    age_band(birth_date, as_of_date): age in completed years on the as-of
    date, banded: under 18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+; unknown
    when there is no birth date or it is after the as-of date. Someone born
    on 2000-06-30 is 24 on 2024-06-30 (the birthday counts).
#}
{% macro age_in_years(birth_date, as_of_date) -%}
    (
        extract(year from {{ as_of_date }}) - extract(year from {{ birth_date }})
        - case
            when extract(month from {{ as_of_date }}) * 100 + extract(day from {{ as_of_date }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
                then 1
            else 0
        end
    )
{%- endmacro %}

{% macro age_band(birth_date, as_of_date) -%}
    {%- set age = age_in_years(birth_date, as_of_date) -%}
    case
        when {{ birth_date }} is null or {{ birth_date }} > {{ as_of_date }} then 'unknown'
        when {{ age }} < 18 then 'under 18'
        when {{ age }} < 25 then '18-24'
        when {{ age }} < 35 then '25-34'
        when {{ age }} < 45 then '35-44'
        when {{ age }} < 55 then '45-54'
        when {{ age }} < 65 then '55-64'
        else '65+'
    end
{%- endmacro %}

{# The bands in order (used for the median age band); 'unknown' is not ranked. #}
{% macro age_band_values() -%}
    {{ return(['under 18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+']) }}
{%- endmacro %}


{#
    divide_money(amount, count): amount / count rounded half up to cents,
    computed exactly in whole cents (integer arithmetic), returned as
    decimal(18,2). Null when count is 0 or null. For amount >= 0 (net
    revenue never goes below 0).
#}
{% macro divide_money(amount, count) -%}
    case
        when {{ count }} > 0 then
            cast(
                cast(
                    {{ ecommerce_segmentation.integer_divide(
                        'cast(' ~ amount ~ ' * 100 as ' ~ dbt.type_bigint() ~ ') * 2 + ' ~ count,
                        '2 * ' ~ count) }}
                as decimal(38, 0)) * 0.01
            as decimal(18, 2))
    end
{%- endmacro %}


{#
    top_values_list(value_column, rank_column, n, separator): inside a
    group by, the values ranked 1..n joined in rank order with separator
    (missing ranks are skipped; null when there is none). Portable (concat_ws exists on DuckDB and
    Spark; dbt.listagg has no Spark 3.5 implementation).
#}
{% macro top_values_list(value_column, rank_column, n=3, separator=' | ') -%}
    nullif(concat_ws('{{ separator }}'
        {%- for i in range(1, n + 1) %},
        max(case when {{ rank_column }} = {{ i }} then {{ value_column }} end)
        {%- endfor %}
    ), '')
{%- endmacro %}
