"""Quarantine reconciliation on a deliberately dirty generated shop.

The generator plants dirt at a high rate and writes, in ground_truth.json,
how many rows the warehouse must quarantine for each reason. The build must
quarantine exactly those rows, no more and no fewer, in Parquet and in CSV.
"""

from __future__ import annotations

import pytest

from ecomseg import contract
from ecomseg.generator import generate

DIRT_RATE = 0.03


@pytest.fixture(scope="module", params=["parquet", "csv"])
def dirty(request, tmp_path_factory):
    from conftest import Warehouse
    raw = tmp_path_factory.mktemp(f"dirty_{request.param}")
    truth = generate(raw, customers=300, days=120, seed=11, fmt=request.param, dirt_rate=DIRT_RATE)
    wh = Warehouse(tmp_path_factory.mktemp("wh_dirty"), raw)
    wh.dbt("build", "--select", "+staging")  # all data tests, reconciliation included, must pass
    return truth, wh


def test_every_planted_defect_is_quarantined_with_its_reason(dirty):
    truth, wh = dirty
    found: dict[str, dict[str, int]] = {}
    for table, reason, n in wh.query(
        "select source_table, quarantine_reason, count(*) from ("
        + " union all ".join(
            f"select source_table, quarantine_reason from quarantine.quarantine_shop__{t}"
            for t in contract.tables())
        + ") group by 1, 2"
    ):
        found.setdefault(table, {})[reason] = n
    expected = {t: r for t, r in truth["expected_quarantine"].items() if r}
    assert found == expected
    # the dirt is really there at this rate, so the comparison is not vacuous
    assert sum(sum(r.values()) for r in expected.values()) > 100


def test_raw_rows_equal_staged_plus_quarantined(dirty):
    truth, wh = dirty
    for table, written in truth["row_counts"].items():
        staged = wh.scalar(f"select count(*) from staging.stg_shop__{table}")
        quarantined = wh.scalar(f"select count(*) from quarantine.quarantine_shop__{table}")
        assert wh.scalar(f"select count(*) from raw.{table}") == written, table
        assert staged + quarantined == written, table


def test_odd_search_queries_are_kept_not_quarantined(dirty):
    truth, wh = dirty
    assert truth["dirt"]["odd_search_queries"] > 0
    longest, truncated = wh.query(
        "select max(length(search_query)), count(*) filter (where is_search_query_truncated) "
        "from staging.stg_shop__events")[0]
    assert longest == 200
    assert truncated >= 1
