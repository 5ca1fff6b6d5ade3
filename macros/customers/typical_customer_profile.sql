{#
    typical_customer_profile(customers_relation, group_by_column=none)

    Describes a group of customers in one row: returns a complete query (it
    may start with WITH; embed it as a CTE or subquery) with one row per value
    of group_by_column, or one row for all customers when it is none.

    customers_relation: a relation or CTE name with dim_customers' columns
    customer_id, age_band, gender, region, city, first_traffic_source, order_count,
    lifetime_net_revenue and top_purchased_category (plus group_by_column).

    Output columns:
      profile_group                the group value as text ('all customers'
                                   without group_by_column; '(none)' for null)
      customer_count, buyer_count  customers; those with a non-cancelled order
      median_age_band              lower median of the known age bands in band
                                   order (under 18 < 18-24 < ... < 65+)
      top_gender, top_region,
      top_city,
      top_acquisition_channel      most common non-null value (acquisition
                                   channel = first-touch traffic source)
      median_lifetime_net_revenue  exact median over buyers (mean of the two
                                   middle values for an even count, rounded
                                   half up to cents)
      top_categories               the 3 most common top_purchased_category
                                   values, ' | '-joined in rank order
    Ties in every "top" value go to the alphabetically smallest value (macro
    preference_rank). Medians are exact, from counts and running totals (no
    engine specific median/percentile, and no window over the whole group:
    macro middle_values_ctes), so DuckDB and Spark agree to the cent.
#}
{% macro typical_customer_profile(customers_relation, group_by_column=none) %}
{%- set group_expression = "'all customers'" if group_by_column is none
    else "coalesce(cast(" ~ group_by_column ~ " as " ~ dbt.type_string() ~ "), '(none)')" -%}
{%- set bands = age_band_values() -%}
{%- set tops = {
    'top_gender': 'gender',
    'top_region': 'region',
    'top_city': 'city',
    'top_acquisition_channel': 'acquisition_channel',
} -%}
with profile_customers as (

    select
        {{ group_expression }} as profile_group,
        customer_id,
        age_band,
        case age_band
            {%- for band in bands %}
            when '{{ band }}' then {{ loop.index }}
            {%- endfor %}
        end as age_band_order,
        gender,
        region,
        city,
        first_traffic_source as acquisition_channel,
        order_count,
        lifetime_net_revenue,
        top_purchased_category
    from {{ customers_relation }}

),

profile_sizes as (

    select
        profile_group,
        count(*) as customer_count,
        sum(case when order_count > 0 then 1 else 0 end) as buyer_count
    from profile_customers
    group by profile_group

),

{#- Medians without a window over the whole group (macro middle_values_ctes). #}
{{ ecommerce_segmentation.middle_values_ctes('profile_age_middles', 'profile_customers', 'profile_group', 'age_band_order') }}

profile_median_age as (

    {#- the lower median of the known bands -#}
    select
        median_group as profile_group,
        max(case when middle = 1 then median_value end) as median_age_band_order
    from profile_age_middles
    group by median_group

),

{{ ecommerce_segmentation.middle_values_ctes('profile_revenue_middles', 'profile_customers', 'profile_group',
    'lifetime_net_revenue', 'order_count > 0') }}

profile_median_revenue as (

    {#- the mean of the two middle values (the same value twice for an odd count) -#}
    select
        median_group as profile_group,
        cast(round(sum(median_value) * 0.5, 2) as decimal(18, 2)) as median_lifetime_net_revenue
    from profile_revenue_middles
    group by median_group

),
{% for output_column, value_column in tops.items() %}
profile_{{ output_column }} as (

    select
        profile_group,
        max(case when preference = 1 then ranked_value end) as {{ output_column }}
    from (
        select
            profile_group,
            ranked_value,
            {{ preference_rank('profile_group', 'customer_count', 'ranked_value') }} as preference
        from (
            select
                profile_group,
                {{ value_column }} as ranked_value,
                count(*) as customer_count
            from profile_customers
            where {{ value_column }} is not null
            group by profile_group, {{ value_column }}
        ) as counted
    ) as ranked
    group by profile_group

),
{% endfor %}

profile_top_categories as (

    select
        profile_group,
        {{ top_values_list('ranked_value', 'preference', 3, ' | ') }} as top_categories
    from (
        select
            profile_group,
            ranked_value,
            {{ preference_rank('profile_group', 'customer_count', 'ranked_value') }} as preference
        from (
            select
                profile_group,
                top_purchased_category as ranked_value,
                count(*) as customer_count
            from profile_customers
            where top_purchased_category is not null
            group by profile_group, top_purchased_category
        ) as counted
    ) as ranked
    where preference <= 3
    group by profile_group

)

select
    profile_sizes.profile_group,
    profile_sizes.customer_count,
    profile_sizes.buyer_count,
    case profile_median_age.median_age_band_order
        {%- for band in bands %}
        when {{ loop.index }} then '{{ band }}'
        {%- endfor %}
    end as median_age_band,
    {%- for output_column in tops %}
    profile_{{ output_column }}.{{ output_column }},
    {%- endfor %}
    profile_median_revenue.median_lifetime_net_revenue,
    profile_top_categories.top_categories
from profile_sizes
left join profile_median_age
    on profile_sizes.profile_group = profile_median_age.profile_group
left join profile_median_revenue
    on profile_sizes.profile_group = profile_median_revenue.profile_group
{%- for output_column in tops %}
left join profile_{{ output_column }}
    on profile_sizes.profile_group = profile_{{ output_column }}.profile_group
{%- endfor %}
left join profile_top_categories
    on profile_sizes.profile_group = profile_top_categories.profile_group
{% endmacro %}
