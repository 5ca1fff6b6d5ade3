{#
    scorecard_fit_step_tables(inputs, behaviour_names, l2_penalty, max_iterations,
    tolerance, smoothing): fits the scorecard's L2-penalised logistic regression
    (docs/scoring.md, "The scorecard: points") by Newton steps while the calling
    model builds, one table per step, and returns the relation of the result
    (<model>__fit_last: one row per learning_set and score_name with
    coefficient_intercept, coefficient_<behaviour>, is_dropped_<behaviour>,
    fit_iterations and dropped_behaviours; the model selects from it).

    Objective per (learning_set, score_name) of inputs (columns is_positive and
    woe_<behaviour>): maximise sum of log-likelihoods - l2_penalty / 2 x sum of
    squared behaviour coefficients (the intercept is not penalised: what
    scikit-learn's LogisticRegression(C = 1 / l2_penalty) minimises).
    Step k + 1: the gradient and the Hessian ((1 + k) x (1 + k), k = the
    behaviours) are summed in SQL over inputs joined with step k's table; the
    Newton system is solved here (Gauss-Jordan, the penalised Hessian is
    positive definite) and the new coefficients written as step k + 1's table.
    A full Newton step can overshoot (strong behaviours, probabilities near 0
    or 1): when the penalised log-likelihood (summed with the gradient) is
    lower at a step's coefficients than where the step started, the step is
    halved instead (backtracking).
    Start: intercept = ln((positives + smoothing) / (negatives + smoothing)),
    every behaviour 0. A behaviour whose WoE is 0 on every row (not selected)
    stays exactly 0. Converged: the largest coefficient change of the step
    below tolerance. Then, the standard scorecard rule, the behaviours with a
    negative coefficient are dropped (fixed at 0, listed in dropped_behaviours
    in name order, round after round) and the rest refitted from there, until
    no coefficient is negative. More than max_iterations steps in all stop the
    build with an error.

    Why a table per step: the coefficients of step k must be known to sum
    step k + 1; as one query the chain does not scale (DuckDB plans it in
    exponential time; Spark's analyzer gives up, spark.sql.analyzer.maxIterations).
    Tables are made only when a run or build executes the model; a compile only
    names the result. Each step's predecessor is dropped once the step exists;
    the result by drop_scorecard_fit_step_table (the model's post-hook).
#}
{% macro scorecard_fit_step_tables(inputs, behaviour_names, l2_penalty, max_iterations, tolerance, smoothing) %}
    {%- set last = ecommerce_segmentation.scorecard_fit_step_relation('last') -%}
    {%- if l2_penalty | float <= 0 -%}
        {{ exceptions.raise_compiler_error("scorecard_fit_step_tables: l2_penalty must be above 0 (a behaviour whose WoE is 0 on every row has no curvature without it), got " ~ l2_penalty) }}
    {%- endif -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set lam = l2_penalty | float -%}
        {%- set names = ['intercept'] + behaviour_names -%}
        {#- the groups, their start and the behaviours that are not 0 on every row -#}
        {%- set start_sql -%}
            select
                learning_set,
                score_name,
                ln((sum(is_positive) + {{ smoothing }}) / (count(*) - sum(is_positive) + {{ smoothing }})) as start_intercept
                {%- for behaviour in behaviour_names %},
                max(abs(woe_{{ behaviour }})) as scale_{{ behaviour }}
                {%- endfor %}
            from {{ inputs }}
            group by learning_set, score_name
            order by learning_set, score_name
        {%- endset -%}
        {%- set fits = [] -%}
        {%- for row in run_query(start_sql).rows -%}
            {%- set beta = {'intercept': row['start_intercept'] | float} -%}
            {%- set active = ['intercept'] -%}
            {%- for behaviour in behaviour_names -%}
                {%- do beta.update({behaviour: 0.0}) -%}
                {%- if row['scale_' ~ behaviour] | float > 0 -%}
                    {%- do active.append(behaviour) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do fits.append({'learning_set': row['learning_set'], 'score_name': row['score_name'],
                'beta': beta, 'active': active, 'dropped': [], 'done': false,
                'accepted': none, 'objective': none, 'delta': {}, 'scale': 1.0, 'steps': 0}) -%}
        {%- endfor -%}
        {%- set state = namespace(step=0, previous=none, all_done=false) -%}
        {%- for step in range(0, max_iterations + 2) -%}
            {%- set state.step = step -%}
            {#- step's table: the current coefficients -#}
            {%- set relation = ecommerce_segmentation.scorecard_fit_step_relation(step) -%}
            {#- no learning rows (a tiny or new shop): an empty result with the same columns -#}
            {%- set rows = fits -%}
            {%- if fits | length == 0 -%}
                {%- set zeros = {} -%}
                {%- for name in names -%}
                    {%- do zeros.update({name: 0.0}) -%}
                {%- endfor -%}
                {%- set rows = [{'learning_set': '', 'score_name': '', 'steps': 0, 'dropped': [], 'beta': zeros}] -%}
            {%- endif -%}
            {%- set step_sql -%}
                {%- for fit in rows %}
                select
                    cast('{{ fit.learning_set }}' as {{ dbt.type_string() }}) as learning_set,
                    cast('{{ fit.score_name }}' as {{ dbt.type_string() }}) as score_name,
                    cast({{ fit.steps }} as int) as fit_iterations,
                    cast('{{ fit.dropped | join(",") }}' as {{ dbt.type_string() }}) as dropped_behaviours
                    {%- for name in names %},
                    cast({{ '%.17g' | format(fit.beta[name]) }} as double) as coefficient_{{ name }}
                    {%- endfor %}
                    {%- for behaviour in behaviour_names %},
                    {{ 'true' if behaviour in fit.dropped else 'false' }} as is_dropped_{{ behaviour }}
                    {%- endfor %}
                {%- if fits | length == 0 %}
                from (select 1 as no_row) as no_rows
                where 1 = 0
                {%- endif %}
                {{ 'union all' if not loop.last }}
                {%- endfor %}
            {%- endset -%}
            {%- do adapter.drop_relation(relation) -%}
            {#- adapter.execute without fetching: Spark's Thrift server returns no result set for a DDL -#}
            {%- do adapter.execute(create_table_as(false, relation, step_sql), auto_begin=false, fetch=false) -%}
            {%- if state.previous is not none -%}
                {%- do adapter.drop_relation(state.previous) -%}
            {%- endif -%}
            {%- set state.previous = relation -%}
            {%- set state.all_done = fits | selectattr('done') | list | length == fits | length -%}
            {%- if state.all_done or step > max_iterations -%}
                {%- break -%}
            {%- endif -%}
            {#- gradient and Hessian of every group at step's coefficients -#}
            {%- set sums_sql -%}
                select
                    learning_set,
                    score_name,
                    sum(is_positive * linear_predictor - ln(1.0 + exp(linear_predictor))) as log_likelihood
                    {%- for i in range(names | length) %},
                    sum(residual * x_{{ i }}) as g_{{ i }}
                    {%- for j in range(i, names | length) %},
                    sum(curvature * x_{{ i }} * x_{{ j }}) as h_{{ i }}_{{ j }}
                    {%- endfor %}
                    {%- endfor %}
                from (
                    select
                        learning_set,
                        score_name,
                        cast(1.0 as double) as x_0,
                        {%- for behaviour in behaviour_names %}
                        woe_{{ behaviour }} as x_{{ loop.index }},
                        {%- endfor %}
                        is_positive,
                        linear_predictor,
                        is_positive - 1.0 / (1.0 + exp(-linear_predictor)) as residual,
                        exp(-linear_predictor) / ((1.0 + exp(-linear_predictor)) * (1.0 + exp(-linear_predictor)))
                            as curvature
                    from (
                        select
                            fit_inputs.*,
                            greatest(-35.0, least(35.0,
                                step_coefficients.coefficient_intercept
                                {%- for behaviour in behaviour_names %}
                                + step_coefficients.coefficient_{{ behaviour }} * fit_inputs.woe_{{ behaviour }}
                                {%- endfor %}
                            )) as linear_predictor
                        from {{ inputs }} as fit_inputs
                        inner join {{ relation }} as step_coefficients
                            on fit_inputs.learning_set = step_coefficients.learning_set
                                and fit_inputs.score_name = step_coefficients.score_name
                    ) as scored
                ) as fit_rows
                group by learning_set, score_name
            {%- endset -%}
            {%- set sums = {} -%}
            {%- for row in run_query(sums_sql).rows -%}
                {%- do sums.update({row['learning_set'] ~ '|' ~ row['score_name']: row}) -%}
            {%- endfor -%}
            {%- for fit in fits if not fit.done -%}
                {%- set row = sums[fit.learning_set ~ '|' ~ fit.score_name] -%}
                {%- do fit.update({'steps': fit.steps + 1}) -%}
                {#- the penalised log-likelihood at step's coefficients -#}
                {%- set penalty = namespace(total=0.0) -%}
                {%- for name in behaviour_names -%}
                    {%- set penalty.total = penalty.total + fit.beta[name] * fit.beta[name] -%}
                {%- endfor -%}
                {%- set objective = (row['log_likelihood'] | float) - lam / 2 * penalty.total -%}
                {%- if fit.objective is not none
                        and objective < fit.objective - 1e-9 * (1 + (fit.objective | abs)) -%}
                    {#- worse than the point it stepped from: halve the step (backtracking) -#}
                    {%- do fit.update({'scale': fit.scale / 2}) -%}
                    {%- if fit.scale < 1e-6 -%}
                        {{ exceptions.raise_compiler_error("scorecard_fit_step_tables: no Newton step improves the fit of " ~ fit.learning_set ~ " / " ~ fit.score_name) }}
                    {%- endif -%}
                    {%- for name in fit.delta -%}
                        {%- do fit.beta.update({name: fit.accepted[name] + fit.scale * fit.delta[name]}) -%}
                    {%- endfor -%}
                    {%- continue -%}
                {%- endif -%}
                {%- do fit.update({'objective': objective, 'accepted': fit.beta.copy(), 'delta': {}, 'scale': 1.0}) -%}
                {%- set index = [] -%}
                {%- for name in fit.active -%}
                    {%- do index.append(names.index(name)) -%}
                {%- endfor -%}
                {#- the penalised Newton system: (H + lam I) delta = g - lam beta (intercept unpenalised) -#}
                {%- set matrix = [] -%}
                {%- for r in index -%}
                    {%- set equation = [] -%}
                    {%- for c in index -%}
                        {%- set h = row['h_' ~ ([r, c] | min) ~ '_' ~ ([r, c] | max)] | float -%}
                        {%- do equation.append(h + (lam if r == c and r > 0 else 0.0)) -%}
                    {%- endfor -%}
                    {%- do equation.append((row['g_' ~ r] | float) - (lam * fit.beta[names[r]] if r > 0 else 0.0)) -%}
                    {%- do matrix.append(equation) -%}
                {%- endfor -%}
                {%- set delta = ecommerce_segmentation.scorecard_fit_solve(matrix) -%}
                {%- set change = namespace(largest=0.0) -%}
                {%- for r in index -%}
                    {%- set d = delta[loop.index0] -%}
                    {%- do fit.delta.update({names[r]: d}) -%}
                    {%- do fit.beta.update({names[r]: fit.beta[names[r]] + d}) -%}
                    {%- set change.largest = [change.largest, d | abs] | max -%}
                {%- endfor -%}
                {%- if change.largest < tolerance | float -%}
                    {#- converged: drop the behaviours with a negative coefficient, if any, and refit -#}
                    {%- set negative = [] -%}
                    {%- for name in fit.active if name != 'intercept' and fit.beta[name] < 0 -%}
                        {%- do negative.append(name) -%}
                    {%- endfor -%}
                    {%- if negative | length == 0 -%}
                        {%- do fit.update({'done': true}) -%}
                    {%- else -%}
                        {%- for name in negative | sort -%}
                            {%- do fit.beta.update({name: 0.0}) -%}
                            {%- do fit.active.remove(name) -%}
                            {%- do fit.dropped.append(name) -%}
                        {%- endfor -%}
                        {#- a new problem: its objective starts over -#}
                        {%- do fit.update({'objective': none}) -%}
                    {%- endif -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not state.all_done -%}
            {{ exceptions.raise_compiler_error("scorecard_fit_step_tables: the fit did not converge in " ~ max_iterations ~ " Newton steps (var scorecard_fit_max_iterations; tolerance " ~ tolerance ~ ")") }}
        {%- endif -%}
        {%- do adapter.drop_relation(last) -%}
        {%- do adapter.execute(create_table_as(false, last, 'select * from ' ~ state.previous), auto_begin=false, fetch=false) -%}
        {%- do adapter.drop_relation(state.previous) -%}
    {%- endif -%}
    {{- return(last) -}}
{% endmacro %}


{#
    scorecard_fit_solve(matrix): solves the linear system given as n rows of
    n + 1 numbers (the coefficients and the right-hand side) by Gauss-Jordan
    elimination without pivoting (for a positive definite matrix) and returns
    the n unknowns.
#}
{% macro scorecard_fit_solve(matrix) %}
    {%- set n = matrix | length -%}
    {%- set rows = {} -%}
    {%- for r in range(n) -%}
        {%- do rows.update({r: matrix[r]}) -%}
    {%- endfor -%}
    {%- for k in range(n) -%}
        {%- set pivot = rows[k] -%}
        {%- for r in range(n) if r != k -%}
            {%- set factor = rows[r][k] / pivot[k] -%}
            {%- set reduced = [] -%}
            {%- for c in range(n + 1) -%}
                {%- do reduced.append(rows[r][c] - factor * pivot[c]) -%}
            {%- endfor -%}
            {%- do rows.update({r: reduced}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set solution = [] -%}
    {%- for r in range(n) -%}
        {%- do solution.append(rows[r][n] / rows[r][r]) -%}
    {%- endfor -%}
    {{- return(solution) -}}
{% endmacro %}


{#
    scorecard_fit_step_relation(step): the table of one step of
    scorecard_fit_step_tables: <model>__fit_step_<step> beside the model.
#}
{% macro scorecard_fit_step_relation(step) %}
    {{- return(api.Relation.create(
        database=this.database, schema=this.schema,
        identifier=this.identifier ~ '__fit_step_' ~ step, type='table')) -}}
{% endmacro %}


{#
    drop_scorecard_fit_step_table(): the post-hook of the model that called
    scorecard_fit_step_tables: drops its result table (<model>__fit_step_last)
    once the model's own table holds its rows.
#}
{% macro drop_scorecard_fit_step_table() %}
    {%- if execute -%}
        {%- do adapter.drop_relation(ecommerce_segmentation.scorecard_fit_step_relation('last')) -%}
    {%- endif -%}
    select 1
{% endmacro %}
