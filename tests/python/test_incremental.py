"""Incremental staging (issue #12, point 4, the model half).

A new batch costs the batch: the base_/stg_ models of events, sessions,
orders and order_items and the session activity / identity-link models read
only the load ids they have not processed (macros/staging/incremental.sql).

- Equality: a generated shop written as daily batches with redeliveries
  (late events, duplicate deliveries across days, order re-exports), built,
  then appended day by day with an incremental build after each, gives the
  same staging, quarantine, intermediate and mart relations, row by row, as
  a --full-refresh build over the same files. Left out of the comparison,
  because they legitimately depend on the build history: the columns
  _load_id and the watermarks _sessions_load_id / _events_load_id of
  int_sessions_stitched (1 for every file after a full refresh, 1, 2, 3,
  ... per load otherwise) and recorded_at (build time); the relations
  customer_segment_history and segment_migration (one as-of date per build
  is recorded), the marketing actions' outbox log and what reads it or the
  score crossings (int_action_*: docs/scoring.md), int_basket_products and int_baskets (product codes are
  assigned in arrival order, stable across builds, by design), and the
  base_ tables (their _load_id and raw_record are compared through staging
  and quarantine).
- A processed file that changed, or disappeared, stops the build naming
  it; --full-refresh rebuilds from the files as they are.
  The generated shop re-exports orders (status changes) and customers
  (a changed marketing consent, or unchanged); the fixture also turns the
  products file into a folder and re-exports some products on an appended
  day, with a new price or unchanged.
- Exact small cases: test_incremental_cases.py (a module of its own, so that
  the two xdist workers build the two shops at the same time).
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NO_DATA_TESTS, Warehouse
from ecomseg.batches import append_days, generate_batches
from ecomseg.cli import compare_warehouses
from ecomseg.dbt_runner import DbtCommandFailed

pytestmark = pytest.mark.slow

BUILD = ["build", "--exclude-resource-type", "unit_test"]
SCHEMAS = ["staging", "quarantine", "intermediate", "marts"]
HISTORY_DEPENDENT = ["customer_segment_history", "segment_migration", "int_basket_products", "int_baskets",
                     "base_shop__*",
                     # issue #14 part C: the outbox log keeps every decision of every build (never
                     # full-refreshed), the audit and marketing_actions read it; triggers and candidates
                     # read int_visitor_scores' threshold crossings (previous score: the score history)
                     "int_action_outbox_log", "int_action_decisions", "marketing_actions",
                     "int_action_behaviour_triggers", "int_action_candidates",
                     # part B: one set of scores per scoring run (the incremental warehouse has four runs)
                     "int_visitor_score_history",
                     # issue #16: the actions' outcomes and their A/B statistics read the outbox log
                     "int_action_outcomes", "int_experiment_arms", "int_experiment_results", "action_results"]
# previous_score / is_threshold_crossed compare a score with the person's previous scoring run
IGNORED_COLUMNS = ["_load_id", "_sessions_load_id", "_events_load_id", "_run_id", "recorded_at",
                   "previous_score", "is_threshold_crossed"]
# the scorecard's fit sums floating-point numbers in another order after incremental loads
ROUND_DOUBLES = 9

compare = compare_warehouses.compare


PRODUCTS_FIRST = "products/date=2026-05-02/part-0001.parquet"
PRODUCTS_AGAIN = "products/date=2026-07-02/part-0001.parquet"


def _products_as_folder(raw):
    """products.parquet becomes the folder's first file (the generator writes products once)."""
    target = raw / PRODUCTS_FIRST
    target.parent.mkdir(parents=True)
    (raw / "products.parquet").rename(target)


def _reexport_products(raw):
    """Products 1-3 with a price 10 % higher, 4-5 unchanged, in a later day's file."""
    products = pq.read_table(raw / PRODUCTS_FIRST)
    rows = products.slice(0, 5).to_pylist()
    for row in rows[:3]:
        row["list_price"] = (row["list_price"] * Decimal("1.1")).quantize(Decimal("0.01"))
    (raw / PRODUCTS_AGAIN).parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=products.schema), raw / PRODUCTS_AGAIN)


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """A shop built from 60 daily files, then 3 more days appended and built one by one.
    Seed 11: the few redeliveries are drawn at random, and with generator version 2 seed 5
    put no duplicate delivery in the appended days (test_incremental_builds_equal_a_full_refresh
    requires one)."""
    raw = tmp_path_factory.mktemp("inc_shop")
    generate_batches(raw, customers=200, days=60, seed=11, end_date="2026-06-30", horizon_days=3,
                     redeliveries=True)
    _products_as_folder(raw)
    wh = Warehouse(tmp_path_factory.mktemp("inc_wh"), raw)
    wh.dbt(*BUILD, *NO_DATA_TESTS)
    new_rows = []
    for day in range(3):
        append_days(raw, 1)
        if day == 1:
            _reexport_products(raw)
        # the data tests on the state the tests read (the last incremental build), not on the ones before
        wh.dbt(*BUILD, *(NO_DATA_TESTS if day < 2 else ()))
        # raw.events holds only the day just appended: the build read the batch, not the history
        new_rows.append((wh.scalar("select count(*) from raw.events"),
                         wh.scalar("select count(distinct _source_file) from raw.events"),
                         wh.scalar("select max(_load_id) from staging.base_shop__events")))
    return raw, wh, new_rows


def test_each_build_reads_only_the_new_day(batches):
    _, _, new_rows = batches
    assert [files for _, files, _ in new_rows] == [1, 1, 1]
    assert [load for _, _, load in new_rows] == [2, 3, 4]
    assert all(rows > 0 for rows, _, _ in new_rows)


def test_incremental_builds_equal_a_full_refresh(batches, tmp_path_factory):
    raw, wh, _ = batches
    truth = json.loads((raw / "ground_truth.json").read_text())
    red = truth["batches"]["redeliveries"]
    appended = {"2026-07-01", "2026-07-02", "2026-07-03"}
    # the appended days do carry what the incremental path must handle
    assert appended & set(red["duplicate_deliveries"]["redelivered_date"])
    assert appended & set(red["late_events"]["delivered_date"])
    assert appended & set(red["order_versions"]["delivered_date"])

    full = Warehouse(tmp_path_factory.mktemp("full_wh"), raw)
    shutil.copy(wh.path, full.path)
    full.dbt(*BUILD, "--full-refresh", *NO_DATA_TESTS)  # compared row by row with the tested incremental one
    assert full.scalar("select max(_load_id) from staging.base_shop__events") == 1

    problems = compare(str(wh.path), str(full.path), SCHEMAS, HISTORY_DEPENDENT, IGNORED_COLUMNS,
                       round_doubles=ROUND_DOUBLES)
    assert problems == []
    # not a comparison of empty relations
    for relation in ("staging.stg_shop__events", "quarantine.quarantine_shop__events", "staging.stg_shop__order_versions",
                     "intermediate.int_session_activity", "marts.fct_orders", "marts.fct_sessions"):
        assert wh.scalar(f"select count(*) from {relation}") > 0, relation
    # customers re-exported, changed and unchanged: versions as the ground truth lists them
    cust = red["customer_versions"]
    changed = {c for c, ch in zip(cust["customer_id"], cust["changed"]) if ch}
    unchanged = set(cust["customer_id"]) - changed
    assert changed and unchanged
    versions = wh.query("select customer_id, count(*), max(version_number), count(*) filter (where is_new_version) "
                        "from staging.stg_shop__customer_versions where customer_id in (select customer_id from "
                        "staging.stg_shop__customer_versions where delivery_number = 2) group by 1")
    assert {c: (n, v, new) for c, n, v, new in versions} == {
        **{c: (2, 2, 2) for c in changed}, **{c: (2, 1, 1) for c in unchanged}}
    # the marts hold the latest consent: the one of the single-file row (the re-export)
    for cid, day in zip(cust["customer_id"], cust["redelivered_date"]):
        assert wh.query(f"select c.has_marketing_consent, v.delivered_in_file from staging.stg_shop__customers as c "
                        f"join staging.stg_shop__customer_versions as v on v.customer_id = c.customer_id and v.is_latest "
                        f"where c.customer_id = '{cid}'")[0][1] == f"customers/date={day}/part-0001.parquet"
    # products re-exported on an appended day: 1-3 at the new price (a new version), 4-5 identical (not)
    again = pq.read_table(raw / PRODUCTS_AGAIN).to_pylist()
    assert wh.query("select product_id, version_number, is_new_version, valid_from_file, cast(list_price as double) "
                    "from staging.stg_shop__product_versions where is_latest and delivery_number = 2 order by 1") == [
        (p["product_id"], 2 if k < 3 else 1, k < 3, PRODUCTS_AGAIN if k < 3 else PRODUCTS_FIRST,
         float(p["list_price"])) for k, p in enumerate(again)]
    assert [r[0] for r in wh.query("select cast(list_price as double) from marts.dim_products "
                                   "where product_id in ('P0001', 'P0002', 'P0003', 'P0004', 'P0005') "
                                   "order by product_id")] == [float(p["list_price"]) for p in again]
    # each event delivered again in an appended day: quarantined duplicate_key from that day's file, staged once
    dup = red["duplicate_deliveries"]
    later = [(e, d) for e, d in zip(dup["event_id"], dup["redelivered_date"]) if d in appended]
    assert later
    for event_id, day in later:
        assert wh.query(f"select quarantine_reason, source_file from quarantine.quarantine_shop__events "
                        f"where event_id = '{event_id}'") == [("duplicate_key", f"events/date={day}/part-0001.parquet")]
        assert wh.scalar(f"select count(*) from staging.stg_shop__events where event_id = '{event_id}'") == 1


def test_a_changed_or_vanished_processed_file_stops_the_build(batches):
    raw, wh, _ = batches
    day = raw / "events" / "date=2026-07-02" / "part-0001.parquet"
    kept = day.read_bytes()
    try:
        day.write_bytes(kept + b"\0")
        with pytest.raises(DbtCommandFailed, match="date=2026-07-02/part-0001.parquet"):
            wh.dbt(*BUILD)
        day.unlink()
        with pytest.raises(DbtCommandFailed, match="date=2026-07-02/part-0001.parquet.*disappeared"):
            wh.dbt(*BUILD)
        # --full-refresh rebuilds from the files as they are (that day's events gone)
        before = wh.scalar("select count(*) from raw._file_manifest where table_name = 'events'")
        wh.dbt(*BUILD, "--full-refresh", *NO_DATA_TESTS)
        assert wh.scalar("select count(*) from raw._file_manifest where table_name = 'events'") == before - 1
        assert wh.scalar("select count(*) from staging.base_shop__events "
                         "where _source_file = 'events/date=2026-07-02/part-0001.parquet'") == 0
    finally:
        day.write_bytes(kept)
