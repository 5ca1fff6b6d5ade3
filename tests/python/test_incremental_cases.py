"""Incremental staging (issue #12, point 4, the model half): exact small cases.

The generated shop's equality with a full refresh is test_incremental.py; this
module was its second half (split so that the two xdist workers build the two
shops at the same time).

- Exact small cases: an event re-delivered in a later batch is quarantined
  duplicate_key and counted once; a late event lands in its session; an
  order exported as placed and then as shipped is shipped in fct_orders,
  has two rows in stg_shop__order_versions, and its lines are those of the
  latest delivery; a customer or product delivered again with other values
  is a new version (the latest staged and in the marts), delivered again
  identically is not a new version, and repeated within one file is a
  duplicate_key; a bad row delivered again in a later batch is quarantined
  again with the next occurrence number.
"""

from __future__ import annotations

import re

import pytest

from conftest import NO_DATA_TESTS, Warehouse

pytestmark = pytest.mark.slow

BUILD = ["build", "--exclude-resource-type", "unit_test"]


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
              "E2,S1,V1,C1,2026-06-01T10:01:00Z,product_view,P1\n"
              "E9,S1,V1,C1,2026-06-01T10:02:00Z,teleport,\n",
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
              "E5,,V2,C2,2026-06-02T10:00:00Z,page_view,\n"
              "E9,S1,V1,C1,2026-06-01T10:02:00Z,teleport,\n",
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
    # the data tests on the second day's state, the one the tests read; on the first, only those of
    # int_sessions_stitched: test_the_stitched_key_test_reads_the_rows_written_since_its_last_pass needs
    # a pass of its key test before day 2 (the other new-loads tests check day 1's rows on day 2)
    wh.dbt(*BUILD, *NO_DATA_TESTS)
    wh.dbt("test", "--select", "int_sessions_stitched", "--exclude-resource-type", "unit_test")
    _write_day(raw, "2026-06-02", DAY2)
    wh.dbt(*BUILD)
    return wh


def test_an_event_delivered_again_later_is_a_duplicate_counted_once(two_days):
    wh = two_days
    assert wh.scalar("select count(*) from staging.stg_shop__events where event_id = 'E2'") == 1
    assert wh.query("select quarantine_reason, source_file from quarantine.quarantine_shop__events "
                    "where event_id = 'E2'") == [("duplicate_key", "events/date=2026-06-02/part-0001.csv")]
    # the copy kept is the first delivered one
    assert wh.scalar("select _load_id from staging.stg_shop__events where event_id = 'E2'") == 1


def test_a_bad_row_delivered_in_two_batches_is_quarantined_twice_numbered_on(two_days):
    wh = two_days
    # the quarantine is appended per batch: day 2's copy of the same bad row is its second occurrence,
    # <md5 of the raw row>-2, the id a full refresh over both files gives it
    rows = wh.query("select quarantine_id, md5(raw_record), quarantine_reason, source_file, _load_id "
                    "from quarantine.quarantine_shop__events where event_id = 'E9' order by _load_id")
    assert [row[2:] for row in rows] == [
        ("invalid_value:event_type", "events/date=2026-06-01/part-0001.csv", 1),
        ("invalid_value:event_type", "events/date=2026-06-02/part-0001.csv", 2)]
    assert [row[0] for row in rows] == [f"{rows[0][1]}-1", f"{rows[0][1]}-2"]
    assert wh.scalar("select count(*) from staging.stg_shop__events where event_id = 'E9'") == 0


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


def test_the_orders_summaries_are_compared_only_when_the_orders_changed(two_days):
    # leaves the warehouse as it found it
    wh = two_days
    compiled = wh.target / "compiled/ecommerce_segmentation/models/intermediate/sessions/int_sessions_stitched.sql"
    stitched = "select session_id, order_count, cast(net_revenue as double) from intermediate.int_sessions_stitched"
    before = wh.query(f"{stitched} order by 1")
    # the orders are those of the last build of the model: no summary is compared, nothing changes
    wh.dbt("run", "--select", "int_sessions_stitched")
    assert "stored._orders_signature" not in compiled.read_text(encoding="utf-8")
    assert wh.query(f"{stitched} order by 1") == before
    # an order of S1 changed since: the summaries are compared and S1 gets the new revenue
    wh.execute("update intermediate.int_order_revenue set net_revenue = net_revenue + 1 where order_id = 'O2'")
    wh.dbt("run", "--select", "int_sessions_stitched")
    assert "stored._orders_signature" in compiled.read_text(encoding="utf-8")
    s1 = [row for row in before if row[0] == "S1"][0]
    assert wh.query(f"{stitched} where session_id = 'S1'") == [(s1[0], s1[1], s1[2] + 1)]
    wh.dbt("run", "--select", "int_order_revenue", "int_sessions_stitched")
    assert wh.query(f"{stitched} order by 1") == before


def test_the_stitched_key_test_reads_the_rows_written_since_its_last_pass(two_days):
    wh = two_days
    # every row carries the run that last wrote it; day 2 rewrote every session (S1's order, S2 new, S3
    # re-stitched through V2); a test before this one may have rewritten some again since
    runs = dict(wh.query("select session_id, _run_id from intermediate.int_sessions_stitched"))
    assert set(runs) == {"S1", "S2", "S3"} and None not in runs.values()
    # the key test of day 2's build read the rows of the runs after day 1's pass (an earlier run) only,
    # and its pass moved the watermark to day 2's run, the run of some stored rows
    test_sql = [text for text in (path.read_text(encoding="utf-8")
                                  for path in (wh.target / "compiled").rglob("unique_in_new_loads_int_*.sql"))
                if "int_sessions_stitched" in text]
    assert len(test_sql) == 1, test_sql
    day1 = re.search(r"_run_id > (\d+)", test_sql[0])
    day2 = wh.scalar("select load_id from raw._checked_loads where check_key = "
                     "'unique_in_new_loads:int_sessions_stitched:session_id'")
    assert day1 and 0 < int(day1.group(1)) < min(runs.values()) <= day2 <= max(runs.values())
    assert day2 in runs.values()
    # a warehouse built before the column existed gets it on its next build (null in the stored rows)
    columns = "session_id, customer_id, identified_by, order_count, _events_load_id"
    before = wh.query(f"select {columns} from intermediate.int_sessions_stitched order by 1")
    wh.execute("alter table intermediate.int_sessions_stitched drop column _run_id")
    wh.dbt("build", "--select", "int_sessions_stitched", "--exclude-resource-type", "unit_test")  # raises on a failure
    assert wh.query(f"select {columns} from intermediate.int_sessions_stitched order by 1") == before
    assert wh.scalar("select count(_run_id) from intermediate.int_sessions_stitched") == 0


def test_a_quarantine_table_built_before_load_ids_is_rebuilt_once(two_days):
    # last in the module: leaves the warehouse as it found it
    wh = two_days
    columns = "quarantine_id, quarantine_reason, source_file, raw_record, _load_id"
    before = wh.query(f"select {columns} from quarantine.quarantine_shop__events order by quarantine_id")
    wh.execute("alter table quarantine.quarantine_shop__events drop column _load_id")
    wh.dbt("run", "--select", "quarantine_shop__events")
    assert wh.query(f"select {columns} from quarantine.quarantine_shop__events order by quarantine_id") == before
    # and the file manifest is untouched: the next build loads nothing again
    assert wh.scalar("select count(*) from raw._file_manifest where table_name = 'events'") == 2
