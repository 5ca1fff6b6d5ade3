{#-
    The scorecard's per-behaviour scaling (docs/scoring.md, "The scorecard:
    points"): one row per learning set, score_name and coefficient (the
    intercept and one per behaviour).

    The model is a logistic regression on the behaviours' weights of
    evidence: ln odds = intercept + sum over behaviours of coefficient x WoE
    of the person's band. It starts at the naive-Bayes scorecard
    (intercept = ln prior odds, every coefficient 1: the WoEs simply added)
    and takes var scorecard_fit_iterations steps of gradient ascent on the
    mean log-likelihood of the learning set's rows (int_scorecard_fit_inputs),
    with the step 1 / (0.25 x (1 + sum of the mean squared WoEs)), which
    cannot overshoot (it is below 1 / the curvature's largest eigenvalue).
    Correlated behaviours (visits, page views, product views all count
    activity) are added up by naive Bayes and over-weighted; the fit scales
    them down. var scorecard_fit_iterations = 0 gives the plain naive-Bayes
    scorecard. The linear predictor is clamped to [-35, 35] inside exp().
    Each step is a table of its own (macro scorecard_fit_step_tables, run
    while the model builds): step k reads step k - 1's one row per learning
    set and score. As one query the chain of steps does not scale: DuckDB
    plans it in exponential time, Spark's analyzer stops at 100 iterations
    (spark.sql.analyzer.maxIterations) near 60 steps. The model selects the
    last step's table; the step tables are dropped after the build.
-#}
{{ config(post_hook=["{{ drop_scorecard_fit_step_table(var('scorecard_fit_iterations') | int) }}"]) }}
{%- set behaviour_names = scorecard_behaviours() -%}
{%- set iterations = var('scorecard_fit_iterations') | int -%}
{%- set smoothing = 'cast(' ~ var('scorecard_woe_smoothing') ~ ' as double)' -%}
{%- set fit_0_sql -%}
select
    learning_set,
    score_name,
    1.0 / (0.25 * (1
    {%- for behaviour in behaviour_names %} + avg(woe_{{ behaviour }} * woe_{{ behaviour }}){% endfor %}))
        as step,
    ln((sum(is_positive) + {{ smoothing }}) / (count(*) - sum(is_positive) + {{ smoothing }})) as coefficient_intercept,
    {%- for behaviour in behaviour_names %}
    cast(1.0 as double) as coefficient_{{ behaviour }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('int_scorecard_fit_inputs') }}
group by learning_set, score_name
{%- endset -%}
{#- the step before, a placeholder scorecard_fit_step_tables fills in -#}
{%- set previous_step = '__previous_step__' -%}
{%- set fit_step_sql -%}
select
    learning_set,
    score_name,
    max(step) as step,
    max(coefficient_intercept) + max(step) * avg(residual) as coefficient_intercept,
    {%- for behaviour in behaviour_names %}
    max(coefficient_{{ behaviour }}) + max(step) * avg(residual * woe_{{ behaviour }})
        as coefficient_{{ behaviour }}{{ "," if not loop.last }}
    {%- endfor %}
from (
    select
        fit_inputs.learning_set,
        fit_inputs.score_name,
        fit_inputs.is_positive,
    {%- for behaviour in behaviour_names %}
        fit_inputs.woe_{{ behaviour }},
        previous.coefficient_{{ behaviour }},
    {%- endfor %}
        previous.step,
        previous.coefficient_intercept,
        fit_inputs.is_positive - 1.0 / (1.0 + exp(-greatest(-35.0, least(35.0,
            previous.coefficient_intercept
    {%- for behaviour in behaviour_names %}
            + previous.coefficient_{{ behaviour }} * fit_inputs.woe_{{ behaviour }}
    {%- endfor %}
        )))) as residual
    from {{ ref('int_scorecard_fit_inputs') }} as fit_inputs
    inner join {{ previous_step }} as previous
        on fit_inputs.learning_set = previous.learning_set
            and fit_inputs.score_name = previous.score_name
) as fit_rows
group by learning_set, score_name
{%- endset -%}
{%- set last_step = scorecard_fit_step_tables(fit_0_sql, fit_step_sql, iterations) -%}
with last_step as (

    select * from {{ last_step }}

),

coefficients as (

    select
        learning_set,
        score_name,
        '(intercept)' as behaviour,
        coefficient_intercept as coefficient
    from last_step
    {%- for behaviour in behaviour_names %}

        union all

        select
            learning_set,
            score_name,
            '{{ behaviour }}' as behaviour,
            coefficient_{{ behaviour }} as coefficient
        from last_step
    {%- endfor %}

),

final as (

    select
        cast({{ dbt.concat(['learning_set', "'|'", 'score_name', "'|'", 'behaviour']) }} as {{ dbt.type_string() }})
            as scorecard_coefficient_id,
        cast(learning_set as {{ dbt.type_string() }}) as learning_set,
        cast(score_name as {{ dbt.type_string() }}) as score_name,
        cast(behaviour as {{ dbt.type_string() }}) as behaviour,
        cast(coefficient as double) as coefficient
    from coefficients

)

select * from final
