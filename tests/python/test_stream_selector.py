"""ecomseg.stream's choice of the selector per micro-batch (issue #15, docs/realtime.md).

A batch whose new events cannot move the as-of date runs `realtime_behaviour` (without the
customer models that change only with the orders or the as-of date); any doubt runs the whole
path (`realtime`). The dbt side (the batch chosen this way equals a full refresh) is in
test_realtime.py; these are the reading rules, on tiny files, without dbt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ecomseg.stream import MicroBatchStream, latest_event_shop_date, write_collector_file


def events_file(raw: Path, stamps: list, day: str = "2026-07-02") -> str:
    return str(write_collector_file(raw, "events", [
        {"event_id": f"e{i}", "occurred_at": s, "event_type": "page_view"} for i, s in enumerate(stamps)], day=day))


def test_the_latest_shop_date_reads_timestamps_as_the_contract_does(tmp_path):
    # no offset = UTC; an offset is converted; a null token and white space are no value
    path = events_file(tmp_path, ["2026-07-01T23:30:00", "2026-07-02 00:30:00+02:00", " NULL ", None])
    assert latest_event_shop_date([path], "UTC") == (dt.date(2026, 7, 1), None)
    # the same instants in the shop's time zone: 23:30 UTC is the next day in Warsaw (CEST, +2)
    assert latest_event_shop_date([path], "Europe/Warsaw") == (dt.date(2026, 7, 2), None)
    assert latest_event_shop_date([path], "America/New_York") == (dt.date(2026, 7, 1), None)
    assert latest_event_shop_date([], "UTC") == (None, None)


def test_typed_parquet_and_csv_files_are_read_too(tmp_path):
    typed = tmp_path / "events" / "date=2026-07-03" / "part.parquet"
    typed.parent.mkdir(parents=True)
    pq.write_table(pa.table({"Event_ID": ["a"], "OCCURRED_AT": [dt.datetime(2026, 7, 3, 22, 0)]}), typed)
    text = tmp_path / "events" / "part.csv"
    text.write_text("event_id,occurred_at,event_type\nb,2026-07-04T01:00:00Z,search\n", encoding="utf-8")
    assert latest_event_shop_date([str(typed)], "UTC") == (dt.date(2026, 7, 3), None)
    assert latest_event_shop_date([str(typed), str(text)], "UTC") == (dt.date(2026, 7, 4), None)


def test_a_value_or_file_not_read_here_is_a_doubt(tmp_path):
    bad = events_file(tmp_path, ["2026-07-01T10:00:00", "2026-02-30T10:00:00"])
    latest, problem = latest_event_shop_date([bad], "UTC")
    assert latest is None and "2026-02-30T10:00:00" in problem
    no_column = tmp_path / "events" / "other.csv"
    no_column.write_text("event_id,event_type\nc,search\n", encoding="utf-8")
    latest, problem = latest_event_shop_date([str(no_column)], "UTC")
    assert latest is None and "no readable occurred_at" in problem


def stream_with_as_of(tmp_path: Path, as_of: str | None, **kwargs) -> MicroBatchStream:
    (tmp_path / "raw").mkdir(parents=True, exist_ok=True)
    warehouse = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(warehouse))
    if as_of is not None:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_as_of_date as select cast(? as date) as as_of_date", [as_of])
    con.close()
    return MicroBatchStream(tmp_path / "raw", warehouse, log=lambda _: None, **kwargs)


def test_the_selector_per_batch(tmp_path):
    stream = stream_with_as_of(tmp_path, "2026-07-02")
    raw = stream.raw_dir
    same_day = events_file(raw, ["2026-07-02T23:59:59", "2026-06-20T08:00:00"])  # a late event too
    next_day = events_file(raw, ["2026-07-03T00:00:00"], day="2026-07-03")
    sessions = str(write_collector_file(raw, "sessions", [{"session_id": "s", "started_at": "2026-07-09T00:00:00"}]))
    pending = {p: (1, 1.0) for p in (same_day, sessions)}

    def choice(files, first_batch=False):
        return stream.choose_selector({p: (1, 1.0) for p in files}, first_batch)[0]

    assert choice([same_day, sessions]) == "realtime_behaviour"  # sessions do not move the as-of date
    assert choice([]) == "realtime_behaviour"  # a forced batch with nothing new
    assert choice([same_day, next_day]) == "realtime"
    assert stream.choose_selector(pending, True) == ("realtime", "first batch of the process")
    assert choice([events_file(raw, ["not a time"])]) == "realtime"
    # the whole path whenever the stream loads more than events and sessions, or has no as-of date yet
    more = stream_with_as_of(tmp_path / "more", "2026-07-02", dbt_vars={"raw_tables_to_load": ["events", "orders"]})
    assert more.choose_selector(pending, False)[0] == "realtime"
    fresh = stream_with_as_of(tmp_path / "fresh", None)
    assert fresh.choose_selector({}, False) == ("realtime", "no as-of date in the warehouse yet")
    # one selector when asked
    one = stream_with_as_of(tmp_path / "one", "2026-07-02", behaviour_selector=None)
    assert one.choose_selector(pending, False) == ("realtime", "one selector")
