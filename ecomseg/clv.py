"""Customer lifetime value: the maximum-likelihood fits of BG/NBD and Gamma-Gamma.

dbt builds, on either engine, the per-customer calibration summary
(``intermediate.int_clv_fit_inputs``: per fit, the customer's repeat
purchases ``frequency``, ``recency`` and age ``t`` in the model's time unit,
and the average repeat purchase value ``monetary_value``). This module fits
the two models on it and returns their parameters, which the next dbt build
takes as the var ``clv_parameters``; every per-customer prediction is then
SQL (``int_clv_predictions``), so both engines serve them (docs/clv.md,
DECISIONLOG.md "CLV: the fit in Python, the predictions in SQL").

Sources of the methods and likelihoods:

- BG/NBD: P. S. Fader, B. G. S. Hardie and K. L. Lee (2005), "'Counting Your
  Customers' the Easy Way: An Alternative to the Pareto/NBD Model",
  Marketing Science 24(2), 275-284, equation (6) (and the note "Implementing
  the BG/NBD Model for Customer Base Analysis in Excel", 2005):
  LL(r, alpha, a, b) = sum over customers of
  ln G(r+x) - ln G(r) + r ln alpha + ln G(a+b) + ln G(b+x) - ln G(b) - ln G(a+b+x)
  + ln[ (alpha+T)^-(r+x) + [x > 0] a / (b+x-1) (alpha+t_x)^-(r+x) ].
- Gamma-Gamma: P. S. Fader and B. G. S. Hardie (2013), "The Gamma-Gamma Model
  of Monetary Value" (note), equation (1) for customers with x >= 1 repeat
  purchases of mean value m:
  LL(p, q, v) = sum of ln G(px+q) - ln G(px) - ln G(q) + q ln v + (px-1) ln m
  + px ln x - (px+q) ln(v + x m).

Both are maximised with scipy.optimize.minimize over the logarithms of the
parameters (so they stay positive): Nelder-Mead to converge from 1, 1, 1, 1,
then L-BFGS-B from its optimum to polish. No penaliser (lifetimes' default 0).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln


@dataclass
class FitInputs:
    """One fit's customers: repeat purchases x, recency t_x and age T (time
    units), average repeat purchase value m (shop currency; 0 when x = 0)."""

    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    monetary_value: np.ndarray


def bgnbd_log_likelihood(params, frequency, recency, age, weights=None) -> float:
    """Total BG/NBD log-likelihood (Fader, Hardie and Lee 2005, eq. 6) of
    params = (r, alpha, a, b) over the customers: arrays of one value per
    customer (or per distinct customer summary, each counted weights[i]
    times; weights None: once each)."""
    r, alpha, a, b = params
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    big_t = np.asarray(age, dtype=float)
    base = (gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x))
    first = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        second = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                          - (r + x) * np.log(alpha + t_x), -np.inf)
    terms = base + np.logaddexp(first, second)
    return float(np.sum(terms if weights is None else np.asarray(weights, dtype=float) * terms))


def gamma_gamma_log_likelihood(params, frequency, monetary_value, weights=None) -> float:
    """Total Gamma-Gamma log-likelihood (Fader and Hardie 2013, eq. 1) of
    params = (p, q, v) over customers with frequency >= 1 and value > 0
    (weights as in bgnbd_log_likelihood)."""
    p, q, v = params
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    terms = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
             + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + x * m))
    return float(np.sum(terms if weights is None else np.asarray(weights, dtype=float) * terms))


def distinct_with_counts(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of equally long 1-D columns, as columns again, and
    how often each occurs. A likelihood summed over customers is the same
    sum over the distinct summaries times their counts (customers with the
    same frequency, recency and age contribute the same term), which the
    optimiser then evaluates on fewer rows (the medium generated shop:
    35,447 distinct BG/NBD summaries of 72,212 customers). Raises ValueError
    for columns of different lengths."""
    if len({len(c) for c in columns}) > 1:
        raise ValueError("columns of different lengths")
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)


def _maximise(log_likelihood, start: int, customers: float) -> tuple[np.ndarray, float]:
    """Maximise log_likelihood over positive parameters (optimised as their
    logarithms, from 1, ..., 1): Nelder-Mead, then L-BFGS-B from its point,
    the better of the two. The optimisers minimise the negative log-likelihood
    per customer: its total grows with the customers, and Nelder-Mead's
    absolute fatol of 1e-12 is then below the rounding of the sum, so it ran
    to maxfev (280 s on the medium shop) instead of converging. Returns the
    parameters and the total log-likelihood at them."""
    def negative(log_params):
        value = log_likelihood(np.exp(log_params))
        return -value / customers if np.isfinite(value) else 1e300

    first = minimize(negative, np.zeros(start), method="Nelder-Mead",
                     options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000})
    polished = minimize(negative, first.x, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10})
    best = polished if polished.fun <= first.fun else first
    return np.exp(best.x), log_likelihood(np.exp(best.x))


def fit(inputs: FitInputs) -> dict:
    """Fit BG/NBD on every customer and Gamma-Gamma on those with a repeat
    purchase of positive average value. Returns the var entry of one fit:
    r, alpha, a, b, bgnbd_log_likelihood, p, q, v, gamma_gamma_log_likelihood,
    customers, gamma_gamma_customers (null parameters when no customer
    qualifies)."""
    x, t_x, big_t, m = (np.asarray(v, dtype=float) for v in
                        (inputs.frequency, inputs.recency, inputs.age, inputs.monetary_value))
    result: dict = {"customers": int(len(x))}
    if len(x) and np.any(x > 0):
        (dx, dt_x, dbig_t), counts = distinct_with_counts(x, t_x, big_t)
        (r, alpha, a, b), ll = _maximise(lambda p: bgnbd_log_likelihood(p, dx, dt_x, dbig_t, counts), 4, len(x))
        result.update(r=float(r), alpha=float(alpha), a=float(a), b=float(b), bgnbd_log_likelihood=ll)
    else:
        result.update(r=None, alpha=None, a=None, b=None, bgnbd_log_likelihood=None)
    repeat = (x > 0) & (m > 0)
    result["gamma_gamma_customers"] = int(repeat.sum())
    if repeat.sum() >= 2:
        (dx, dm), counts = distinct_with_counts(x[repeat], m[repeat])
        (p, q, v), ll = _maximise(lambda p: gamma_gamma_log_likelihood(p, dx, dm, counts), 3, float(repeat.sum()))
        result.update(p=float(p), q=float(q), v=float(v), gamma_gamma_log_likelihood=ll)
    else:
        result.update(p=None, q=None, v=None, gamma_gamma_log_likelihood=None)
    return result


def read_fit_inputs(con, relation: str = "intermediate.int_clv_fit_inputs") -> dict[str, FitInputs]:
    """The calibration summaries per fit_name from a built warehouse (a DB-API
    connection with execute().fetchall(), e.g. duckdb.connect(path))."""
    rows = con.execute(f"select fit_name, frequency, recency, customer_age, monetary_value "
                       f"from {relation} order by fit_name, customer_id").fetchall()
    fits: dict[str, list] = {}
    for fit_name, *values in rows:
        fits.setdefault(fit_name, []).append([float(v) for v in values])
    return {name: FitInputs(*(np.array(column) for column in zip(*values)))
            for name, values in fits.items()}


def fit_warehouse(duckdb_path, fitted_at: _dt.datetime | None = None) -> dict:
    """Fit every calibration summary of a DuckDB warehouse; returns the value of
    the dbt var clv_parameters: {fit_name: {parameters..., fitted_at}}."""
    import duckdb

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        inputs = read_fit_inputs(con)
        ends = dict(con.execute("select fit_name, cast(calibration_end_date as varchar) "
                                "from intermediate.int_clv_fits").fetchall())
    finally:
        con.close()
    stamp = (fitted_at or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M:%S")
    return {name: {**fit(inputs[name]), "calibration_end_date": ends[name], "fitted_at": stamp}
            for name in sorted(inputs)}


#: the models the fitted parameters feed (rebuilt after the fit, with the var clv_parameters)
FITTED_SELECTION = "int_clv_parameters+"

#: dbt options that narrow a command to part of the project
_SELECTION_OPTIONS = ("--select", "-s", "--selector", "--models", "-m")


def builds_everything(dbt_args) -> bool:
    """Whether a dbt command (e.g. ["build", "--exclude-resource-type", "test"])
    builds every model, as `ecomseg build` without --select / --selector does:
    a `build` or `run` with no selection option and no clv_parameters in its
    --vars. After such a command the CLV models are fitted and rebuilt
    (fit_and_rebuild): it left the CLV marts empty."""
    args = [str(a) for a in dbt_args]
    if not args or args[0] not in ("build", "run"):
        return False
    for arg in args:
        if arg.split("=", 1)[0] in _SELECTION_OPTIONS:
            return False
        if "clv_parameters" in arg:
            return False
    return True


def fit_and_rebuild(duckdb_path, raw_dir, dbt_vars: dict | None = None, target_path=None,
                    env: dict[str, str] | None = None) -> dict | None:
    """After a dbt build that built int_clv_fit_inputs: fit, then rebuild the
    models downstream of the parameters (FITTED_SELECTION) with the var
    clv_parameters. Returns the parameters, or None when the warehouse has no
    calibration summary (the CLV models were not selected). env: extra
    environment of the dbt command (e.g. ERASURE_DIR, as ecomseg forget's
    rebuild has it). Raises DbtCommandFailed when that build fails."""
    import duckdb

    from ecomseg.dbt_runner import run_dbt

    if not Path(duckdb_path).exists():
        return None
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        present = con.execute("select count(*) from information_schema.tables where table_schema = "
                              "'intermediate' and table_name in ('int_clv_fit_inputs', 'int_clv_fits')").fetchone()[0]
    finally:
        con.close()
    if present < 2:
        return None
    parameters = fit_warehouse(duckdb_path)
    run_dbt(["build", "--select", FITTED_SELECTION], raw_dir=raw_dir, duckdb_path=duckdb_path,
            target_path=target_path, env=env,
            dbt_vars={**(dbt_vars or {}), "clv_parameters": parameters})
    return parameters
