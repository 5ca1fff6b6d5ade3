"""The file manifest and incremental raw tables (issue #12, point 4, the loader's half).

A sandbox project (tests/python/dbt_sandbox.py: this repository's macros, a
one-table contract `shop.events`) whose model base_events consumes raw.events
with the post-hook record_processed_files('events'), as the real base_ model
will. var incremental_raw_tables switches the table to incremental loading.
"""

from __future__ import annotations

import hashlib
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dbt_sandbox import Sandbox

PROJECT = """
name: ecommerce_segmentation
version: "0.1.0"
config-version: 2
profile: sandbox
model-paths: ["models"]
macro-paths: ["macros"]
on-run-start:
  - "{{{{ load_raw_tables() }}}}"
vars:
  raw_data_dir: "{raw}"
  raw_schema: raw
  incremental_raw_tables: [events]
models:
  ecommerce_segmentation:
    +materialized: table
"""

SOURCES = """
version: 2
sources:
  - name: shop
    schema: raw
    tables:
      - name: events
        meta: {required_file: true}
        columns:
          - name: event_id
            meta: {contract_type: text, required: true}
          - name: event_type
            meta: {contract_type: text}
      - name: customers
        columns:
          - name: customer_id
            meta: {contract_type: text, required: true}
"""

BASE_EVENTS = """
{{ config(post_hook="{{ record_processed_files('events') }}") }}
select * from {{ source('shop', 'events') }}
"""

OTHER = "select 1 as one\n"


@pytest.fixture
def sandbox(tmp_path):
    box = Sandbox(tmp_path / "project")
    raw = tmp_path / "raw"
    (raw / "events").mkdir(parents=True)
    box.write("dbt_project.yml", PROJECT.format(raw=raw))
    box.write("models/_sources.yml", SOURCES)
    box.write("models/base_events.sql", BASE_EVENTS)
    box.write("models/other.sql", OTHER)
    return box, raw


def _raw(box):
    return box.query("select event_id, _source_file, _source_line, _load_id from raw.events order by 2, 3")


def _manifest(box):
    return box.query("select file_path, row_count, load_id, content_hash, size_bytes from raw._file_manifest "
                     "where table_name = 'events' order by file_path")


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def _failure(result):
    assert not result.success
    return result.messages()


def test_a_new_batch_reads_only_new_files(sandbox):
    box, raw = sandbox
    day1 = raw / "events" / "day=1" / "part-0001.csv"
    day1.parent.mkdir()
    day1.write_text("event_id,event_type\nE1,page_view\nE2,search\n", encoding="utf-8")

    assert box.dbt("run").success
    assert _raw(box) == [("E1", "events/day=1/part-0001.csv", 2, 1), ("E2", "events/day=1/part-0001.csv", 3, 1)]
    assert _manifest(box) == [("events/day=1/part-0001.csv", 2, 1, _md5(day1), day1.stat().st_size)]
    assert box.query("select count(*) from raw._file_manifest_pending") == [(0,)]
    # a table not loaded incrementally gets no manifest rows
    assert box.query("select count(*) from raw._file_manifest where table_name <> 'events'") == [(0,)]

    day2 = raw / "events" / "day=2" / "part-0001.parquet"
    day2.parent.mkdir()
    pq.write_table(pa.table({"event_id": ["E3"], "event_type": ["purchase"]}), day2)
    assert box.dbt("run").success
    assert _raw(box) == [("E3", "events/day=2/part-0001.parquet", 1, 2)]  # only the new file, load 2
    assert [m[:3] for m in _manifest(box)] == [("events/day=1/part-0001.csv", 2, 1),
                                               ("events/day=2/part-0001.parquet", 1, 2)]

    # a run that does not process raw.events (base_events not run): its new file stays pending ...
    day3 = raw / "events" / "day=3.csv"
    day3.write_text("event_id,event_type\nE4,page_view\n", encoding="utf-8")
    assert box.dbt("run", "--select", "other").success
    assert box.query("select file_path, load_id from raw._file_manifest_pending") == [("events/day=3.csv", 3)]
    assert len(_manifest(box)) == 2
    # ... and is read again by the next run
    assert box.dbt("run").success
    assert _raw(box) == [("E4", "events/day=3.csv", 2, 3)]
    assert len(_manifest(box)) == 3

    # nothing new: an empty raw table
    assert box.dbt("run").success
    assert _raw(box) == []

    # the same bytes with a new modification time are no change
    os.utime(day1, (day1.stat().st_atime + 100, day1.stat().st_mtime + 100))
    assert box.dbt("run").success
    assert _raw(box) == []


def test_a_changed_or_missing_processed_file_stops_the_run(sandbox):
    box, raw = sandbox
    day1 = raw / "events" / "day1.csv"
    day2 = raw / "events" / "day2.csv"
    day1.write_text("event_id,event_type\nE1,page_view\n", encoding="utf-8")
    day2.write_text("event_id,event_type\nE2,search\n", encoding="utf-8")
    assert box.dbt("run").success
    original = day1.read_bytes()

    day1.write_text("event_id,event_type\nE1,page_view\nE9,search\n", encoding="utf-8")
    text = _failure(box.dbt("run"))
    assert "events/day1.csv" in text and "content has changed" in text and "--full-refresh" in text, text

    day1.write_bytes(original)  # restored: the run goes on
    day2.unlink()
    text = _failure(box.dbt("run"))
    assert "events/day2.csv" in text and "has disappeared" in text and "--full-refresh" in text, text

    day1.write_text("event_id,event_type\nE1,page_view\nE9,search\n", encoding="utf-8")
    assert box.dbt("run", "--full-refresh").success  # rebuilds from the files as they are
    assert _raw(box) == [("E1", "events/day1.csv", 2, 1), ("E9", "events/day1.csv", 3, 1)]
    assert _manifest(box) == [("events/day1.csv", 2, 1, _md5(day1), day1.stat().st_size)]


def test_without_the_var_every_file_is_read_each_time(sandbox):
    box, raw = sandbox
    (raw / "events" / "a.csv").write_text("event_id,event_type\nE1,page_view\n", encoding="utf-8")
    off = ["--vars", "{incremental_raw_tables: []}"]
    assert box.dbt("run", *off).success
    (raw / "events" / "b.csv").write_text("event_id,event_type\nE2,search\n", encoding="utf-8")
    assert box.dbt("run", *off).success
    assert _raw(box) == [("E1", "events/a.csv", 2, 1), ("E2", "events/b.csv", 2, 1)]
    assert _manifest(box) == []


def test_the_real_time_listing_of_the_loaded_tables_only(sandbox):
    """var raw_tables_to_load (ecomseg stream: events and sessions): the loader lists only those tables'
    files (names matched case-insensitively) and hands only the new or touched files to its file loop;
    every check over the table's files still holds."""
    box, raw = sandbox
    (raw / "events").rename(raw / "EVENTS")  # a folder name in another case
    day1 = raw / "EVENTS" / "day=1" / "part-0001.csv"
    day1.parent.mkdir()
    day1.write_text("event_id,event_type\nE1,page_view\n", encoding="utf-8")
    (raw / "customers.csv").write_text("customer_id\nC1\n", encoding="utf-8")
    stream = ["--vars", "{raw_tables_to_load: [events]}"]
    assert box.dbt("run").success  # the regular run: every table
    assert box.query("select customer_id from raw.customers") == [("C1",)]

    day2 = raw / "EVENTS" / "day=2" / "part-0001.csv"
    day2.parent.mkdir()
    day2.write_text("event_id,event_type\nE2,search\n", encoding="utf-8")
    (raw / "customers.csv").write_text("", encoding="utf-8")  # 0 bytes: would stop a run that lists it
    assert box.dbt("run", *stream).success
    assert _raw(box) == [("E2", "EVENTS/day=2/part-0001.csv", 2, 2)]  # the new file only, load 2
    assert box.query("select customer_id from raw.customers") == [("C1",)]  # left as the last build left it
    assert [m[:3] for m in _manifest(box)] == [("EVENTS/day=1/part-0001.csv", 1, 1),
                                               ("EVENTS/day=2/part-0001.csv", 1, 2)]
    assert box.dbt("run", *stream).success
    assert _raw(box) == []  # nothing new

    # the checks over every file of the table: a processed file changed or gone, a file given twice
    original = day1.read_bytes()
    day1.write_text("event_id,event_type\nE1,page_view\nE9,search\n", encoding="utf-8")
    text = _failure(box.dbt("run", *stream))
    assert "EVENTS/day=1/part-0001.csv" in text and "content has changed" in text, text
    day1.write_bytes(original)
    day2.unlink()
    text = _failure(box.dbt("run", *stream))
    assert "EVENTS/day=2/part-0001.csv" in text and "has disappeared" in text, text
    day2.write_text("event_id,event_type\nE2,search\n", encoding="utf-8")
    os.utime(day2, (day2.stat().st_atime, day2.stat().st_mtime + 100))  # the same bytes again: no change
    assert box.dbt("run", *stream).success
    assert _raw(box) == []
    (raw / "events.csv").write_text("event_id,event_type\nE7,search\n", encoding="utf-8")
    text = _failure(box.dbt("run", *stream))
    assert "Two raw files for table 'events'" in text and "events.csv and EVENTS/" in text, text
