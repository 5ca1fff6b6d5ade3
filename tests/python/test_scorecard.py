"""The learned scorecard (issue #14 part B; docs/scoring.md, "The scorecard") on a
generated small shop (ecomseg.generator defaults: 2,000 customers, 730 days ending
2026-06-30), built twice into one throw-away DuckDB: first with var as_of_date
FIRST_AS_OF (a scoring run two weeks earlier), then with the default as-of date
(the latest data date, 2026-06-30), so the score history holds two runs. Then,
each against an independent pandas / numpy / scikit-learn computation:

* behaviours: visit_count, order_count, days_since_last_visit and the buyer
  target of every (snapshot, person) equal a pandas recomputation from the
  stitched sessions and the orders (only data dated on or before the snapshot
  date; the target only orders in the horizon after it);
* every behaviour's band (int_scorecard_person_bands) equals pandas banding the
  values of int_scorecard_person_snapshots by seeds/scorecard_bands.csv;
* weights of evidence and information values equal pandas on those bands;
* the per-behaviour scaling equals scikit-learn's L2-penalised LogisticRegression on
  the same WoE matrix (to 1e-6; negative scalings dropped and refitted the same way)
  and is converged (the penalised score equations hold);
* every score equals base points + the points of the person's bands, and the
  score band, previous score and threshold crossing follow seed score_thresholds
  and the previous run;
* AUC and KS of scorecard_validation equal scikit-learn's roc_auc_score /
  roc_curve on the validation scores; the scorecard beats the recency baseline
  on AUC for both targets;
* the planted purchase drivers (ground_truth.json): per session (a session and its
  own purchase) their relative purchase rates come out ordered as planted; at the
  scorecard's unit (a person's recent behaviour before the snapshot date and a
  purchase in the horizon after it, person_purchase_drivers) the WoEs of
  marts.action_weights come out ordered as planted and their likelihood ratios
  match the generator's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score, roc_curve

from ecomseg import REPO_ROOT
from ecomseg.generator import generate

FIRST_AS_OF = "2026-06-16"
SMOOTHING = 0.5
SELECTION = ["+action_weights", "+scorecard_validation", "+visitor_scores"]


def project_vars() -> dict:
    return yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from conftest import NO_DATA_TESTS, Warehouse
    logs = tmp_path_factory.mktemp("scorecard_logs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_LOG_PATH", str(logs))
        raw = tmp_path_factory.mktemp("scorecard_raw")
        truth = generate(raw)
        wh = Warehouse(tmp_path_factory.mktemp("scorecard_wh"), raw)
        # the first scoring run (an earlier as-of date); the data tests on the second, the one the tests read
        wh.dbt("build", "--select", *SELECTION, *NO_DATA_TESTS, dbt_vars={"as_of_date": FIRST_AS_OF})
        wh.dbt("build", "--select", *SELECTION)
        wh.truth = truth
        yield wh


def frame(wh, sql: str) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_behaviours_and_targets_use_only_the_past_and_the_horizon(shop):
    v = project_vars()
    horizon, population = int(v["scoring_horizon_days"]), int(v["scorecard_population_days"])
    recent = int(v["scorecard_recent_days"])
    snapshots = frame(shop, "select snapshot_date, snapshot_sample from intermediate.int_scorecard_snapshots")
    sessions = frame(shop, """
        select coalesce(customer_id, 'visitor:' || visitor_id) as person_id, session_date,
               cart_add_count > 0 as has_cart_add
        from intermediate.int_sessions_stitched
        where started_at is not null and coalesce(customer_id, visitor_id) is not null""")
    orders = frame(shop, """
        select coalesce(o.customer_id, s.customer_id, 'visitor:' || s.visitor_id) as person_id, o.order_date
        from intermediate.int_order_revenue as o
        left join intermediate.int_sessions_stitched as s on o.session_id = s.session_id
        where not o.is_cancelled""").dropna(subset=["person_id"])
    expected = []
    for row in snapshots.itertuples():
        d = pd.Timestamp(row.snapshot_date)
        past = sessions[pd.to_datetime(sessions.session_date) <= d]
        per_person = past.groupby("person_id").session_date.agg(["count", "max"])
        per_person = per_person[pd.to_datetime(per_person["max"]) >= d - pd.Timedelta(days=population)]
        order_dates = pd.to_datetime(orders.order_date)
        before = orders[order_dates <= d].groupby("person_id").size()
        last_order = orders[order_dates <= d].groupby("person_id").order_date.max()
        after = set(orders[(order_dates > d) & (order_dates <= d + pd.Timedelta(days=horizon))].person_id)
        # recent cart adds: sessions of the last `recent` days, after the date of the latest order
        window = past[(pd.to_datetime(past.session_date) > d - pd.Timedelta(days=recent)) & past.has_cart_add]
        latest = pd.to_datetime(window.person_id.map(last_order))
        window = window[latest.isna().values | (pd.to_datetime(window.session_date).values > latest.values)]
        recent_carts = window.groupby("person_id").size()
        for person, r in per_person.iterrows():
            expected.append((row.snapshot_date, person, int(r["count"]), int(before.get(person, 0)),
                             (d - pd.Timestamp(r["max"])).days, int(recent_carts.get(person, 0)),
                             None if row.snapshot_sample == "scoring" else person in after))
    expected = pd.DataFrame(expected, columns=["snapshot_date", "person_id", "visit_count", "order_count",
                                               "days_since_last_visit", "recent_cart_add_visits", "is_buyer"])
    actual = frame(shop, """
        select snapshot_date, person_id, visit_count, order_count, days_since_last_visit, recent_cart_add_visits,
               is_buyer
        from intermediate.int_scorecard_person_snapshots""")
    key = ["snapshot_date", "person_id"]
    merged = expected.merge(actual, on=key, how="outer", suffixes=("_pandas", "_dbt"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert merged.recent_cart_add_visits_pandas.sum() > 100
    for column in ["visit_count", "order_count", "days_since_last_visit", "recent_cart_add_visits"]:
        assert (merged[f"{column}_pandas"] == merged[f"{column}_dbt"]).all(), column
    observed = merged[merged.is_buyer_pandas.notna()]
    assert (observed.is_buyer_pandas.astype(bool) == observed.is_buyer_dbt.astype(bool)).all()
    assert merged.is_buyer_dbt[merged.is_buyer_pandas.isna()].isna().all()
    assert observed.is_buyer_pandas.astype(bool).sum() > 100  # enough purchases to learn from


def pandas_woe(behaviours: pd.DataFrame) -> pd.DataFrame:
    out = []
    sets = {"all_observed": behaviours, "out_of_time": behaviours[behaviours["snapshot_sample"] == "learning"]}
    for learning_set, rows in sets.items():
        for target, column in [("buyer", "is_buyer"), ("big_spender", "is_big_spender")]:
            cells = rows.assign(pos=rows[column].astype(int)).groupby(["behaviour", "band_name"]).pos.agg(["size", "sum"])
            cells = cells.reset_index()
            cells["neg"] = cells["size"] - cells["sum"]
            totals = cells.groupby("behaviour").agg(P=("sum", "sum"), N=("neg", "sum"), B=("sum", "size")).reset_index()
            cells = cells.merge(totals, on="behaviour")
            cells["ps"] = (cells["sum"] + SMOOTHING) / (cells.P + SMOOTHING * cells.B)
            cells["ns"] = (cells["neg"] + SMOOTHING) / (cells.N + SMOOTHING * cells.B)
            cells["woe"] = np.log(cells.ps / cells.ns)
            cells["iv_part"] = (cells.ps - cells.ns) * cells.woe
            cells["iv"] = cells.groupby("behaviour").iv_part.transform("sum")
            cells["learning_set"], cells["target"] = learning_set, target
            out.append(cells)
    return pd.concat(out, ignore_index=True)


BEHAVIOURS_NUMERIC = [
    "visit_count", "days_since_first_visit", "days_since_last_visit", "page_view_count", "product_view_count",
    "visits_with_3plus_product_views", "max_views_of_one_product", "search_count", "cart_add_count",
    "abandoned_at_cart", "abandoned_at_delivery", "abandoned_at_payment", "abandoned_at_confirmation",
    "email_visit_count", "recent_cart_add_visits", "recent_email_visits", "recent_3plus_product_view_visits",
    "recent_search_visits", "order_count", "days_since_last_order", "order_value_total"]
BEHAVIOURS_CATEGORICAL = ["first_traffic_source", "latest_traffic_source", "latest_device", "is_registered_customer"]


def long_bands(shop, where: str) -> pd.DataFrame:
    """int_scorecard_person_bands (wide) as one row per snapshot, person and behaviour."""
    wide = frame(shop, f"select * from intermediate.int_scorecard_person_bands where {where}")
    names = BEHAVIOURS_NUMERIC + BEHAVIOURS_CATEGORICAL
    long = wide.melt(id_vars=["scorecard_person_id", "snapshot_sample", "person_id", "is_buyer", "is_big_spender"],
                     value_vars=[f"band_{n}" for n in names], var_name="behaviour", value_name="band_name")
    long["behaviour"] = long.behaviour.str.removeprefix("band_")
    return long


def test_bands_equal_pandas_banding_by_the_seed(shop):
    seed = pd.read_csv(REPO_ROOT / "seeds" / "scorecard_bands.csv", dtype={"band_name": str})
    snapshots = frame(shop, "select * from intermediate.int_scorecard_person_snapshots").set_index("scorecard_person_id")
    bands = frame(shop, "select * from intermediate.int_scorecard_person_bands").set_index("scorecard_person_id")
    assert len(bands) == len(snapshots) > 1000 and bands.index.is_unique
    bands = bands.loc[snapshots.index]
    for behaviour in BEHAVIOURS_NUMERIC:
        values = snapshots[behaviour].astype(float)
        expected = pd.Series(None, index=values.index, dtype=object)
        for band in seed[seed.behaviour == behaviour].itertuples():
            lower, upper = band.lower_bound, band.upper_bound
            if pd.isna(lower) and pd.isna(upper):
                inside = values.isna()
            else:
                inside = values.notna() & (values >= lower if pd.notna(lower) else True) \
                    & (values < upper if pd.notna(upper) else True)
            assert expected[inside].isna().all(), (behaviour, band.band_name)  # the seed's bands do not overlap
            expected[inside] = band.band_name
        assert expected.notna().all(), behaviour
        assert (bands[f"band_{behaviour}"] == expected).all(), behaviour
    for behaviour in BEHAVIOURS_CATEGORICAL:
        assert (bands[f"band_{behaviour}"] == snapshots[behaviour].astype(str)).all(), behaviour
    # the bands are spread: more than one band is used for most behaviours
    assert sum(bands[f"band_{b}"].nunique() > 1 for b in BEHAVIOURS_NUMERIC) >= 15


def test_weights_of_evidence_and_information_values_equal_pandas(shop):
    behaviours = long_bands(shop, "snapshot_sample <> 'scoring'")
    expected = pandas_woe(behaviours)
    actual = frame(shop, """
        select learning_set, score_name as target, behaviour, band_name, persons, positives, weight_of_evidence, information_value
        from intermediate.int_scorecard_band_woe""")
    merged = expected.merge(actual, on=["learning_set", "target", "behaviour", "band_name"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["size"] == merged.persons).all() and (merged["sum"] == merged.positives).all()
    assert np.allclose(merged.woe, merged.weight_of_evidence, rtol=0, atol=1e-9)
    assert np.allclose(merged.iv, merged.information_value, rtol=0, atol=1e-9)
    # the published weights are the all_observed ones, with their IV
    published = frame(shop, "select score_name as target, behaviour, band_name, weight_of_evidence, information_value "
                            "from marts.action_weights where row_type = 'band'")
    mine = expected[expected.learning_set == "all_observed"].merge(published, on=["target", "behaviour", "band_name"])
    assert len(mine) == len(published) == (expected.learning_set == "all_observed").sum()
    assert np.allclose(mine.woe, mine.weight_of_evidence, atol=1e-9)


def sklearn_scorecard_fit(x: np.ndarray, y: np.ndarray, names: list[str], penalty: float):
    """The scorecard's fit, independently: scikit-learn's L2 logistic regression (C = 1 /
    penalty, intercept unpenalised) on the columns that are not 0 on every row; while
    coefficients are negative, drop those columns (listed in name order) and refit."""
    from sklearn.linear_model import LogisticRegression
    active = [j for j in range(x.shape[1]) if np.abs(x[:, j]).max() > 0]
    dropped = []
    while True:
        model = LogisticRegression(C=1.0 / penalty, solver="newton-cholesky", tol=1e-12, max_iter=1000)
        model.fit(x[:, active], y)
        coefficients = dict.fromkeys(names, 0.0)
        coefficients.update({names[j]: float(c) for j, c in zip(active, model.coef_[0])})
        negative = sorted(names[j] for j in active if coefficients[names[j]] < 0)
        if not negative:
            coefficients["(intercept)"] = float(model.intercept_[0])
            return coefficients, dropped
        active = [j for j in active if names[j] not in negative]
        dropped.extend(negative)


def test_behaviour_scaling_equals_scikit_learn(shop):
    """int_scorecard_fit is the converged L2-penalised logistic regression of the WoE
    matrix (to 1e-6), negative scalings dropped and the rest refitted."""
    v = project_vars()
    penalty = float(v["scorecard_fit_l2_penalty"])
    inputs = frame(shop, "select * from intermediate.int_scorecard_fit_inputs")
    coefficients = frame(shop, "select learning_set, score_name as target, behaviour, coefficient, is_dropped, "
                               "fit_iterations, dropped_behaviours from intermediate.int_scorecard_fit")
    woe_columns = [c for c in inputs.columns if c.startswith("woe_")]
    names = [c[len("woe_"):] for c in woe_columns]
    for (learning_set, target), rows in inputs.groupby(["learning_set", "score_name"]):
        expected, dropped = sklearn_scorecard_fit(rows[woe_columns].to_numpy(), rows.is_positive.to_numpy(), names,
                                                  penalty)
        mine = coefficients[(coefficients.learning_set == learning_set) & (coefficients.target == target)]
        got = dict(zip(mine.behaviour, mine.coefficient))
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, abs=1e-6), (learning_set, target, name)
        assert set(mine.behaviour[mine.is_dropped]) == set(dropped), (learning_set, target)
        assert mine.dropped_behaviours.iloc[0] == ",".join(dropped)
        assert (mine.coefficient[mine.behaviour != "(intercept)"] >= 0).all()
        assert 0 < mine.fit_iterations.iloc[0] <= int(v["scorecard_fit_max_iterations"])
        # converged, not merely stopped: the penalised score equations hold at the result
        x = np.c_[np.ones(len(rows)), rows[woe_columns].to_numpy()]
        beta = np.array([got["(intercept)"]] + [got[n] for n in names])
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (rows.is_positive.to_numpy() - p) - penalty * np.r_[0.0, beta[1:]]
        free = [0] + [1 + j for j, n in enumerate(names) if got[n] > 0]
        assert np.abs(gradient[free]).max() < 1e-6 * len(rows), (learning_set, target)


def test_scores_are_base_plus_band_points_with_bands_and_crossings(shop):
    behaviours = long_bands(shop, "snapshot_sample = 'scoring'")[["person_id", "behaviour", "band_name"]]
    weights = frame(shop, "select score_name as target, row_type, behaviour, band_name, points from intermediate.int_scorecard_weights "
                          "where learning_set = 'all_observed'")
    base = weights[weights.row_type == "base"].set_index("target").points
    bands = weights[weights.row_type == "band"]
    points = behaviours.merge(bands, on=["behaviour", "band_name"], how="left").fillna({"points": 0})
    expected = points.groupby(["person_id", "target"]).points.sum().reset_index()
    expected["score"] = expected.points + expected.target.map(base)
    scores = frame(shop, "select person_id, score_name as target, score, score_band, fired_action, previous_score, "
                         "is_threshold_crossed, explanation from intermediate.int_visitor_scores")
    merged = expected.merge(scores, on=["person_id", "target"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged.score_x == merged.score_y).all()
    # the explanation: the non-zero contributions, highest points first (ties by behaviour), "behaviour band: +points"
    nonzero = points[points.target.notna() & (points.points != 0)].copy()
    nonzero["text"] = (nonzero.behaviour + " " + nonzero.band_name + ": " + np.where(nonzero.points > 0, "+", "")
                       + nonzero.points.astype(int).astype(str))
    nonzero = nonzero.sort_values(["person_id", "target", "points", "behaviour"], ascending=[True, True, False, True])
    explained = nonzero.groupby(["person_id", "target"]).text.agg("; ".join).rename("expected_explanation")
    merged = merged.merge(explained.reset_index(), on=["person_id", "target"], how="left")
    assert merged.expected_explanation.notna().sum() > 100
    assert (merged.explanation.fillna("") == merged.expected_explanation.fillna("")).all()
    thresholds = pd.read_csv(REPO_ROOT / "seeds" / "score_thresholds.csv", keep_default_na=False)
    for row in merged.itertuples():
        mine = thresholds[thresholds.score_name == row.target].sort_values("threshold")
        reached = mine[mine.threshold <= row.score_y]
        band = reached.iloc[-1] if len(reached) else mine.iloc[0]
        assert row.score_band == band.band_name
        action = band.action or None
        assert (row.fired_action if isinstance(row.fired_action, str) else None) == action
        crossed = action is not None and (pd.isna(row.previous_score) or row.previous_score < band.threshold)
        assert bool(row.is_threshold_crossed) == crossed
    # the previous score is the first run's, for everyone scored in both runs
    history = frame(shop, "select as_of_date, person_id, score_name as target, score from intermediate.int_visitor_score_history")
    assert sorted(history.as_of_date.astype(str).str[:10].unique()) == [FIRST_AS_OF, "2026-06-30"]
    first = history[history.as_of_date.astype(str).str[:10] == FIRST_AS_OF]
    both = merged.merge(first, on=["person_id", "target"], how="left")
    assert both.previous_score.notna().sum() > 100
    assert (both.previous_score.isna() == both.score.isna()).all()
    assert (both.previous_score.dropna() == both.score.dropna()).all()
    # the mart: one row per person and score, no raw visitor ids
    mart = frame(shop, "select person_key, person_type, customer_id, explanation from marts.visitor_scores")
    assert len(mart) == len(scores)
    assert not mart.customer_id.fillna("").str.startswith("visitor:").any()
    assert (mart.customer_id.isna() == (mart.person_type == "visitor")).all()
    assert set(mart.person_type) == {"customer", "visitor"}


def test_validation_auc_and_ks_equal_scikit_learn_and_the_scorecard_beats_recency(shop):
    scores = frame(shop, "select score_name, score, days_since_last_visit, is_positive "
                         "from intermediate.int_scorecard_scores where snapshot_sample = 'validation'")
    summary = frame(shop, "select score_name, scoring_model as model, auc, ks, persons, positives from marts.scorecard_validation "
                          "where row_type = 'summary'")
    for score_name, rows in scores.groupby("score_name"):
        y = rows.is_positive.astype(int).to_numpy()
        for model, values in [("scorecard", rows.score.to_numpy(dtype=float)),
                              ("recency_baseline", -rows.days_since_last_visit.to_numpy(dtype=float))]:
            mine = summary[(summary.score_name == score_name) & (summary.model == model)].iloc[0]
            assert mine.persons == len(y) and mine.positives == y.sum()
            assert mine.auc == pytest.approx(roc_auc_score(y, values), abs=1e-12)
            fpr, tpr, _ = roc_curve(y, values, drop_intermediate=False)
            assert mine.ks == pytest.approx(np.max(np.abs(tpr - fpr)), abs=1e-12)
        auc = summary[summary.score_name == score_name].set_index("model").auc
        assert auc["scorecard"] > auc["recency_baseline"], (score_name, auc.to_dict())
    # thresholds: precision / recall / lift of the persons at or above each threshold
    rows = frame(shop, "select score_name, threshold, persons, positives, precision_rate, recall_rate, lift "
                       "from marts.scorecard_validation where scoring_model = 'scorecard' and row_type = 'threshold'")
    for row in rows.itertuples():
        mine = scores[scores.score_name == row.score_name]
        flagged = mine[mine.score >= row.threshold]
        assert row.persons == len(flagged) and row.positives == flagged.is_positive.sum()
        if len(flagged):
            precision = flagged.is_positive.mean()
            assert row.precision_rate == pytest.approx(precision)
            assert row.recall_rate == pytest.approx(flagged.is_positive.sum() / mine.is_positive.sum())
            assert row.lift == pytest.approx(precision / mine.is_positive.mean())


# planted driver -> the scorecard's behaviour that counts it at the person level (recent window)
DRIVER_BEHAVIOURS = {"added_to_cart": "recent_cart_add_visits", "came_from_email": "recent_email_visits",
                     "viewed_3plus_products": "recent_3plus_product_view_visits",
                     "used_search": "recent_search_visits"}


def test_planted_drivers_come_out_ordered_as_planted_per_session(shop):
    """The generator also plants each driver per session, on the session's own purchase, as
    a relative purchase rate (ground_truth.json purchase_drivers: purchase rate of the
    sessions with the behaviour / of those without). Measured the same way on the stitched
    sessions, the drivers come out in the planted order."""
    planted = sorted(shop.truth["purchase_drivers"], key=lambda d: -d["planted_relative_purchase_rate"])
    sessions = frame(shop, """
        select cart_add_count > 0 as added_to_cart, traffic_source = 'email' as came_from_email,
               product_view_count >= 3 as viewed_3plus_products, search_count > 0 as used_search, is_converted
        from intermediate.int_sessions_stitched where started_at is not null""")
    relative = {d["behaviour"]: sessions.is_converted[sessions[d["behaviour"]]].mean()
                / sessions.is_converted[~sessions[d["behaviour"]]].mean() for d in planted}
    assert [d["behaviour"] for d in planted] == sorted(relative, key=lambda b: -relative[b]), relative
    assert min(relative.values()) > 1


def test_planted_person_drivers_come_out_ordered_as_planted_in_action_weights(shop):
    """At the scorecard's unit - a person at a snapshot date d, a purchase in the horizon
    after d - the generator plants each driver in the person's sessions of the days before
    their purchases (ground_truth.json person_purchase_drivers: planted_pre_purchase_lift,
    and the likelihood ratio it gives, measured on the generated shop). The scorecard
    publishes that quantity: for the buyer score, the "1+" band of each driver's recent_*
    behaviour in marts.action_weights has WoE = ln(likelihood ratio) (smoothed). Its
    weights come out in the planted order, its unsmoothed likelihood ratios (from the
    band's visitors and purchasers) are the generator's within 10 %."""
    truth = shop.truth["person_purchase_drivers"]
    planted = [d["behaviour"] for d in sorted(truth["drivers"], key=lambda d: -d["planted_pre_purchase_lift"])]
    assert planted == ["added_to_cart", "came_from_email", "viewed_3plus_products", "used_search"]
    bands = frame(shop, f"""
        select behaviour, band_name, visitors, purchasers, weight_of_evidence, points
        from marts.action_weights
        where score_name = 'buyer' and behaviour in ({', '.join(f"'{b}'" for b in DRIVER_BEHAVIOURS.values())})""")
    assert set(bands.band_name) == {"0", "1+"} and len(bands) == 8
    yes = bands[bands.band_name == "1+"].set_index("behaviour")
    no = bands[bands.band_name == "0"].set_index("behaviour")
    woe = {driver: yes.weight_of_evidence[behaviour] for driver, behaviour in DRIVER_BEHAVIOURS.items()}
    assert sorted(woe, key=lambda d: -woe[d]) == planted, woe
    assert min(woe.values()) > 0
    positives = yes.purchasers + no.purchasers
    negatives = yes.visitors - yes.purchasers + no.visitors - no.purchasers
    measured = {d["behaviour"]: d["likelihood_ratio"] for d in truth["drivers"]}
    for driver, behaviour in DRIVER_BEHAVIOURS.items():
        ratio = (yes.purchasers[behaviour] / positives[behaviour]) / (
            (yes.visitors[behaviour] - yes.purchasers[behaviour]) / negatives[behaviour])
        assert ratio == pytest.approx(measured[driver], rel=0.1), (driver, ratio, measured[driver])
