"""Campaign A/B evaluation and the actions' control groups (issue #16 point 2; docs/experiments.md).

One small generated shop is built once (only what campaign_results and action_results need), with
the as-of date three weeks before the data ends so that the actions decided then have their
attribution windows in the data. Checked:

* the planted A/B effect (ground_truth.json campaign_ab_effect) comes out: the conversion rate of
  every variant of the A/B campaign equals the planted measured rate, and B beats A;
* recipients and converters of every campaign and variant equal an independent pandas
  computation over the staged sends and orders (sent_at < ordered_at <= sent_at + 7 days);
* every statistic (uplift, Wald interval, pooled z, p-value, SRM chi-square and its p-value)
  equals scipy.stats on the marts' own counts;
* a planned split that does not fit the delivered one is flagged as a sample-ratio mismatch;
* action_results: treatment and control arms of every action type, their recipients the outbox
  log's rows, the same statistics against scipy, converters against pandas.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from scipy import stats

from conftest import Warehouse
from ecomseg.generator import generate

END = dt.date(2026, 6, 30)
AS_OF = (END - dt.timedelta(days=21)).isoformat()
WINDOW_DAYS = 7
REGULAR_PLAN = {"A": 0.45, "B": 0.45, "control": 0.1}
AB_PLAN = {"A": 0.4, "B": 0.4, "control": 0.2}
SELECT = ["--select", "+campaign_results", "+action_results",
          "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
STAT_COLUMNS = ("variant, is_control, recipients, converters, conversion_rate, control_recipients, "
                "control_converters, absolute_uplift, absolute_uplift_ci_lower, absolute_uplift_ci_upper, "
                "relative_uplift, z_score, p_value, planned_share, srm_chi_square, srm_p_value, "
                "is_sample_ratio_mismatch")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("abtest")
    raw = root / "raw"
    truth = generate(raw, customers=800, days=150, seed=16, end_date=END, fmt="parquet", dirt_rate=0.02)
    ab = truth["campaign_ab_effect"]
    wh = Warehouse(root / "wh", raw)
    wh.default_vars = {"as_of_date": AS_OF, "experiment_attribution_window_days": WINDOW_DAYS,
                       "campaign_planned_splits": {"*": REGULAR_PLAN, ab["campaign_id"]: AB_PLAN}}
    wh.dbt("build", *SELECT)
    return {"wh": wh, "truth": ab}


def _frame(wh: Warehouse, sql: str) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _campaigns(wh: Warehouse) -> pd.DataFrame:
    return _frame(wh, f"select campaign_id as experiment_id, {STAT_COLUMNS} from marts.campaign_results")


def _actions(wh: Warehouse) -> pd.DataFrame:
    return _frame(wh, f"select action_type as experiment_id, {STAT_COLUMNS} from marts.action_results")


def test_the_planted_effect_comes_out(shop):
    truth = shop["truth"]
    assert truth["window_days"] == WINDOW_DAYS
    res = _campaigns(shop["wh"])
    ab = res[res.experiment_id == truth["campaign_id"]].set_index("variant")
    assert sorted(ab.index) == ["A", "B", "control"]
    for variant, rate in truth["variant_conversion_rate"].items():
        # the truth is rounded to 4 places; the mart's rate is converters / recipients exactly
        assert round(ab.loc[variant, "conversion_rate"], 4) == rate
        assert ab.loc[variant, "conversion_rate"] == ab.loc[variant, "converters"] / ab.loc[variant, "recipients"]
    assert ab.loc["B", "conversion_rate"] > ab.loc["A", "conversion_rate"] > ab.loc["control", "conversion_rate"]
    assert ab.loc["B", "absolute_uplift"] > ab.loc["A", "absolute_uplift"] > 0
    assert ab.loc["B", "p_value"] < 0.05 and ab.loc["B", "absolute_uplift_ci_lower"] > 0
    # the delivered 40/40/20 split fits its plan
    assert not ab["is_sample_ratio_mismatch"].any()


def test_counts_equal_an_independent_computation(shop):
    wh = shop["wh"]
    sends = _frame(wh, "select send_id, campaign_id, coalesce(variant, 'unassigned') as variant, customer_id, sent_at "
                       "from staging.stg_shop__campaign_sends")
    orders = _frame(wh, "select customer_id, ordered_at from staging.stg_shop__orders where customer_id is not null")
    pairs = sends.merge(orders, on="customer_id", how="inner")
    window = pd.Timedelta(days=WINDOW_DAYS)
    hit = pairs[(pairs.ordered_at > pairs.sent_at) & (pairs.ordered_at <= pairs.sent_at + window)]
    sends["converted"] = sends.send_id.isin(set(hit.send_id))
    expected = (sends.groupby(["campaign_id", "variant"])
                .agg(recipients=("send_id", "size"), converters=("converted", "sum")).reset_index())
    got = _campaigns(wh)[["experiment_id", "variant", "recipients", "converters"]].rename(
        columns={"experiment_id": "campaign_id"})
    merged = expected.merge(got, on=["campaign_id", "variant"], how="outer", suffixes=("_py", "_sql"),
                            indicator=True)
    assert (merged._merge == "both").all()
    assert len(merged) >= 9  # several campaigns of three arms
    assert (merged.recipients_py == merged.recipients_sql).all()
    assert (merged.converters_py == merged.converters_sql).all()
    assert merged.converters_sql.sum() > 0


def _check_statistics(res: pd.DataFrame, control_name: str) -> int:
    """Every statistic of every arm against scipy; returns the number of compared arms."""
    compared = 0
    for exp_id, arms in res.groupby("experiment_id"):
        control = arms[arms.variant == control_name]
        n_c, x_c = int(control.recipients.sum()), int(control.converters.sum())
        for _, arm in arms.iterrows():
            n_t, x_t = int(arm.recipients), int(arm.converters)
            assert arm.conversion_rate == pytest.approx(x_t / n_t, abs=1e-15)
            if arm.variant == control_name or n_c == 0:
                assert pd.isna(arm.z_score) and pd.isna(arm.absolute_uplift)
                continue
            p_t, p_c = x_t / n_t, x_c / n_c
            assert arm.absolute_uplift == pytest.approx(p_t - p_c, abs=1e-12)
            se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
            z95 = stats.norm.ppf(0.975)
            assert arm.absolute_uplift_ci_lower == pytest.approx(p_t - p_c - z95 * se, abs=1e-9)
            assert arm.absolute_uplift_ci_upper == pytest.approx(p_t - p_c + z95 * se, abs=1e-9)
            if p_c > 0:
                assert arm.relative_uplift == pytest.approx(p_t / p_c - 1, rel=1e-12)
            pooled = (x_t + x_c) / (n_t + n_c)
            if 0 < pooled < 1:
                z = (p_t - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
                assert arm.z_score == pytest.approx(z, rel=1e-12)
                p = 2 * stats.norm.sf(abs(z))
                assert arm.p_value == pytest.approx(p, rel=1e-7, abs=1e-15)
                compared += 1
        planned = arms.planned_share.notna()
        if planned.all() and len(arms) > 1:
            observed = arms.recipients.to_numpy(dtype=float)
            expected = observed.sum() * arms.planned_share.to_numpy()
            chi, p = stats.chisquare(observed, expected)
            assert arms.srm_chi_square.iloc[0] == pytest.approx(chi, rel=1e-9, abs=1e-12), exp_id
            assert (arms.srm_chi_square == arms.srm_chi_square.iloc[0]).all()
            assert arms.srm_p_value.iloc[0] == pytest.approx(p, rel=1e-7, abs=1e-15), exp_id
            assert (arms.is_sample_ratio_mismatch == (p < 0.001)).all(), exp_id
    return compared


def test_campaign_statistics_equal_scipy(shop):
    res = _campaigns(shop["wh"])
    assert _check_statistics(res, "control") >= 6
    assert res.planned_share.notna().all()


def test_a_split_that_does_not_fit_its_plan_is_flagged(shop):
    wh, ab = shop["wh"], shop["truth"]["campaign_id"]
    wrong = {"*": REGULAR_PLAN, ab: {"A": 0.6, "B": 0.2, "control": 0.2}}
    wh.dbt("run", "--select", "int_experiment_results", "campaign_results",
           dbt_vars={"campaign_planned_splits": wrong})
    try:
        res = _campaigns(wh)
        flagged = res[res.experiment_id == ab]
        assert flagged.is_sample_ratio_mismatch.all()
        assert (flagged.srm_p_value < 1e-6).all()
        assert not res[res.experiment_id != ab].is_sample_ratio_mismatch.any()
        _check_statistics(res, "control")
    finally:
        wh.dbt("run", "--select", "int_experiment_results", "campaign_results")


def test_action_results_against_the_outbox_log_and_scipy(shop):
    wh = shop["wh"]
    res = _actions(wh)
    log = _frame(wh, "select action_type, is_control, count(*) as n from intermediate.int_action_outbox_log "
                     "group by 1, 2")
    assert len(log) > 0
    expected = {(r.action_type, "control" if r.is_control else "treatment"): r.n for r in log.itertuples()}
    assert {(r.experiment_id, r.variant): r.recipients for r in res.itertuples()} == expected
    _check_statistics(res, "control")
    planned = res.set_index(["experiment_id", "variant"]).planned_share
    assert all(v == pytest.approx(0.1 if k[1] == "control" else 0.9) for k, v in planned.items())
    # converters: the outbox log's people with an order in (earliest_send_at, + 7 days], in pandas
    outcomes = _frame(wh, """
        select log.idempotency_key, log.action_type, log.is_control, log.person_id, log.earliest_send_at,
               orders.ordered_at
        from intermediate.int_action_outbox_log as log
        left join (
            select coalesce(o.customer_id, s.customer_id, 'visitor:' || s.visitor_id) as person_id, o.ordered_at
            from intermediate.int_order_revenue as o
            left join intermediate.int_sessions_stitched as s on o.session_id = s.session_id
        ) as orders on log.person_id = orders.person_id""")
    window = pd.Timedelta(days=WINDOW_DAYS)
    outcomes["hit"] = (outcomes.ordered_at > outcomes.earliest_send_at) & (
        outcomes.ordered_at <= outcomes.earliest_send_at + window)
    per_action = outcomes.groupby(["idempotency_key", "action_type", "is_control"]).hit.any().reset_index()
    grouped = per_action.groupby(["action_type", "is_control"]).hit.sum()
    conv = {(action, "control" if is_control else "treatment"): int(n) for (action, is_control), n in grouped.items()}
    assert {(r.experiment_id, r.variant): r.converters for r in res.itertuples()} == conv
