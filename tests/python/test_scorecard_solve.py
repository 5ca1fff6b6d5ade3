"""scorecard_fit_solve (macros/activation/scorecard_fit_newton_steps.sql): the Newton system of the
scorecard fit, solved by Cholesky in Jinja, against numpy on known systems, in a throw-away dbt
project that uses this repository's macros (dbt_sandbox.py). The fit as a whole is checked against
scikit-learn in test_scorecard.py."""

from __future__ import annotations

import numpy as np
import pytest

from dbt_sandbox import Sandbox


def solve_in_dbt(box: Sandbox, matrix: list[list[float]]):
    """Renders a model that calls the macro on matrix (n rows of n coefficients and the right-hand
    side) and returns (the solution as floats, or None, the SandboxResult)."""
    box.write("models/solved.sql", """
        {%- set solution = scorecard_fit_solve(""" + repr(matrix) + """) -%}
        select
        {%- for x in solution %}
            cast('{{ '%.17g' | format(x) }}' as double) as x_{{ loop.index0 }}{{ ',' if not loop.last }}
        {%- endfor %}
    """)
    result = box.dbt("run", "--select", "solved")
    if not result.success:
        return None, result
    return [float(v) for v in box.query("select * from solved")[0]], result


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    return Sandbox(tmp_path_factory.mktemp("scorecard_solve"))


def test_solution_equals_numpy_and_only_the_lower_triangle_is_read(box):
    rng = np.random.default_rng(5)
    m = rng.normal(size=(7, 7))
    a = m @ m.T + 0.5 * np.eye(7)  # symmetric positive definite, as the penalised Hessian
    b = rng.normal(size=7)
    expected = np.linalg.solve(a, b)
    full = [list(map(float, a[i])) + [float(b[i])] for i in range(7)]
    solution, result = solve_in_dbt(box, full)
    assert solution is not None, result.messages()
    np.testing.assert_allclose(solution, expected, rtol=1e-12, atol=1e-12)
    # the strict upper triangle is never read: garbage there gives the same unknowns
    lower_only = [[full[i][j] if j <= i or j == 7 else 1e6 * (j + 1) for j in range(8)] for i in range(7)]
    again, result = solve_in_dbt(box, lower_only)
    assert again == solution, result.messages()


def test_a_known_system_gives_its_exact_unknowns(box):
    # [[4, 2], [2, 3]] x = [2, 5]: x = (-0.5, 2); its Cholesky factor is [[2, 0], [1, sqrt 2]]
    solution, result = solve_in_dbt(box, [[4.0, 2.0, 2.0], [2.0, 3.0, 5.0]])
    assert solution is not None, result.messages()
    assert solution == pytest.approx([-0.5, 2.0], abs=1e-15)


def test_a_matrix_that_is_not_positive_definite_stops_the_build(box):
    # eigenvalues 3 and -1: the second pivot is 1 - 4 = -3
    solution, result = solve_in_dbt(box, [[1.0, 2.0, 1.0], [2.0, 1.0, 1.0]])
    assert solution is None
    assert "scorecard_fit_solve: the matrix is not positive definite (pivot 1" in result.messages()
