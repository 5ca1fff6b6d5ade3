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
- Exact small cases: an event re-delivered in a later batch is quarantined
  duplicate_key and counted once; a late event lands in its session; an
  order exported as placed and then as shipped is shipped in fct_orders,
  has two rows in stg_shop__order_versions, and its lines are those of the
  latest delivery; a customer or product delivered again with other values
  is a new version (the latest staged and in the marts), delivered again
  identically is not a new version, and repeated within one file is a
  duplicate_key.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse
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
IGNORED_COLUMNS = ["_load_id", "_sessions_load_id", "_events_load_id", "recorded_at",
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
    wh.dbt(*BUILD)
    new_rows = []
    for day in range(3):
        append_days(raw, 1)
        if day == 1:
            _reexport_products(raw)
        wh.dbt(*BUILD)
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
    full.dbt(*BUILD, "--full-refresh")
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
        wh.dbt(*BUILD, "--full-refresh")
        assert wh.scalar("select count(*) from raw._file_manifest where table_name = 'events'") == before - 1
        assert wh.scalar("select count(*) from staging.base_shop__events "
                         "where _source_file = 'events/date=2026-07-02/part-0001.parquet'") == 0
    finally:
        day.write_bytes(kept)


# -- exact small cases ------------------------------------------------------

DAY1 = {
    "orders": "order_id,customer_id,ordered_at,status,session_id\n"
              "O1,C1,2026-06-01T10:05:00Z,placed,\n"
              "O2,C1,2026-06-01T11:00:00Z,paid,S9\n",
    "order_items": "order_id,line_number,product_id,quantity,unit_price\n"
                   "O1,1,P1,1,10\n"
                   "O2,1,P1,2,10\n",
    "sessions": "session_id,visitor_id,customer_id,started_at\n"
                "S1,V1,C1,2026-06-01T10:00:00Z\n"
                "S3,V2,,2026-06-01T12:00:00Z\n",
    "events": "event_id,session_id,visitor_id,customer_id,occurred_at,event_type,product_id\n"
              "E1,S1,V1,C1,2026-06-01T10:00:00Z,page_view,\n"
              "E2,S1,V1,C1,2026-06-01T10:01:00Z,product_view,P1\n",
    "customers": "customer_id,email,city,signed_up_at,marketing_consent\n"
                 "C1,c1@example.com,Gdansk,2026-05-01T08:00:00Z,true\n"
                 "C2,c2@example.com,Torun,2026-05-02T08:00:00Z,false\n",
    "products": "product_id,product_name,category,list_price\n"
                "P1,Kettle,Kitchen,10\n"
                "P2,Mug,Kitchen,5\n"
                "P9,Lamp,Home,30\n"
                "P9,Lamp,Home,31\n",
}
DAY2 = {
    "orders": "order_id,customer_id,ordered_at,status,session_id\n"
              "O1,C1,2026-06-01T10:05:00Z,shipped,\n"
              "O2,C1,2026-06-01T11:00:00Z,paid,S1\n",
    "order_items": "order_id,line_number,product_id,quantity,unit_price\n"
                   "O1,1,P1,1,10\n"
                   "O1,2,P2,3,5\n",
    "sessions": "session_id,visitor_id,customer_id,started_at\n"
                "S2,V1,C1,2026-06-02T09:00:00Z\n",
    "events": "event_id,session_id,visitor_id,customer_id,occurred_at,event_type,product_id\n"
              "E2,S1,V1,C1,2026-06-01T10:01:00Z,product_view,P1\n"
              "E3,S1,V1,C1,2026-06-01T10:30:00Z,add_to_cart,P1\n"
              "E4,S2,V1,C1,2026-06-02T09:00:00Z,page_view,\n"
              "E5,,V2,C2,2026-06-02T10:00:00Z,page_view,\n",
    "customers": "customer_id,email,city,signed_up_at,marketing_consent\n"
                 "C1,c1@example.com,Gdansk,2026-05-01T08:00:00Z,false\n"
                 "C2,c2@example.com,Torun,2026-05-02T08:00:00Z,false\n",
    "products": "product_id,product_name,category,list_price\n"
                "P1,Kettle,Kitchen,12\n"
                "P2,Mug,Kitchen,5\n",
}


def _write_day(raw, day, tables):
    for table, text in tables.items():
        folder = raw / table / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "part-0001.csv").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    raw = tmp_path_factory.mktemp("two_days")
    _write_day(raw, "2026-06-01", DAY1)
    wh = Warehouse(tmp_path_factory.mktemp("two_days_wh"), raw)
    wh.dbt(*BUILD)
    _write_day(raw, "2026-06-02", DAY2)
    wh.dbt(*BUILD)
    return wh


def test_an_event_delivered_again_later_is_a_duplicate_counted_once(two_days):
    wh = two_days
    assert wh.scalar("select count(*) from staging.stg_shop__events where event_id = 'E2'") == 1
    assert wh.query("select quarantine_reason, source_file from quarantine.quarantine_shop__events") == [
        ("duplicate_key", "events/date=2026-06-02/part-0001.csv")]
    # the copy kept is the first delivered one
    assert wh.scalar("select _load_id from staging.stg_shop__events where event_id = 'E2'") == 1


def test_a_late_event_lands_in_its_session(two_days):
    wh = two_days
    assert wh.query("select event_count, cart_add_count, cast(last_event_at as varchar) "
                    "from intermediate.int_session_activity where session_id = 'S1'") == [
        (3, 1, "2026-06-01 10:30:00")]
    assert wh.query("select event_count, cart_add_count from marts.fct_sessions where session_id = 'S1'") == [(3, 1)]


def test_a_reexported_order_has_its_latest_status_and_lines(two_days):
    wh = two_days
    assert wh.query("select order_status from marts.fct_orders where order_id = 'O1'") == [("shipped",)]
    assert wh.query("select order_status from marts.fct_orders where order_id = 'O2'") == [("paid",)]
    assert wh.query("select version_number, order_status, delivered_in_file, superseded_in_file, is_latest "
                    "from staging.stg_shop__order_versions where order_id = 'O1' order by 1") == [
        (1, "placed", "orders/date=2026-06-01/part-0001.csv", "orders/date=2026-06-02/part-0001.csv", False),
        (2, "shipped", "orders/date=2026-06-02/part-0001.csv", None, True)]
    assert wh.query("select line_number, product_id, quantity from staging.stg_shop__order_items "
                    "where order_id = 'O1' order by 1") == [(1, "P1", 1), (2, "P2", 3)]
    # raw rows = staged + superseded + quarantined: nothing of O1 is quarantined
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__orders") == 0
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__order_items") == 0


def test_a_changed_customer_or_product_is_a_new_version_an_identical_one_is_not(two_days):
    wh = two_days
    day1, day2 = "customers/date=2026-06-01/part-0001.csv", "customers/date=2026-06-02/part-0001.csv"
    assert wh.query("select customer_id, delivery_number, version_number, is_new_version, marketing_consent, "
                    "delivered_in_file, superseded_in_file, valid_from_file, valid_to_file, is_latest "
                    "from staging.stg_shop__customer_versions order by 1, 2") == [
        ("C1", 1, 1, True, True, day1, day2, day1, day2, False),
        ("C1", 2, 2, True, False, day2, None, day2, None, True),
        ("C2", 1, 1, True, False, day1, day2, day1, None, False),
        ("C2", 2, 1, False, False, day2, None, day1, None, True)]
    # the latest consent reaches staging and the marts
    assert wh.query("select customer_id, has_marketing_consent from staging.stg_shop__customers order by 1") == [
        ("C1", False), ("C2", False)]
    assert wh.query("select has_marketing_consent from marts.dim_customers where customer_id = 'C1'") == [(False,)]
    p1, p2 = "products/date=2026-06-01/part-0001.csv", "products/date=2026-06-02/part-0001.csv"
    assert wh.query("select product_id, version_number, is_new_version, cast(list_price as double), "
                    "valid_from_file, valid_to_file, is_latest from staging.stg_shop__product_versions "
                    "order by 1, delivery_number") == [
        ("P1", 1, True, 10.0, p1, p2, False), ("P1", 2, True, 12.0, p2, None, True),
        ("P2", 1, True, 5.0, p1, None, False), ("P2", 1, False, 5.0, p1, None, True),
        ("P9", 1, True, 30.0, p1, None, True)]
    assert wh.query("select product_id, cast(list_price as double) from marts.dim_products order by 1") == [
        ("P1", 12.0), ("P2", 5.0), ("P9", 30.0)]
    # a key repeated within one file is a duplicate_key (the first copy kept), not a version
    assert wh.query("select product_id, quarantine_reason, source_file from quarantine.quarantine_shop__products") == [
        ("P9", "duplicate_key", p1)]
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__customers") == 0


def test_stitching_recomputes_the_visitors_a_batch_touches(two_days):
    wh = two_days
    # S3, an anonymous session of V2 delivered on day 1, unchanged since: day 2's session-less event
    # of V2 with customer C2 gives it to C2
    assert wh.query("select customer_id, identified_by, is_stitched from intermediate.int_sessions_stitched "
                    "where session_id = 'S3'") == [("C2", "visitor", True)]
    # O2 re-exported naming S1 instead of S9: S9, known only from that order, is gone; S1 has the order
    assert wh.scalar("select count(*) from intermediate.int_sessions_stitched where session_id = 'S9'") == 0
    assert wh.scalar("select count(*) from marts.fct_sessions where session_id = 'S9'") == 0
    assert wh.query("select order_count from intermediate.int_sessions_stitched where session_id = 'S1'") == [(1,)]
    assert wh.query("select session_id, order_count from marts.fct_sessions order by 1") == [
        ("S1", 1), ("S2", 0), ("S3", 0)]
