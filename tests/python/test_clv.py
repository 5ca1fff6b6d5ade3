"""Customer lifetime value (issue #17 point 2, docs/clv.md): BG/NBD and Gamma-Gamma.

One warehouse per module: the CDNOW sample that the `lifetimes` package ships
(2,357 customers, 6,919 purchases), written through the raw contract as an
orders-only shop (orders + order_items, one line per purchase), built with
--select of the CLV marts, fitted (ecomseg.clv) and the fitted models rebuilt.
Current fit calibrated up to 1998-06-30; holdout fit 273 days earlier, up to
1997-09-30 with time in weeks (days / 7): Fader, Hardie and Lee's calibration.
`lifetimes` is the test-only reference (summary, fits, P(alive), expected
purchases, Gamma-Gamma expected value, where q > 1 as on CDNOW); the published
values are those of Fader, Hardie and Lee (2005). For q <= 1 (lifetimes'
weighted-average form divides by q - 1) a copy of the warehouse is rebuilt
with the CDNOW parameters but Gamma-Gamma p 0.125, q 0.75, and its values are
checked against the closed form computed here with numpy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecomseg.clv import (GAMMA_GAMMA_MAX_P, FitInputs, _BgnbdTerms, _GammaGammaTerms, bgnbd_log_likelihood,
                         builds_everything, distinct_with_counts, fit, fit_and_rebuild, gamma_gamma_limit,
                         gamma_gamma_log_likelihood)
from scipy.special import gammaln  # noqa: E402

lifetimes = pytest.importorskip("lifetimes")
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402  (test-only reference)
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

CALIBRATION_END = "1998-06-30"
HOLDOUT_CALIBRATION_END = "1997-09-30"
HOLDOUT_DAYS = 273
PREDICTION_WEEKS = 12
MONTHS = 12
DISCOUNT = 0.01
PUBLISHED = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
CLV_VARS = {"clv_calibration_end_date": CALIBRATION_END, "clv_holdout_days": HOLDOUT_DAYS,
            "clv_prediction_weeks": PREDICTION_WEEKS, "clv_horizon_months": MONTHS,
            "clv_monthly_discount_rate": DISCOUNT, "clv_time_unit": "week"}
SELECT = "+customer_lifetime_value +clv_model_parameters +clv_holdout_validation"


def cdnow_transactions() -> pd.DataFrame:
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    frame = pd.read_csv(path, sep=r"\s+", header=None, names=["customer", "id", "date", "quantity", "amount"],
                        dtype={"customer": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def reference_summary(transactions: pd.DataFrame, end: str) -> pd.DataFrame:
    rows = transactions[transactions["date"] <= end]
    summary = summary_data_from_transaction_data(rows, "customer", "date", monetary_value_col="amount",
                                                 observation_period_end=end, freq="D", freq_multiplier=7)
    summary.index = summary.index.astype(str)
    return summary.sort_index()


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return cdnow_transactions()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, transactions):
    from tests.python.conftest import Warehouse

    root = tmp_path_factory.mktemp("clv")
    raw = root / "raw"
    raw.mkdir()
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(transactions))],
        "customer_id": transactions["customer"].to_numpy(),
        "ordered_at": transactions["date"].dt.strftime("%Y-%m-%d 12:00:00"),
    })
    items = pd.DataFrame({"order_id": orders["order_id"], "line_number": 1, "product_id": "cd", "quantity": 1,
                          "unit_price": transactions["amount"].map(lambda v: f"{v:.2f}")})
    orders.to_csv(raw / "orders.csv", index=False)
    items.to_csv(raw / "order_items.csv", index=False)
    built = Warehouse(root, raw)
    built.default_vars = dict(CLV_VARS)
    built.dbt("build", "--select", SELECT)
    fit_and_rebuild(built.path, raw, dbt_vars=CLV_VARS, target_path=built.target)
    return built


def frame(warehouse, sql: str) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def parameters(warehouse, fit_name: str) -> pd.Series:
    rows = frame(warehouse, f"select * from marts.clv_model_parameters where fit_name = '{fit_name}'")
    assert len(rows) == 1
    return rows.iloc[0]


def bgnbd(params: pd.Series) -> BetaGeoFitter:
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({name: float(params[name]) for name in ("r", "alpha", "a", "b")})
    return fitter


def gamma_gamma(params: pd.Series) -> GammaGammaFitter:
    fitter = GammaGammaFitter()
    fitter.params_ = pd.Series({name: float(params[name]) for name in ("p", "q", "v")})
    return fitter


def fit_inputs(warehouse, fit_name: str) -> pd.DataFrame:
    return frame(warehouse, f"select * from intermediate.int_clv_predictions where fit_name = '{fit_name}'"
                 ).set_index("customer_id").sort_index()


def test_log_likelihood_at_the_published_parameters(transactions):
    summary = reference_summary(transactions, HOLDOUT_CALIBRATION_END)
    value = bgnbd_log_likelihood(list(PUBLISHED.values()), summary["frequency"], summary["recency"], summary["T"])
    assert value == pytest.approx(-9582.4, abs=0.05)  # Fader, Hardie and Lee (2005): LL = -9582.4


@pytest.mark.parametrize("fit_name,end", [("holdout", HOLDOUT_CALIBRATION_END), ("current", CALIBRATION_END)])
def test_summary_equals_lifetimes(warehouse, transactions, fit_name, end):
    ours = fit_inputs(warehouse, fit_name)
    reference = reference_summary(transactions, end)
    assert list(ours.index) == list(reference.index) and len(ours) == 2357
    assert (ours["frequency"].to_numpy() == reference["frequency"].to_numpy()).all()
    for column, theirs in (("recency", "recency"), ("customer_age", "T"), ("monetary_value", "monetary_value")):
        np.testing.assert_allclose(ours[column].to_numpy(), reference[theirs].to_numpy(), rtol=1e-12, atol=1e-9)
    assert str(ours["calibration_end_date"].iloc[0])[:10] == end


def test_holdout_fit_gives_the_published_parameters(warehouse):
    fitted = parameters(warehouse, "holdout")
    for name, value in PUBLISHED.items():
        assert fitted[name] == pytest.approx(value, rel=1e-3), name
    assert str(fitted["calibration_end_date"])[:10] == HOLDOUT_CALIBRATION_END
    assert fitted["customers"] == 2357 and fitted["time_unit_days"] == 7
    assert 0 <= fitted["max_series_relative_remainder"] < 1e-12


@pytest.mark.parametrize("fit_name,end", [("holdout", HOLDOUT_CALIBRATION_END), ("current", CALIBRATION_END)])
def test_fits_equal_lifetimes(warehouse, transactions, fit_name, end):
    fitted = parameters(warehouse, fit_name)
    summary = reference_summary(transactions, end)
    reference = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    for name in ("r", "alpha", "a", "b"):
        assert fitted[name] == pytest.approx(reference.params_[name], rel=1e-3), name
    # the published log-likelihood is the one at our parameters, and no lower than at lifetimes' optimum
    ours = [fitted[name] for name in ("r", "alpha", "a", "b")]
    assert fitted["bgnbd_log_likelihood"] == pytest.approx(
        bgnbd_log_likelihood(ours, summary["frequency"], summary["recency"], summary["T"]), rel=1e-12)
    theirs = [reference.params_[name] for name in ("r", "alpha", "a", "b")]
    assert fitted["bgnbd_log_likelihood"] >= bgnbd_log_likelihood(
        theirs, summary["frequency"], summary["recency"], summary["T"]) - 1e-6
    repeat = summary[summary["frequency"] > 0]
    reference_gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    for name in ("p", "q", "v"):
        assert fitted[name] == pytest.approx(reference_gg.params_[name], rel=1e-3), name
    assert fitted["gamma_gamma_customers"] == len(repeat)


@pytest.mark.parametrize("fit_name", ["holdout", "current"])
def test_predictions_equal_lifetimes_given_the_parameters(warehouse, fit_name):
    fitted = parameters(warehouse, fit_name)
    ours = fit_inputs(warehouse, fit_name)
    model = bgnbd(fitted)
    x, t_x, big_t = ours["frequency"], ours["recency"], ours["customer_age"]
    np.testing.assert_allclose(ours["probability_alive"], model.conditional_probability_alive(x, t_x, big_t),
                               rtol=1e-9, atol=1e-12)
    horizon = HOLDOUT_DAYS / 7 if fit_name == "holdout" else PREDICTION_WEEKS
    assert ours["prediction_horizon"].to_numpy() == pytest.approx(horizon, rel=1e-15)
    np.testing.assert_allclose(ours["expected_purchases"],
                               model.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, big_t),
                               rtol=1e-9, atol=1e-12)
    value = gamma_gamma(fitted).conditional_expected_average_profit(x, ours["monetary_value"])
    np.testing.assert_allclose(ours["expected_average_order_value"], value, rtol=1e-9)


def test_customer_lifetime_value_equals_the_reference(warehouse):
    fitted = parameters(warehouse, "current")
    mart = frame(warehouse, "select * from marts.customer_lifetime_value").set_index("customer_id").sort_index()
    model = bgnbd(fitted)
    x, t_x, big_t = mart["frequency"], mart["recency"], mart["customer_age"]
    value = gamma_gamma(fitted).conditional_expected_average_profit(x, mart["average_repeat_order_value"])
    expected = np.zeros(len(mart))
    previous = np.zeros(len(mart))
    for month in range(1, MONTHS + 1):
        cumulative = np.asarray(model.conditional_expected_number_of_purchases_up_to_time(
            month * 30 / 7, x, t_x, big_t))
        expected += (cumulative - previous) / (1 + DISCOUNT) ** month
        previous = cumulative
    np.testing.assert_allclose(mart["customer_lifetime_value"], expected * np.asarray(value), rtol=1e-9)
    assert len(mart) == 2357 and mart["customer_key"].notna().all()


def test_holdout_validation_groups(warehouse, transactions):
    fitted = parameters(warehouse, "holdout")
    calibration = reference_summary(transactions, HOLDOUT_CALIBRATION_END)
    later = transactions[(transactions["date"] > HOLDOUT_CALIBRATION_END) & (transactions["date"] <= CALIBRATION_END)]
    actual = later.groupby("customer")["date"].nunique().reindex(calibration.index, fill_value=0)
    predicted = bgnbd(fitted).conditional_expected_number_of_purchases_up_to_time(
        HOLDOUT_DAYS / 7, calibration["frequency"], calibration["recency"], calibration["T"])
    group = calibration["frequency"].clip(upper=7).astype(int)
    expected = pd.DataFrame({"customers": group.value_counts().sort_index(),
                             "actual": actual.groupby(group).sum(), "predicted": predicted.groupby(group).sum()})
    mart = frame(warehouse, "select * from marts.clv_holdout_validation order by frequency_group")
    assert list(mart["frequency_group"]) == list(range(8))
    assert list(mart["frequency_group_label"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert list(mart["customers"]) == list(expected["customers"])
    assert list(mart["actual_purchases"]) == list(expected["actual"])
    np.testing.assert_allclose(mart["predicted_purchases"], expected["predicted"], rtol=1e-9)
    np.testing.assert_allclose(mart["actual_purchases_per_customer"], expected["actual"] / expected["customers"],
                               rtol=1e-12)


# Gamma-Gamma with q < 1: the population mean p v / (q - 1) is infinite, the value given x >= 1
# repeat purchases, p (v + x m) / (p x + q - 1), is finite where p x + q > 1: here x >= 3 (x = 2
# gives p x + q = 1 exactly, dyadic numbers, on either engine).
Q_BELOW_ONE = {"p": 0.125, "q": 0.75}
NOTE_NO_REPEAT = "no repeat purchase and q <= 1: the population mean is infinite"
NOTE_INFINITE = "p x + q <= 1: the expected value given the repeat purchases is infinite"


@pytest.fixture(scope="module")
def q_below_one(tmp_path_factory, warehouse):
    """A copy of the CDNOW warehouse whose CLV models are rebuilt with the fitted parameters, but
    Gamma-Gamma p and q of Q_BELOW_ONE (v as fitted)."""
    from tests.python.conftest import Warehouse

    from ecomseg.clv import FITTED_SELECTION

    root = tmp_path_factory.mktemp("clv_q_below_one")
    copy = Warehouse(root, warehouse.raw_dir)
    copy.default_vars = dict(CLV_VARS)
    shutil.copy(warehouse.path, copy.path)
    rows = frame(warehouse, "select * from marts.clv_model_parameters order by fit_name")
    fitted = {}
    for row in rows.to_dict("records"):
        fitted[row["fit_name"]] = {
            **{name: float(row[name]) for name in ("r", "alpha", "a", "b", "bgnbd_log_likelihood", "p", "q", "v",
                                                   "gamma_gamma_log_likelihood")},
            **Q_BELOW_ONE, "customers": int(row["customers"]), "gamma_gamma_customers": int(row["gamma_gamma_customers"]),
            "calibration_end_date": str(row["calibration_end_date"])[:10], "fitted_at": "2026-01-01 00:00:00"}
    copy.dbt("build", "--select", FITTED_SELECTION, dbt_vars={"clv_parameters": fitted})
    return copy


def closed_form_value(p, q, v, x, m):
    """Fader and Hardie (2013) eq. 5 as the posterior mean of the customer's value: p (v + x m) /
    (p x + q - 1), NaN where it is infinite (p x + q <= 1) or outside the model (x >= 1, m <= 0)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    defined = (p * x + q > 1) & ((x == 0) | (m > 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(defined, p * (v + x * m) / (p * x + q - 1), np.nan)


def test_closed_form_value_equals_lifetimes_where_q_is_above_one(warehouse):
    """The closed form used below is lifetimes' expression (CDNOW: q > 1), not a second guess."""
    fitted = parameters(warehouse, "current")
    assert fitted["q"] > 1
    ours = fit_inputs(warehouse, "current")
    np.testing.assert_allclose(
        closed_form_value(fitted["p"], fitted["q"], fitted["v"], ours["frequency"], ours["monetary_value"]),
        gamma_gamma(fitted).conditional_expected_average_profit(ours["frequency"], ours["monetary_value"]),
        rtol=1e-12)
    assert ours["expected_order_value_note"].isna().all()


def test_value_and_clv_when_q_is_below_one(q_below_one):
    fitted = parameters(q_below_one, "current")
    assert (fitted["p"], fitted["q"]) == (Q_BELOW_ONE["p"], Q_BELOW_ONE["q"])
    mart = frame(q_below_one, "select * from marts.customer_lifetime_value").set_index("customer_id").sort_index()
    x, m = mart["frequency"].to_numpy(), mart["average_repeat_order_value"].to_numpy()
    expected = closed_form_value(fitted["p"], fitted["q"], fitted["v"], x, m)
    published = mart["expected_average_order_value"].to_numpy(dtype=float)
    assert (np.isnan(published) == np.isnan(expected)).all()
    np.testing.assert_allclose(published[~np.isnan(expected)], expected[~np.isnan(expected)], rtol=1e-9)
    assert (x >= 3).sum() > 100 and np.isfinite(published[x >= 3]).all() and np.isnan(published[x <= 2]).all()
    notes = mart["expected_order_value_note"]
    assert (notes[x == 0] == NOTE_NO_REPEAT).all() and (notes[(x == 1) | (x == 2)] == NOTE_INFINITE).all()
    assert notes[x >= 3].isna().all()
    # CLV: the discounted expected purchases (lifetimes' BG/NBD at the same parameters) times the value
    model = bgnbd(fitted)
    discounted, previous = np.zeros(len(mart)), np.zeros(len(mart))
    for month in range(1, MONTHS + 1):
        cumulative = np.asarray(model.conditional_expected_number_of_purchases_up_to_time(
            month * 30 / 7, mart["frequency"], mart["recency"], mart["customer_age"]))
        discounted += (cumulative - previous) / (1 + DISCOUNT) ** month
        previous = cumulative
    clv = mart["customer_lifetime_value"].to_numpy(dtype=float)
    assert (np.isnan(clv) == np.isnan(expected)).all()
    np.testing.assert_allclose(clv[~np.isnan(expected)], (discounted * expected)[~np.isnan(expected)], rtol=1e-9)


def test_which_rebuilds_are_followed_by_the_clv_fit():
    """ecomseg forget refits the CLV after a rebuild of every model (it emptied the CLV marts), not
    after part of the project nor when the parameters are passed in."""
    assert builds_everything(["build"])
    assert builds_everything(["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"])
    assert builds_everything(["run", "--full-refresh"])
    for args in (["build", "--select", "staging"], ["build", "-s", "x"], ["run", "--select=x"],
                 ["build", "--selector", "raw_to_sessions"], ["test"], ["parse"], [],
                 ["build", "--vars", '{"clv_parameters": {}}']):
        assert not builds_everything(args), args


# The optimiser (ecomseg.clv: L-BFGS-B with analytic gradients, two Gamma-Gamma starts, the bound
# GAMMA_GAMMA_MAX_P), checked without a warehouse.

def test_log_likelihoods_and_gradients(transactions):
    """The fitter's log-likelihoods equal the published formulas (Gamma-Gamma: eq. 1 as lifetimes
    writes it) and their gradients central finite differences, on CDNOW."""
    summary = reference_summary(transactions, HOLDOUT_CALIBRATION_END)
    (x, t_x, big_t), counts = distinct_with_counts(*(summary[c].to_numpy(float) for c in ("frequency", "recency", "T")))
    repeat = summary[summary["frequency"] > 0]
    (gx, gm), gcounts = distinct_with_counts(repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float))

    def eq_1(p, q, v):
        return float(gcounts @ (gammaln(p * gx + q) - gammaln(p * gx) - gammaln(q) + q * np.log(v)
                                + (p * gx - 1) * np.log(gm) + p * gx * np.log(gx) - (p * gx + q) * np.log(v + gx * gm)))

    cases = [(_BgnbdTerms(x, t_x, big_t, counts), lambda params: bgnbd_log_likelihood(params, x, t_x, big_t, counts),
              [0.2426, 4.4136, 0.7929, 2.4259]),
             (_GammaGammaTerms(gx, gm, gcounts), lambda params: eq_1(*params), [6.25, 3.74, 15.44]),
             (_GammaGammaTerms(gx, gm, gcounts), lambda params: eq_1(*params), [0.5, 0.8, 3000.0])]
    for terms, formula, params in cases:
        log_params = np.log(params)
        value, gradient = terms(log_params)
        assert value == pytest.approx(formula(params), rel=1e-12)
        step = 1e-5
        numeric = [(terms(log_params + step * e)[0] - terms(log_params - step * e)[0]) / (2 * step)
                   for e in np.eye(len(params))]
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-5)
    assert gamma_gamma_log_likelihood([6.25, 3.74, 15.44], gx, gm, gcounts) == pytest.approx(eq_1(6.25, 3.74, 15.44),
                                                                                              rel=1e-12)


def gamma_gamma_sample(seed: int, customers: int = 5000):
    """Repeat purchases x (1 to 30) of `customers` customers, drawn once per seed."""
    rng = np.random.default_rng(seed)
    return rng, np.minimum(rng.geometric(0.35, customers), 30).astype(float)


def gamma_gamma_only(x, m) -> dict:
    return fit(FitInputs(x, np.zeros(len(x)), np.full(len(x), 50.0), m))


def test_gamma_gamma_recovers_the_parameters_it_was_drawn_from():
    """Values drawn from a genuine Gamma-Gamma model (the generated shops' parameters, p 0.7, q 2.9,
    v 2500): the fit is lifetimes' (1e-5) and near the truth (sampling error of 5,000 customers)."""
    rng, x = gamma_gamma_sample(11)
    nu = rng.gamma(2.9, 1 / 2500, len(x))
    m = np.array([rng.gamma(0.7, 1 / rate, int(k)).mean() for rate, k in zip(nu, x)])
    fitted = gamma_gamma_only(x, m)
    reference = GammaGammaFitter().fit(pd.Series(x), pd.Series(m))
    for name, truth in (("p", 0.7), ("q", 2.9), ("v", 2500)):
        assert fitted[name] == pytest.approx(reference.params_[name], rel=1e-5), name
        assert fitted[name] == pytest.approx(truth, rel=0.15), name
    assert fitted["gamma_gamma_at_bound"] is False


def test_gamma_gamma_finds_the_inner_maximum_off_the_ridge():
    """Customers' means drawn independently of x (inverse gamma, shape 3, scale 500; this seed): the
    maximum is inside (p about 50, as lifetimes finds), the limit p -> infinity 1.6 lower. Nelder-Mead
    from p = q = v = 1 (the fit before) ended on that ridge, at p 8e5."""
    rng, x = gamma_gamma_sample(3)
    m = 500 / rng.gamma(3, 1, len(x))
    fitted = gamma_gamma_only(x, m)
    reference = GammaGammaFitter().fit(pd.Series(x), pd.Series(m))
    for name in ("p", "q", "v"):
        assert fitted[name] == pytest.approx(reference.params_[name], rel=1e-5), name
    assert 10 < fitted["p"] < 1000 and fitted["gamma_gamma_at_bound"] is False
    assert fitted["gamma_gamma_log_likelihood"] > gamma_gamma_limit(x, m)[2] + 0.5


def test_gamma_gamma_stops_at_the_bound_when_the_likelihood_rises_to_p_infinity():
    """Customers' means with more spread among the frequent buyers (inverse gamma, shape 3 for
    x = 1, 2 for x >= 2): the likelihood rises towards p -> infinity, where lifetimes stops without
    converging (ConvergenceError). The fit stops at p = GAMMA_GAMMA_MAX_P and says so; q and p v are
    the limit's maximum (closed form), its log-likelihood the limit's, and the expected average value
    is each repeat customer's own mean (lifetimes' formula at these parameters)."""
    rng, x = gamma_gamma_sample(17)
    shape = np.where(x >= 2, 2.0, 3.0)
    m = 500 * shape / rng.gamma(shape, 1, len(x))
    fitted = gamma_gamma_only(x, m)
    q_limit, c_limit, ll_limit = gamma_gamma_limit(x, m)
    assert fitted["gamma_gamma_at_bound"] is True and fitted["p"] == GAMMA_GAMMA_MAX_P
    assert fitted["q"] == pytest.approx(q_limit, rel=1e-7)
    assert fitted["p"] * fitted["v"] == pytest.approx(c_limit, rel=1e-7)
    assert fitted["gamma_gamma_log_likelihood"] == pytest.approx(ll_limit, abs=1e-4)
    assert fitted["gamma_gamma_log_likelihood"] > gamma_gamma_log_likelihood(
        [1e6, q_limit, c_limit / 1e6], x, m) > gamma_gamma_log_likelihood([1e3, q_limit, c_limit / 1e3], x, m)
    with pytest.raises(Exception, match="did not converge"):
        GammaGammaFitter().fit(pd.Series(x), pd.Series(m))
    value = gamma_gamma(pd.Series(fitted)).conditional_expected_average_profit(pd.Series(x), pd.Series(m))
    np.testing.assert_allclose(value, m, rtol=1e-5)
    population = gamma_gamma(pd.Series(fitted)).conditional_expected_average_profit(pd.Series([0.0]), pd.Series([0.0]))
    assert population.iloc[0] == pytest.approx(c_limit / (q_limit - 1), rel=1e-7)


def test_a_start_where_l_bfgs_b_does_not_converge_falls_back_to_nelder_mead():
    """_maximise's fallback: terms whose gradient points the wrong way (the sign flipped), so
    L-BFGS-B's line search fails at once, far from the maximum of -(x - c)^2 at c = (1.5, -2).
    Nelder-Mead (values only) from where it stopped, then L-BFGS-B again, reaches c; L-BFGS-B
    alone does not (checked here, so that the test exercises the fallback)."""
    from scipy.optimize import minimize

    from ecomseg.clv import _maximise

    centre = np.array([1.5, -2.0])

    def terms(log_params):
        value = -float(np.sum((log_params - centre) ** 2))
        return value, 2 * (log_params - centre)  # the true gradient is -2 (x - c)

    alone = minimize(lambda lp: tuple(-part for part in terms(lp)), np.zeros(2), jac=True, method="L-BFGS-B")
    assert not alone.success and np.max(np.abs(alone.x - centre)) > 1
    found, value = _maximise(terms, [np.zeros(2)], customers=1.0)
    np.testing.assert_allclose(found, centre, atol=1e-6)
    assert value == pytest.approx(0.0, abs=1e-10)
