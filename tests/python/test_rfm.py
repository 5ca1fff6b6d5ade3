"""RFM scores and named segments against an independent pandas implementation.

For every customer of a generated shop: recency, frequency and monetary from
the order facts (fct_orders, itself checked against the raw files in
test_customer_facts.py), scored with pandas' rank(method='min') and the rule
    score = min(5, 1 + (5 * (rank - 1)) // (n - 1)),  1 when n = 1
and named through seeds/rfm_segment_map.csv, counting only orders on or before
the as-of date (RFM is point-in-time). The warehouse must agree exactly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ecomseg import REPO_ROOT
from ecomseg.generator import generate

AS_OF = "2026-05-31"  # before the end of the data: recency is measured to a set date


def quintile(values: pd.Series, better: str) -> pd.Series:
    ranks = values.rank(method="min", ascending=(better == "higher")).astype(int)
    n = len(values)
    if n == 1:
        return pd.Series(1, index=values.index)
    return ((5 * (ranks - 1)) // (n - 1) + 1).clip(upper=5)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from conftest import Warehouse
    raw = tmp_path_factory.mktemp("rfm_raw")
    generate(raw, customers=1500, days=400, seed=5)
    wh = Warehouse(tmp_path_factory.mktemp("rfm_wh"), raw)
    wh.dbt("build", "--select", "+customer_rfm", "+fct_orders", dbt_vars={"as_of_date": AS_OF})
    return wh


def test_rfm_matches_pandas_exactly(warehouse):
    orders = pd.DataFrame(
        warehouse.query("select customer_id, order_date, is_cancelled, net_revenue from marts.fct_orders"),
        columns=["customer_id", "order_date", "is_cancelled", "net_revenue"])
    valid = orders[~orders.is_cancelled & (pd.to_datetime(orders.order_date) <= pd.Timestamp(AS_OF))]
    assert len(valid) < len(orders[~orders.is_cancelled])  # the as-of date really cuts orders off
    expected = valid.groupby("customer_id").agg(
        last_order_date=("order_date", "max"), frequency=("order_date", "size"), monetary=("net_revenue", "sum"))
    expected["recency_days"] = (pd.Timestamp(AS_OF) - pd.to_datetime(expected.last_order_date)).dt.days
    expected["r_score"] = quintile(expected.recency_days, "lower")
    expected["f_score"] = quintile(expected.frequency, "higher")
    expected["m_score"] = quintile(expected.monetary.astype(float), "higher")
    segment_map = pd.read_csv(REPO_ROOT / "seeds" / "rfm_segment_map.csv", dtype=str).set_index("rfm_code")
    expected["rfm_code"] = (expected.r_score.astype(str) + expected.f_score.astype(str) + expected.m_score.astype(str))
    expected["segment_name"] = expected.rfm_code.map(segment_map.segment_name)

    actual = pd.DataFrame(
        warehouse.query("select customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, "
                        "rfm_code, segment_name from marts.customer_rfm"),
        columns=["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
                 "rfm_code", "segment_name"]).set_index("customer_id").sort_index()
    expected = expected.sort_index()[actual.columns]

    assert len(actual) > 900
    assert list(actual.index) == list(expected.index)
    for column in actual.columns:
        left, right = actual[column].tolist(), expected[column].tolist()
        mismatches = [(i, a, b) for i, a, b in zip(actual.index, left, right) if a != b]
        assert not mismatches, f"{column}: {len(mismatches)} differ, e.g. {mismatches[:3]}"
    # ties exist, so the tie rule is really exercised
    assert expected.frequency.duplicated().any() and expected.recency_days.duplicated().any()
    # recency and money have few ties: every score appears. Frequency is tie-heavy
    # (many one-order customers share rank 1, so the rule skips a score), but
    # both ends are always there.
    for column in ("r_score", "m_score"):
        assert set(actual[column]) == {1, 2, 3, 4, 5}, column
    assert {1, 5} <= set(actual.f_score)


def test_recommended_action_follows_the_segment(warehouse):
    seg = pd.read_csv(REPO_ROOT / "seeds" / "rfm_segments.csv").set_index("segment_name")
    rows = warehouse.query("select distinct segment_name, recommended_action from marts.customer_rfm")
    assert len(rows) >= 8
    for name, action in rows:
        assert action == seg.loc[name, "recommended_action"]
