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

Both are maximised over the logarithms of the parameters (so they stay
positive) by scipy.optimize.minimize's L-BFGS-B (Byrd, Lu, Nocedal and Zhu
1995) with the analytic gradients of the two log-likelihoods (the derivatives
of ln G are digamma functions; _BgnbdTerms and _GammaGammaTerms write them
out), as lifetimes does with autograd's gradients (lifetimes' fitters: scipy's
default quasi-Newton method, BFGS or L-BFGS-B, on the log-parameters, tol
1e-7). Nelder-Mead only as a fallback, when L-BFGS-B stops without
converging. No penaliser (lifetimes' default 0). What does not depend on the
parameters is computed once: the sums over customers of the same summary
(distinct_with_counts), and the ln G terms per distinct frequency x (a few
hundred values), weighted by how many customers have it.

The Gamma-Gamma likelihood is written in the form that stays exact for large
p x: ln G(px+q) - ln G(px) - ln G(q) = -ln B(px, q) (scipy's betaln, which has
an asymptotic form for px >> q), and with u = v / (x m),
(px-1) ln m + px ln x + q ln v - (px+q) ln(v + x m)
= -ln m + q ln u - (px+q) ln(1 + u) (log1p). Two starts, the better kept:
p = 1 with q and p v from the limit below, and that limit itself at the bound
p = GAMMA_GAMMA_MAX_P. As p -> infinity with p v = c fixed, each customer's
purchase values equal their own mean and the model becomes an inverse-gamma
distribution of the customers' means m (shape q, scale c; its likelihood is
the limit of eq. 1: q ln c - ln G(q) - (q+1) ln m - c / m, whose maximum has
a closed form up to one root, gamma_gamma_limit). When the likelihood still
rises towards that limit (each customer's values vary less around their mean
than any finite p allows), the fit stops at p = GAMMA_GAMMA_MAX_P and says so
(gamma_gamma_at_bound); the expected average value of a repeat customer is
then their own average m to within about (c / m + 1) / (GAMMA_GAMMA_MAX_P x)
relative. Before this, Nelder-Mead from p = q = v = 1 often ended on that
ridge (p 1e5 to 1e8, q about 0.8) although the maximum was inside (p about
0.7, q about 2.9 on the generated shops, where lifetimes finds it too): the
log-likelihood was lower by about 100 on the small shops, 70,000 at the
large tier (docs/clv.md, DECISIONLOG.md).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import betaln, digamma, gammaln

#: upper bound of the Gamma-Gamma p: the fit stops there when the likelihood still rises
#: towards p -> infinity (module docstring; gamma_gamma_at_bound in the fit's result)
GAMMA_GAMMA_MAX_P = 1e8


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
    (weights as in bgnbd_log_likelihood), in the form that stays exact for
    large p x (module docstring): with u = v / (x m),
    -ln B(px, q) - ln m + q ln u - (px+q) ln(1 + u)."""
    p, q, v = params
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    u = v / (x * m)
    terms = -betaln(p * x, q) - np.log(m) + q * np.log(u) - (p * x + q) * np.log1p(u)
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


class _BgnbdTerms:
    """The BG/NBD log-likelihood (bgnbd_log_likelihood) and its gradient in
    the log-parameters, over distinct customer summaries with counts. The
    ln G terms are summed per distinct frequency x (weighted by its count);
    per summary only ln[(alpha+T)^-(r+x) + [x > 0] a / (b+x-1) (alpha+t_x)^-(r+x)]
    is left, whose derivatives are those of its two terms weighted by their
    shares of the sum."""

    def __init__(self, frequency, recency, age, weights):
        x = np.asarray(frequency, dtype=float)
        self.t_x, self.big_t = np.asarray(recency, dtype=float), np.asarray(age, dtype=float)
        self.w = np.asarray(weights, dtype=float)
        self.xs, index = np.unique(x, return_inverse=True)
        self.index = index.ravel()
        self.n_x = np.bincount(self.index, weights=self.w, minlength=len(self.xs))
        self.x = x
        self.repeat = x > 0
        self.total = float(self.w.sum())

    def __call__(self, log_params) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(log_params)
        xs, n_x, w, x = self.xs, self.n_x, self.w, self.x
        base = (n_x @ (gammaln(r + xs) + gammaln(b + xs) - gammaln(a + b + xs))
                + self.total * (-gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b)))
        log_t, log_tx = np.log(alpha + self.big_t), np.log(alpha + self.t_x)
        first = -(r + x) * log_t
        log_b = np.log(np.maximum(b + xs - 1, 1e-300))[self.index]
        second = np.where(self.repeat, np.log(a) - log_b - (r + x) * log_tx, -np.inf)
        total = np.logaddexp(first, second)
        share = np.exp(second - total)  # of the second term; 0 where x = 0
        value = base + w @ total
        d_r = (n_x @ digamma(r + xs) + self.total * (np.log(alpha) - digamma(r))
               - w @ ((1 - share) * log_t + share * log_tx))
        d_alpha = self.total * r / alpha - w @ ((r + x) * ((1 - share) / (alpha + self.big_t) + share / (alpha + self.t_x)))
        d_a = self.total * digamma(a + b) - n_x @ digamma(a + b + xs) + (w @ share) / a
        with np.errstate(divide="ignore"):
            inverse_b = np.where(self.repeat, 1 / np.maximum(b + x - 1, 1e-300), 0.0)
        d_b = (self.total * (digamma(a + b) - digamma(b)) + n_x @ (digamma(b + xs) - digamma(a + b + xs))
               - w @ (share * inverse_b))
        return float(value), np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])


class _GammaGammaTerms:
    """The Gamma-Gamma log-likelihood and its gradient in the log-parameters,
    in the form exact for large p x (module docstring): per customer, with
    u = v / (x m), -ln B(px, q) - ln m + q ln u - (px+q) ln(1 + u); the ln B
    terms per distinct x, sum of ln m and ln(x m) once."""

    def __init__(self, frequency, monetary_value, weights):
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        self.w = np.asarray(weights, dtype=float)
        self.xs, index = np.unique(x, return_inverse=True)
        self.n_x = np.bincount(index.ravel(), weights=self.w, minlength=len(self.xs))
        self.x, self.inverse_xm = x, 1 / (x * m)
        self.total = float(self.w.sum())
        self.constant = -float(self.w @ np.log(m))
        self.sum_log_xm = float(self.w @ np.log(x * m))

    def __call__(self, log_params) -> tuple[float, np.ndarray]:
        p, q, v = np.exp(log_params)
        xs, n_x, w, x = self.xs, self.n_x, self.w, self.x
        u = v * self.inverse_xm
        log1p_u = np.log1p(u)
        value = (-(n_x @ betaln(p * xs, q)) + self.constant + q * (self.total * np.log(v) - self.sum_log_xm)
                 - p * (w @ (x * log1p_u)) - q * (w @ log1p_u))
        # d/dp of -ln B(px, q) is x (psi(px+q) - psi(px)); d/dq is psi(px+q) - psi(q)
        psi_sum = digamma(p * xs + q)
        d_p = n_x @ (xs * (psi_sum - digamma(p * xs))) - w @ (x * log1p_u)
        d_q = n_x @ psi_sum - self.total * digamma(q) + self.total * np.log(v) - self.sum_log_xm - w @ log1p_u
        v_d_v = self.total * q - w @ ((p * x + q) * (u / (1 + u)))
        return float(value), np.array([p * d_p, q * d_q, v_d_v])


def gamma_gamma_limit(frequency, monetary_value, weights=None) -> tuple[float, float, float]:
    """The Gamma-Gamma model's limit p -> infinity, v = c / p: each customer's
    purchase values equal their mean m, distributed across customers as an
    inverse gamma of shape q and scale c (1 / m ~ Gamma(q, rate c)); its
    log-likelihood q ln c - ln G(q) - (q+1) ln m - c / m is the limit of eq. 1.
    Returns q, c and the total log-likelihood at its maximum: with y = 1 / m,
    ln q - psi(q) = ln mean(y) - mean(ln y) (one root, brentq) and c = q / mean(y),
    the maximum-likelihood gamma fit of y (e.g. Choi and Wette 1969)."""
    m = np.asarray(monetary_value, dtype=float)
    w = np.ones(len(m)) if weights is None else np.asarray(weights, dtype=float)
    total = w.sum()
    mean_y, mean_log_y = (w @ (1 / m)) / total, (w @ -np.log(m)) / total
    gap = np.log(mean_y) - mean_log_y
    if not gap > 0:  # every customer has the same mean: no spread to fit
        return np.inf, np.inf, np.inf
    q = brentq(lambda s: np.log(s) - digamma(s) - gap, 1e-12, 1e12, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    c = q / mean_y
    value = total * (q * np.log(c) - gammaln(q)) - (q + 1) * (w @ np.log(m)) - c * (w @ (1 / m))
    return float(q), float(c), float(value)


def _maximise(terms, starts, customers: float, bounds=None) -> tuple[np.ndarray, float]:
    """Maximise the log-likelihood terms(log_params) -> (value, gradient)
    over the log-parameters: L-BFGS-B with the analytic gradient from each
    start (log-parameters), the best kept; Nelder-Mead then L-BFGS-B again
    from a start whose L-BFGS-B stopped without converging. The optimisers
    minimise the negative log-likelihood per customer (the total grows with
    the customers; an absolute tolerance then means the same on every shop).
    Returns the log-parameters and the total log-likelihood at them."""
    def negative(log_params):
        with np.errstate(all="ignore"):  # a trial step far out: an infinite value, refused below
            value, gradient = terms(log_params)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros(len(log_params))
        return -value / customers, -gradient / customers

    options = {"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000}
    upper = np.array([np.inf if bound is None or bound[1] is None else bound[1] for bound in (bounds or [])]
                     or [np.inf] * len(starts[0]))

    def converged(found) -> bool:
        # success, or stopped by the rounding of f (the line search found no lower value) with a
        # gradient of at most 1e-6 per customer, the components pushing against the bound left out
        gradient = np.where((found.x >= upper) & (found.jac < 0), 0.0, found.jac)
        return bool(found.success or np.max(np.abs(gradient)) <= 1e-6)

    best = None
    for start in starts:
        found = minimize(negative, np.asarray(start, dtype=float), jac=True, method="L-BFGS-B",
                         bounds=bounds, options=options)
        if not converged(found):
            simplex = minimize(lambda lp: negative(lp)[0], found.x, method="Nelder-Mead",
                               options={"xatol": 1e-10, "fatol": 1e-15, "maxfev": 20000})
            if bounds is not None:
                simplex.x = np.clip(simplex.x, [lo if lo is not None else -np.inf for lo, _ in bounds],
                                    [hi if hi is not None else np.inf for _, hi in bounds])
            found = minimize(negative, simplex.x, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
        if best is None or found.fun < best.fun:
            best = found
    return best.x, terms(best.x)[0]


def fit(inputs: FitInputs) -> dict:
    """Fit BG/NBD on every customer and Gamma-Gamma on those with a repeat
    purchase of positive average value. Returns the var entry of one fit:
    r, alpha, a, b, bgnbd_log_likelihood, p, q, v, gamma_gamma_log_likelihood,
    customers, gamma_gamma_customers (null parameters when no customer
    qualifies), and gamma_gamma_at_bound: whether p stopped at
    GAMMA_GAMMA_MAX_P, the likelihood still rising towards p -> infinity
    (module docstring; null when not fitted)."""
    x, t_x, big_t, m = (np.asarray(v, dtype=float) for v in
                        (inputs.frequency, inputs.recency, inputs.age, inputs.monetary_value))
    result: dict = {"customers": int(len(x))}
    if len(x) and np.any(x > 0):
        (dx, dt_x, dbig_t), counts = distinct_with_counts(x, t_x, big_t)
        log_params, _ = _maximise(_BgnbdTerms(dx, dt_x, dbig_t, counts), [np.zeros(4)], len(x))
        r, alpha, a, b = np.exp(log_params)
        ll = bgnbd_log_likelihood((r, alpha, a, b), dx, dt_x, dbig_t, counts)
        result.update(r=float(r), alpha=float(alpha), a=float(a), b=float(b), bgnbd_log_likelihood=ll)
    else:
        result.update(r=None, alpha=None, a=None, b=None, bgnbd_log_likelihood=None)
    repeat = (x > 0) & (m > 0)
    result["gamma_gamma_customers"] = int(repeat.sum())
    (dx, dm), counts = distinct_with_counts(x[repeat], m[repeat])
    if repeat.sum() >= 2 and len(np.unique(dm)) >= 2:
        q_limit, c_limit, _ = gamma_gamma_limit(dx, dm, counts)
        max_log_p = np.log(GAMMA_GAMMA_MAX_P)
        starts = [np.log([1.0, q_limit, c_limit]), [max_log_p, np.log(q_limit), np.log(c_limit) - max_log_p]]
        log_params, _ = _maximise(_GammaGammaTerms(dx, dm, counts), starts, float(repeat.sum()),
                                  bounds=[(None, max_log_p), (None, None), (None, None)])
        at_bound = bool(log_params[0] >= max_log_p * (1 - 1e-12))
        p, q, v = np.exp(log_params)
        p = GAMMA_GAMMA_MAX_P if at_bound else p  # not exp(log(1e8)) = 100000000.00000018
        ll = gamma_gamma_log_likelihood((p, q, v), dx, dm, counts)
        result.update(p=float(p), q=float(q), v=float(v), gamma_gamma_log_likelihood=ll,
                      gamma_gamma_at_bound=at_bound)
    else:
        result.update(p=None, q=None, v=None, gamma_gamma_log_likelihood=None, gamma_gamma_at_bound=None)
    return result


def read_fit_inputs(con, relation: str = "intermediate.int_clv_fit_inputs") -> dict[str, FitInputs]:
    """The calibration summaries per fit_name from a built warehouse (a DB-API
    connection with execute().fetchall(), e.g. duckdb.connect(path))."""
    columns = ("frequency", "recency", "customer_age", "monetary_value")
    fits = [row[0] for row in con.execute(f"select distinct fit_name from {relation} order by 1").fetchall()]
    result = {}
    for name in fits:
        arrays = con.execute(f"select {', '.join(f'cast({c} as double) as {c}' for c in columns)} "
                             f"from {relation} where fit_name = ? order by customer_id", [name]).fetchnumpy()
        result[name] = FitInputs(*(np.asarray(arrays[c], dtype=float) for c in columns))
    return result


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
                    env: dict[str, str] | None = None, skip_unit_tests: bool = False) -> dict | None:
    """After a dbt build that built int_clv_fit_inputs: fit, then rebuild the
    models downstream of the parameters (FITTED_SELECTION) with the var
    clv_parameters. Returns the parameters, or None when the warehouse has no
    calibration summary (the CLV models were not selected). env: extra
    environment of the dbt command (e.g. ERASURE_DIR, as ecomseg forget's
    rebuild has it); skip_unit_tests: that build leaves dbt's unit tests out.
    Raises DbtCommandFailed when that build fails."""
    import duckdb

    from ecomseg.dbt_runner import SKIP_UNIT_TESTS, run_dbt

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
    run_dbt(["build", "--select", FITTED_SELECTION, *(SKIP_UNIT_TESTS if skip_unit_tests else ())],
            raw_dir=raw_dir, duckdb_path=duckdb_path,
            target_path=target_path, env=env,
            dbt_vars={**(dbt_vars or {}), "clv_parameters": parameters})
    return parameters
