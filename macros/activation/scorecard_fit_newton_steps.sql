{#
    scorecard_fit_newton_steps(inputs, behaviour_names, l2_penalty,
    max_iterations, tolerance, smoothing): fits the scorecard's L2-penalised
    logistic regression (docs/scoring.md, "The scorecard: points") by Newton
    steps while the calling model builds and returns the relation of the
    result (<model>__fit_result: one row per learning_set and score_name with
    coefficient_intercept, coefficient_<behaviour>, is_dropped_<behaviour>,
    fit_iterations and dropped_behaviours; the model selects from it).

    Objective per (learning_set, score_name) of inputs (columns is_positive and
    woe_<behaviour>): maximise sum of log-likelihoods - l2_penalty / 2 x sum of
    squared behaviour coefficients (the intercept is not penalised: what
    scikit-learn's LogisticRegression(C = 1 / l2_penalty) minimises).
    Step k + 1: the gradient and the Hessian ((1 + k) x (1 + k), k = the
    behaviours) are summed in SQL at step k's coefficients, given in the query
    as literal rows; the Newton system is solved here (scorecard_fit_solve:
    Cholesky, the penalised Hessian is positive definite). A full Newton step
    can overshoot (strong behaviours, probabilities near 0 or 1): when the
    penalised log-likelihood (summed with the gradient) is lower at a step's
    coefficients than where the step started, the step is halved instead
    (backtracking).
    Start: intercept = ln((positives + smoothing) / (negatives + smoothing)),
    every behaviour 0. A behaviour whose WoE is 0 on every row (not selected)
    stays exactly 0. Converged: the largest coefficient change of the step
    below tolerance. Then, the standard scorecard rule, the behaviours with a
    negative coefficient are dropped (fixed at 0, listed in dropped_behaviours
    in name order, round after round) and the rest refitted from there, until
    no coefficient is negative. More than max_iterations steps in all stop the
    build with an error.

    What a step costs: one query. It sums over <model>__fit_rows, the inputs'
    distinct (learning_set, score_name, is_positive, WoEs) rows with their
    row_count (persons in the same bands of every behaviour share a row: 86,594
    inputs are 35,437 rows on the generated small shop), made once at the start;
    the start (prior odds, selected behaviours) is read from it too; only the
    fits still stepping are summed, and only the coefficients active
    in one of them (a dropped behaviour is 0: left out of the linear predictor,
    its sums not needed). Why the steps are driven from here: the coefficients
    of step k must be known to sum step k + 1; as one query the chain does not
    scale (DuckDB plans it in exponential time; Spark's analyzer gives up,
    spark.sql.analyzer.maxIterations). Tables are made only when a run or build
    executes the model; a compile only names the result. The rows table is
    dropped once the fit is done; the result by drop_scorecard_fit_result (the
    model's post-hook).
#}
{% macro scorecard_fit_newton_steps(inputs, behaviour_names, l2_penalty, max_iterations, tolerance, smoothing) %}
    {%- set last = ecommerce_segmentation.scorecard_fit_relation('result') -%}
    {%- set fit_rows = ecommerce_segmentation.scorecard_fit_relation('rows') -%}
    {%- if l2_penalty | float <= 0 -%}
        {{ exceptions.raise_compiler_error("scorecard_fit_newton_steps: l2_penalty must be above 0 (a behaviour whose WoE is 0 on every row has no curvature without it), got " ~ l2_penalty) }}
    {%- endif -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set lam = l2_penalty | float -%}
        {%- set names = ['intercept'] + behaviour_names -%}
        {#- the inputs' distinct rows, each with how many inputs it stands for -#}
        {%- set rows_sql -%}
            select
                learning_set,
                score_name,
                is_positive,
                {%- for behaviour in behaviour_names %}
                woe_{{ behaviour }},
                {%- endfor %}
                count(*) as row_count
            from {{ inputs }}
            group by
                learning_set,
                score_name,
                is_positive
                {%- for behaviour in behaviour_names %},
                woe_{{ behaviour }}
                {%- endfor %}
        {%- endset -%}
        {%- do adapter.drop_relation(fit_rows) -%}
        {#- adapter.execute without fetching: Spark's Thrift server returns no result set for a DDL -#}
        {%- do adapter.execute(create_table_as(false, fit_rows, rows_sql), auto_begin=false, fetch=false) -%}
        {#- the groups, their start and the behaviours that are not 0 on every row -#}
        {%- set start_sql -%}
            select
                learning_set,
                score_name,
                ln((sum(row_count * is_positive) + {{ smoothing }})
                    / (sum(row_count) - sum(row_count * is_positive) + {{ smoothing }})) as start_intercept
                {%- for behaviour in behaviour_names %},
                max(abs(woe_{{ behaviour }})) as scale_{{ behaviour }}
                {%- endfor %}
            from {{ fit_rows }}
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
        {%- set state = namespace(all_done=false) -%}
        {%- for step in range(0, max_iterations + 2) -%}
            {%- set state.all_done = fits | selectattr('done') | list | length == fits | length -%}
            {%- if state.all_done or step > max_iterations -%}
                {%- break -%}
            {%- endif -%}
            {#- the fits still stepping, and the coefficients active in any of them (the others are 0 in
                all of them: left out of the linear predictor, and their sums are not needed) -#}
            {%- set pending = fits | rejectattr('done') | list -%}
            {%- set used = [] -%}
            {%- for name in names -%}
                {%- for fit in pending if name in fit.active and name not in used -%}
                    {%- do used.append(name) -%}
                {%- endfor -%}
            {%- endfor -%}
            {#- gradient and Hessian of every pending fit at its current coefficients, given as literals -#}
            {%- set sums_sql -%}
                select
                    learning_set,
                    score_name,
                    sum(row_count * (is_positive * linear_predictor - ln(1.0 + exp(linear_predictor)))) as log_likelihood
                    {%- for name_i in used %}
                    {%- set i = names.index(name_i) %},
                    sum(residual * x_{{ i }}) as g_{{ i }}
                    {%- for name_j in used[loop.index0:] %},
                    sum(curvature * x_{{ i }} * x_{{ names.index(name_j) }}) as h_{{ i }}_{{ names.index(name_j) }}
                    {%- endfor %}
                    {%- endfor %}
                from (
                    select
                        learning_set,
                        score_name,
                        cast(1.0 as double) as x_0,
                        {%- for behaviour in behaviour_names if behaviour in used %}
                        woe_{{ behaviour }} as x_{{ names.index(behaviour) }},
                        {%- endfor %}
                        is_positive,
                        row_count,
                        linear_predictor,
                        row_count * (is_positive - 1.0 / (1.0 + exp(-linear_predictor))) as residual,
                        row_count * exp(-linear_predictor)
                        / ((1.0 + exp(-linear_predictor)) * (1.0 + exp(-linear_predictor))) as curvature
                    from (
                        select
                            fit_inputs.*,
                            greatest(-35.0, least(35.0,
                                step_coefficients.coefficient_intercept
                                {%- for behaviour in behaviour_names if behaviour in used %}
                                + step_coefficients.coefficient_{{ behaviour }} * fit_inputs.woe_{{ behaviour }}
                                {%- endfor %}
                            )) as linear_predictor
                        from {{ fit_rows }} as fit_inputs
                        inner join (
                            {{- ecommerce_segmentation.scorecard_fit_coefficient_rows(pending, names, behaviour_names) | indent(28) }}
                        ) as step_coefficients
                            on fit_inputs.learning_set = step_coefficients.learning_set
                                and fit_inputs.score_name = step_coefficients.score_name
                    ) as scored
                ) as fit_rows
                group by learning_set, score_name
            {%- endset -%}
            {%- set sums = {} -%}
            {%- set summed = run_query(sums_sql) -%}
            {%- for row in summed.rows -%}
                {#- a plain dict: an agate row rebuilds its name lookup on every read by name -#}
                {%- do sums.update({row['learning_set'] ~ '|' ~ row['score_name']: dict(zip(summed.column_names, row.values()))}) -%}
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
                        {{ exceptions.raise_compiler_error("scorecard_fit_newton_steps: no Newton step improves the fit of " ~ fit.learning_set ~ " / " ~ fit.score_name) }}
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
            {{ exceptions.raise_compiler_error("scorecard_fit_newton_steps: the fit did not converge in " ~ max_iterations ~ " Newton steps (var scorecard_fit_max_iterations; tolerance " ~ tolerance ~ ")") }}
        {%- endif -%}
        {%- do adapter.drop_relation(fit_rows) -%}
        {%- do adapter.drop_relation(last) -%}
        {#- adapter.execute without fetching: Spark's Thrift server returns no result set for a DDL -#}
        {%- do adapter.execute(create_table_as(false, last,
            ecommerce_segmentation.scorecard_fit_coefficient_rows(fits, names, behaviour_names)),
            auto_begin=false, fetch=false) -%}
    {%- endif -%}
    {{- return(last) -}}
{% endmacro %}


{#
    scorecard_fit_coefficient_rows(fits, names, behaviour_names): SQL of one
    literal row per fit of scorecard_fit_newton_steps (learning_set,
    score_name, fit_iterations, dropped_behaviours, coefficient_<name> for
    every name, is_dropped_<behaviour>), with the columns and no row when
    fits is empty. A coefficient is written with 17 significant digits, so
    the double read back is the one the fit holds.
#}
{% macro scorecard_fit_coefficient_rows(fits, names, behaviour_names) %}
    {%- set rows = fits -%}
    {%- if fits | length == 0 -%}
        {%- set zeros = {} -%}
        {%- for name in names -%}
            {%- do zeros.update({name: 0.0}) -%}
        {%- endfor -%}
        {%- set rows = [{'learning_set': '', 'score_name': '', 'steps': 0, 'dropped': [], 'beta': zeros}] -%}
    {%- endif -%}
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
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}


{#
    scorecard_fit_solve(matrix): solves the symmetric positive definite linear
    system given as n rows of n + 1 numbers (the coefficients and the
    right-hand side) by its Cholesky factorisation A = L L^T (L lower
    triangular; then L y = b forwards and L^T x = y backwards: n^3 / 6
    multiply-adds, a sixth of Gauss-Jordan's) and returns the n unknowns.
    Reads only the lower triangle. A pivot that is not above 0 (the matrix is
    not positive definite) stops the build with an error. Golub & Van Loan,
    Matrix Computations, 4th ed., algorithm 4.2.2.
#}
{% macro scorecard_fit_solve(matrix) %}
    {%- set n = matrix | length -%}
    {%- set factor = [] -%}
    {%- set acc = namespace(value=0.0) -%}
    {%- for i in range(n) -%}
        {%- set row = [] -%}
        {%- for j in range(i + 1) -%}
            {%- set other = row if j == i else factor[j] -%}
            {%- set acc.value = matrix[i][j] -%}
            {%- for k in range(j) -%}
                {%- set acc.value = acc.value - row[k] * other[k] -%}
            {%- endfor -%}
            {%- if j < i -%}
                {%- do row.append(acc.value / other[j]) -%}
            {%- elif acc.value > 0 -%}
                {%- do row.append(acc.value ** 0.5) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error("scorecard_fit_solve: the matrix is not positive definite (pivot " ~ i ~ ": " ~ acc.value ~ ")") }}
            {%- endif -%}
        {%- endfor -%}
        {%- do factor.append(row) -%}
    {%- endfor -%}
    {%- set forward = [] -%}
    {%- for i in range(n) -%}
        {%- set acc.value = matrix[i][n] -%}
        {%- for k in range(i) -%}
            {%- set acc.value = acc.value - factor[i][k] * forward[k] -%}
        {%- endfor -%}
        {%- do forward.append(acc.value / factor[i][i]) -%}
    {%- endfor -%}
    {%- set unknowns = {} -%}
    {%- for i in range(n - 1, -1, -1) -%}
        {%- set acc.value = forward[i] -%}
        {%- for k in range(i + 1, n) -%}
            {%- set acc.value = acc.value - factor[k][i] * unknowns[k] -%}
        {%- endfor -%}
        {%- do unknowns.update({i: acc.value / factor[i][i]}) -%}
    {%- endfor -%}
    {%- set solution = [] -%}
    {%- for i in range(n) -%}
        {%- do solution.append(unknowns[i]) -%}
    {%- endfor -%}
    {{- return(solution) -}}
{% endmacro %}


{#
    scorecard_fit_relation(part): a working table of scorecard_fit_newton_steps
    beside the calling model: <model>__fit_<part> ('rows': the distinct input
    rows; 'result': the fitted coefficients).
#}
{% macro scorecard_fit_relation(part) %}
    {{- return(api.Relation.create(
        database=this.database, schema=this.schema,
        identifier=this.identifier ~ '__fit_' ~ part, type='table')) -}}
{% endmacro %}


{#
    drop_scorecard_fit_result(): the post-hook of the model that called
    scorecard_fit_newton_steps: drops its result table (<model>__fit_result)
    once the model's own table holds its rows.
#}
{% macro drop_scorecard_fit_result() %}
    {%- if execute -%}
        {%- do adapter.drop_relation(ecommerce_segmentation.scorecard_fit_relation('result')) -%}
    {%- endif -%}
    select 1
{% endmacro %}
