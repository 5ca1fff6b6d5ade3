{#-
    Lint harness of macros/activation/ (analyses/macro_lint/README.md):
    every macro that writes SQL, once per variant.
-#}
{%- set fits = [
    {'learning_set': 'all_observed', 'score_name': 'buyer', 'steps': 7, 'dropped': ['visit_count'],
        'beta': {'intercept': -2.5, 'visit_count': 0.0, 'search_count': 0.75}},
    {'learning_set': 'out_of_time', 'score_name': 'buyer', 'steps': 6, 'dropped': [],
        'beta': {'intercept': -2.25, 'visit_count': 0.125, 'search_count': 0.5}}
] -%}
with sessions as (

    select * from {{ ref('int_sessions_stitched') }}

),

fit_result as (
    {%- set behaviours = ['visit_count', 'search_count'] %}
    {{- scorecard_fit_coefficient_rows(fits, ['intercept'] + behaviours, behaviours) | indent(4) }}
),

no_fit_result as (
    {{- scorecard_fit_coefficient_rows([], ['intercept', 'visit_count'], ['visit_count']) | indent(4) }}
),

final as (

    select
        session_id,
        {{ person_id('customer_id', 'visitor_id') }} as person_id,
        {{ hash_bucket('visitor_id', 100) }} as visitor_bucket,
        {{ ecommerce_segmentation.default__hash_bucket('visitor_id', 100) }} as portable_visitor_bucket
    from sessions
    where
        session_id not in (select fit_result.learning_set from fit_result)
        and session_id not in (select no_fit_result.score_name from no_fit_result)

)

select * from final
