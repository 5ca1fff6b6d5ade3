{#-
    The scorecard's per-behaviour scaling (docs/scoring.md, "The scorecard:
    points"): one row per learning set, score_name and coefficient (the
    intercept and one per behaviour).

    The model is a logistic regression on the behaviours' weights of
    evidence: ln odds = intercept + sum over behaviours of coefficient x WoE
    of the person's band, fitted on the learning set's rows
    (int_scorecard_fit_inputs) to convergence by Newton steps with an L2
    penalty of var scorecard_fit_l2_penalty on the behaviour coefficients
    (not the intercept): the coefficients scikit-learn's
    LogisticRegression(C = 1 / penalty) gives on the same WoE matrix. Correlated
    behaviours (visits, page views, product views all count activity) would be
    added up by naive Bayes and over-weighted; the fit scales them down. A
    behaviour whose coefficient comes out negative is dropped (coefficient 0,
    is_dropped) and the others refitted, round after round, until none is
    negative (the standard scorecard rule: no band scores against its own
    weight of evidence). Macro scorecard_fit_newton_steps runs the steps
    while the model builds, a query each (as one query the chain of steps
    does not scale on DuckDB nor on Spark); at most var
    scorecard_fit_max_iterations steps, converged when no coefficient changes by
    var scorecard_fit_tolerance or more.
-#}
{{ config(post_hook=["{{ drop_scorecard_fit_result() }}"]) }}
{%- set behaviour_names = scorecard_behaviours() -%}
{%- set result = scorecard_fit_newton_steps(
    ref('int_scorecard_fit_inputs'),
    behaviour_names,
    var('scorecard_fit_l2_penalty'),
    var('scorecard_fit_max_iterations') | int,
    var('scorecard_fit_tolerance'),
    'cast(' ~ var('scorecard_woe_smoothing') ~ ' as double)'
) -%}
with fit_result as (

    select * from {{ result }}

),

coefficients as (

    select
        learning_set,
        score_name,
        '(intercept)' as behaviour,
        coefficient_intercept as coefficient,
        false as is_dropped,
        fit_iterations,
        dropped_behaviours
    from fit_result
    {%- for behaviour in behaviour_names %}

        union all

        select
            learning_set,
            score_name,
            '{{ behaviour }}' as behaviour,
            coefficient_{{ behaviour }} as coefficient,
            is_dropped_{{ behaviour }} as is_dropped,
            fit_iterations,
            dropped_behaviours
        from fit_result
    {%- endfor %}

),

final as (

    select
        cast({{ dbt.concat(['learning_set', "'|'", 'score_name', "'|'", 'behaviour']) }} as {{ dbt.type_string() }})
            as scorecard_coefficient_id,
        cast(learning_set as {{ dbt.type_string() }}) as learning_set,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(behaviour as {{ dbt.type_string() }}) as behaviour,
        cast(coefficient as double) as coefficient,
        cast(is_dropped as boolean) as is_dropped,
        cast(fit_iterations as int) as fit_iterations,
        cast(dropped_behaviours as {{ dbt.type_string() }}) as dropped_behaviours
    from coefficients

)

select * from final
