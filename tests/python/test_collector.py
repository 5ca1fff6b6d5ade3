"""The event collector (issue #15 point 1, and the collector's half of point 4):
ecomseg.collector, `ecomseg collect`.

- Accepted events are in a new Parquet file of <raw>/events/collector/date=.../
  with exactly the values sent, once the answer {"accepted": n} has come.
- A request with a bad event is refused whole: 422 naming each bad event by
  index, field and reason (the contract's rules: required, type, accepted
  values, range, the timestamp profile, years, the future), and no file is
  written. Bounds: 413 for a body over the limit (declared or streamed) and
  for more events than the limit; 401 without or with a wrong write key.
- Hostile input (wrong types, 10 kB strings, invalid UTF-8, lone surrogates,
  SQL- and script-looking text, huge numbers, 10,000 events, no key): a clear
  4xx or, for text that merely looks like code, stored verbatim as data;
  never a crash, never a partial file.
- A collector killed with SIGKILL during a load loses no acknowledged event,
  leaves no file the loader would read half-written; a restart removes its
  stale temporary files.
- The collector refuses to start when events is one file, or without a key.
- A warehouse built from a daily-batches shop loads the collector's files in
  an incremental build: the events are in stg_shop__events, their values as
  sent (text that looks like SQL or a script included).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time

import httpx
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse
from ecomseg import REPO_ROOT, collector, collector_load
from ecomseg.batches import generate_batches

KEY = "test-write-key-0123456789"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
AT = (NOW - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ev(event_id: str, **values) -> dict:
    return {"event_id": event_id, "occurred_at": AT, "event_type": "page_view", **values}


def rows_in_files(raw_dir) -> list[dict]:
    rows = []
    for path in collector.collected_files(raw_dir):
        rows += pq.read_table(path).to_pylist()
    return rows


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    raw = tmp_path_factory.mktemp("collector_raw")
    c = collector.start_in_thread(raw, KEY, max_body_bytes=200_000, max_events=500, max_value_chars=2_000)
    client = httpx.Client(base_url=c.url, headers={"X-Write-Key": KEY}, timeout=30)
    yield raw, client
    client.close()
    c.stop()


def post(client, body, **kwargs):
    return client.post("/v1/events", json=body, **kwargs)


def test_accepted_events_are_in_a_file_as_sent_once_acknowledged(running):
    raw, client = running
    before = len(collector.collected_files(raw))
    answer = post(client, {"events": [
        ev("ok-1", event_type="Product_View", product_id="00042", visitor_id="v1", session_id="s1"),
        ev("ok-2", event_type="checkout_step", checkout_step=3, customer_id="C7"),
        ev("ok-3", event_type="search", search_query="  red shoes  ", checkout_step="2"),
    ]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 3}
    files = collector.collected_files(raw)
    assert len(files) == before + 1
    new = files[-1]
    assert new.parent.name == f"date={dt.datetime.now(dt.timezone.utc):%Y-%m-%d}"
    assert new.parent.parent.name == "collector" and new.parent.parent.parent.name == "events"
    table = pq.read_table(new)
    assert table.column_names == ["event_id", "session_id", "visitor_id", "customer_id", "occurred_at", "event_type",
                                  "product_id", "category", "search_query", "checkout_step", "order_id"]
    assert table.to_pylist() == [
        {"event_id": "ok-1", "session_id": "s1", "visitor_id": "v1", "customer_id": None, "occurred_at": AT,
         "event_type": "Product_View", "product_id": "00042", "category": None, "search_query": None,
         "checkout_step": None, "order_id": None},
        {"event_id": "ok-2", "session_id": None, "visitor_id": None, "customer_id": "C7", "occurred_at": AT,
         "event_type": "checkout_step", "product_id": None, "category": None, "search_query": None,
         "checkout_step": "3", "order_id": None},
        {"event_id": "ok-3", "session_id": None, "visitor_id": None, "customer_id": None, "occurred_at": AT,
         "event_type": "search", "product_id": None, "category": None, "search_query": "  red shoes  ",
         "checkout_step": "2", "order_id": None},
    ]
    # Bearer works as well as X-Write-Key
    answer = httpx.post(str(client.base_url.join("/v1/events")), json={"events": [ev("ok-4")]},
                        headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_bad_event_refuses_the_request_naming_event_and_field(running):
    raw, client = running
    before = rows_in_files(raw)
    future = (NOW + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = post(client, {"events": [
        ev("fine-1"),
        {"event_id": "bad-1", "event_type": "page_view"},                                 # no occurred_at
        ev("bad-2", event_type="clicked"),                                               # not an accepted value
        ev("bad-3", occurred_at="2025-02-30T10:00:00Z"),                                 # not a real date
        ev("bad-4", occurred_at="31/12/2024"),                                           # outside the profile
        ev("bad-5", occurred_at="1899-12-31T23:00:00Z"),                                 # year < 1900
        ev("bad-6", occurred_at=future),                                                 # in the future
        ev("bad-7", event_type="checkout_step", checkout_step=5),                         # range 1-4
        ev("bad-8", checkout_step="two"),                                                # not an integer
        ev("bad-9", colour="red"),                                                       # not a contract column
        ev(" \u00a0", event_type=None),                                                  # empty after trimming
        ev("fine-1"),                                                                    # same event_id twice
    ]})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "invalid_events" and "nothing of this request was written" in body["message"]
    got = [(e["event"], e["field"], e["reason"]) for e in body["errors"]]
    assert got == [
        (1, "occurred_at", "missing_required"),
        (2, "event_type", "invalid_value"),
        (3, "occurred_at", "unparseable"),
        (4, "occurred_at", "unparseable"),
        (5, "occurred_at", "out_of_range"),
        (6, "occurred_at", "out_of_range"),
        (7, "checkout_step", "out_of_range"),
        (8, "checkout_step", "unparseable"),
        (9, "colour", "unknown_field"),
        (10, "event_id", "missing_required"),
        (10, "event_type", "missing_required"),
        (11, "event_id", "duplicate_key"),
    ]
    assert body["error_count"] == 12
    assert all(e["message"].startswith(f"event {e['event']}: {e['field']}") or e["reason"] == "unknown_field"
               for e in body["errors"])
    assert "page_view, category_view" in body["errors"][1]["message"]
    assert rows_in_files(raw) == before  # the valid event fine-1 was not written either


def test_401_without_or_with_a_wrong_write_key(running):
    raw, client = running
    before = rows_in_files(raw)
    url = str(client.base_url.join("/v1/events"))
    for headers in ({}, {"X-Write-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY},
                    {"X-Write-Key": ""}):
        answer = httpx.post(url, json={"events": [ev("nokey")]}, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["error"] == "unauthorized"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert rows_in_files(raw) == before


def test_413_for_a_body_or_an_event_count_over_the_limits(running):
    raw, client = running
    before = rows_in_files(raw)
    # 10,000 events in one request (limit 500 here): 413, whatever their size
    small = [{"event_id": str(i)} for i in range(10_000)]
    answer = post(client, {"events": small[:10_000]})
    assert answer.status_code == 413
    assert answer.json()["error"] in ("too_many_events", "request_too_large")
    answer = post(client, {"events": [ev(f"many-{i}") for i in range(501)]})
    assert answer.status_code == 413 and answer.json()["error"] == "too_many_events"
    assert "501 events" in answer.json()["message"] and "500" in answer.json()["message"]
    # a body over max_body_bytes (200,000): declared by Content-Length ...
    big = b'{"events": [' + b",".join(b'{"event_id": "%d"}' % i for i in range(20_000)) + b"]}"
    answer = client.post("/v1/events", content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"] == "request_too_large"
    # ... or streamed without a length (chunked)
    answer = client.post("/v1/events", content=iter([big[i:i + 10_000] for i in range(0, len(big), 10_000)]))
    assert answer.status_code == 413 and answer.json()["error"] == "request_too_large"
    assert rows_in_files(raw) == before


def test_hostile_input_gets_a_clear_4xx_and_nothing_partial(running):
    raw, client = running
    before = rows_in_files(raw)
    url = "/v1/events"
    cases = [
        # (body bytes, status, error, reason of the first problem or None)
        (b'{"events": [{"event_id": 12345, "occurred_at": "' + AT.encode() + b'", "event_type": "page_view"}]}',
         422, "invalid_events", "wrong_type"),
        (b'{"events": [{"event_id": "x", "occurred_at": 1700000000, "event_type": "page_view"}]}',
         422, "invalid_events", "wrong_type"),
        (b'{"events": [{"event_id": ["x"], "occurred_at": "' + AT.encode() + b'", "event_type": {"a": 1}}]}',
         422, "invalid_events", "wrong_type"),
        (b'{"events": [{"event_id": true, "occurred_at": "' + AT.encode() + b'", "event_type": "page_view"}]}',
         422, "invalid_events", "wrong_type"),
        (b'{"events": ["page_view"]}', 422, "invalid_events", "not_an_object"),
        (b'{"events": {"event_id": "x"}}', 400, "invalid_body", None),
        (b'[1, 2, 3]', 400, "invalid_body", None),
        (b'{"events": [], "drop": "table"}', 400, "invalid_body", None),
        (b'{"events": []}', 422, "no_events", None),
        (b'{"events": [', 400, "invalid_json", None),
        (b'', 400, "invalid_json", None),
        # invalid UTF-8 bytes, a lone surrogate escape
        (b'{"events": [{"event_id": "\xff\xfe", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view"}]}',
         400, "invalid_json", None),
        (b'{"events": [{"event_id": "\\ud800", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view"}]}',
         400, "invalid_json", None),
        # huge numbers: beyond a double, a huge integer, a huge integer as text, NaN-like
        (b'{"events": [{"event_id": "h1", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view", '
         b'"checkout_step": 1e400}]}', 400, "invalid_json", None),
        (b'{"events": [{"event_id": "h2", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view", '
         b'"checkout_step": 123456789012345678901234567890}]}', 422, "invalid_events", "out_of_range"),
        (b'{"events": [{"event_id": "h3", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view", '
         b'"checkout_step": "99999999999999999999999999999999999999"}]}', 422, "invalid_events", "out_of_range"),
        (b'{"events": [{"event_id": "h4", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view", '
         b'"checkout_step": 2.5}]}', 422, "invalid_events", "unparseable"),
        (b'{"events": [{"event_id": "h5", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view", '
         b'"checkout_step": NaN}]}', 400, "invalid_json", None),
        # 10 kB strings
        (b'{"events": [{"event_id": "' + b"x" * 10_000 + b'", "occurred_at": "' + AT.encode()
         + b'", "event_type": "page_view"}]}', 422, "invalid_events", "too_long"),
        (b'{"events": [{"event_id": "s1", "search_query": "' + b"q" * 10_240 + b'", "occurred_at": "' + AT.encode()
         + b'", "event_type": "search"}]}', 422, "invalid_events", "too_long"),
        # SQL- and script-looking text where it is no valid value, and as a field name
        (b'{"events": [{"event_id": "q1", "occurred_at": "' + AT.encode()
         + b'", "event_type": "page_view\'; drop table raw.events; --"}]}', 422, "invalid_events", "invalid_value"),
        (b'{"events": [{"event_id": "q2", "occurred_at": "2025-01-01<script>alert(1)</script>", '
         b'"event_type": "page_view"}]}', 422, "invalid_events", "unparseable"),
        (b'{"events": [{"event_id": "q3", "occurred_at": "' + AT.encode() + b'", "event_type": "page_view", '
         b'"x\\"); drop table t; --": "1"}]}', 422, "invalid_events", "unknown_field"),
    ]
    for body, status, error, reason in cases:
        answer = client.post(url, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == status, (body[:120], answer.text[:300])
        payload = answer.json()
        assert payload["error"] == error, (body[:120], payload)
        assert payload["message"]
        if reason is not None:
            assert payload["errors"][0]["reason"] == reason, (body[:120], payload)
            assert payload["errors"][0]["event"] == 0
    assert rows_in_files(raw) == before
    assert client.get("/healthz").status_code == 200  # no crash
    # text that only looks like SQL or a script is data: stored verbatim, nothing executed
    hostile = ["'; drop table raw.events; --", "<script>alert('x')</script>", "\" OR 1=1 --", "Robert'); --",
               "ünïcödé ✓ 🛒", "tab\there, new\nline, nul\x00byte"]
    answer = post(client, {"events": [ev(f"text-{i}", event_type="search", search_query=q)
                                      for i, q in enumerate(hostile)]})
    assert answer.status_code == 200, answer.text
    after = rows_in_files(raw)
    assert [r["search_query"] for r in after[len(before):]] == hostile


def test_no_partial_file_is_ever_visible(running):
    """While requests are written, every visible file of the collector's folder is a
    complete Parquet file (readable, with its rows); temporary files are hidden (.name)."""
    raw, client = running
    stop = threading.Event()
    seen_bad = []

    def watch():
        while not stop.is_set():
            for path in collector.collected_files(raw):
                try:
                    pq.read_metadata(path)
                except Exception as exc:  # noqa: BLE001 - any failure is a partial file
                    if path.exists():
                        seen_bad.append((path, exc))
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(30):
            assert post(client, {"events": [ev(f"vis-{n}-{k}") for k in range(50)]}).status_code == 200
    finally:
        stop.set()
        watcher.join()
    assert seen_bad == []
    assert all(not p.name.startswith(".") for p in collector.collected_files(raw))


def test_kill_9_during_a_load_loses_no_acknowledged_event(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    proc = collector.start_process(raw, KEY)
    killer = threading.Timer(1.5, proc.kill)
    killer.start()
    result = collector_load.run_load(proc.url, KEY, clients=20, events_per_request=5, max_requests=10_000,
                                     duration=6, prefix="kill")
    killer.join()
    assert proc.process.returncode == -9
    assert result.requests > 0, "the load ended before any answer"
    assert result.failed > 0, "the kill came after the load"
    written = [r["event_id"] for r in rows_in_files(raw)]
    assert len(written) == len(set(written))
    missing = set(result.acknowledged_ids) - set(written)
    assert missing == set()
    # anything more in the files belongs to requests that got no answer (written, not yet acknowledged)
    assert set(written) - set(result.acknowledged_ids) <= set(result.sent_ids_unanswered)
    for path in collector.collected_files(raw):
        pq.read_metadata(path)  # complete files only
    # a restart removes temporary files a kill may have left (the loader ignores them anyway)
    stale = raw / "events" / "collector" / f"date={NOW:%Y-%m-%d}" / ".left-by-a-kill.parquet.tmp"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"PAR1 half")
    again = collector.start_process(raw, KEY)
    try:
        assert not stale.exists()
        assert httpx.post(f"{again.url}/v1/events", json={"events": [ev("after-restart")]},
                          headers={"X-Write-Key": KEY}).json() == {"accepted": 1}
    finally:
        again.stop()
    assert "after-restart" in [r["event_id"] for r in rows_in_files(raw)]


def test_the_open_loop_load_keeps_to_its_schedule(tmp_path):
    """collector_load with rate: each of 4 clients sends at 40/4 = 10 requests/s, staggered by 25 ms,
    first 50 ms after the start; in 1 s the schedule holds 10 + 10 + 9 + 9 = 38 requests (client c's
    n-th at 0.05 + c * 0.025 + n * 0.1 s < 1 s), never more; every acknowledged event is in a file."""
    raw = tmp_path / "raw"
    raw.mkdir()
    c = collector.start_in_thread(raw, KEY)
    try:
        result = collector_load.run_load(c.url, KEY, clients=4, events_per_request=2, max_requests=1_000,
                                         duration=1.0, prefix="paced", rate=40)
    finally:
        c.stop()
    sent = result.requests + result.rejected + result.failed
    assert 0 < sent <= 38
    assert result.rejected == result.failed == 0
    assert all(latency >= 0 for latency in result.latencies)
    assert sorted(result.acknowledged_ids) == sorted(r["event_id"] for r in rows_in_files(raw))


def test_timestamps_are_read_as_the_warehouse_reads_them():
    """parse_timestamp (the collector's check) accepts exactly the contract's profile, with the
    instant the warehouse's cast gives (test_text_and_timestamps: every part combined, values just
    outside, the fromisoformat reference)."""
    from test_text_and_timestamps import _outside_variants, _profile_variants, _reference

    inside = _profile_variants()
    assert [(v, collector.parse_timestamp(v)) for v in inside
            if collector.parse_timestamp(v) != _reference(v)[0]] == []
    assert [v for v in _outside_variants() if collector.parse_timestamp(v) is not None] == []
    assert collector.parse_timestamp("2025-02-30T10:00:00Z") is None  # the shape, not a date


def test_refuses_to_start_with_events_as_one_file_or_without_a_key(tmp_path):
    (tmp_path / "Events.csv").write_text("event_id,occurred_at,event_type\n", encoding="utf-8")
    with pytest.raises(collector.CollectorError, match="events table is given as one file"):
        collector.start_in_thread(tmp_path, KEY)
    cli = [sys.executable, "-m", "ecomseg", "collect", "--raw-dir", str(tmp_path), "--port", "0"]
    done = subprocess.run(cli, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "ECOMSEG_WRITE_KEY": KEY})
    assert done.returncode == 2 and "events table is given as one file" in done.stderr
    (tmp_path / "Events.csv").unlink()
    done = subprocess.run(cli, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 2 and "ECOMSEG_WRITE_KEY is empty or not set" in done.stderr
    with pytest.raises(collector.CollectorError, match="no write key"):
        collector.start_in_thread(tmp_path, "")
    with pytest.raises(collector.CollectorError, match="does not exist"):
        collector.start_in_thread(tmp_path / "nowhere", KEY)


@pytest.mark.slow
def test_a_warehouse_loads_the_collectors_files_incrementally(tmp_path_factory):
    raw = tmp_path_factory.mktemp("collector_shop")
    end = (NOW - dt.timedelta(days=1)).date()
    generate_batches(raw, customers=60, days=60, seed=15, end_date=end)
    assert (raw / "events").is_dir()
    wh = Warehouse(tmp_path_factory.mktemp("collector_wh"), raw)
    select = ["--select", "+stg_shop__events"]
    wh.dbt("run", *select)
    before = wh.scalar("select count(*) from staging.stg_shop__events")
    c = collector.start_in_thread(raw, KEY)
    try:
        sent = [ev("rt-1", event_type="Search", search_query="'; drop table staging.stg_shop__events; --",
                   visitor_id="rt-visitor", session_id="rt-session"),
                ev("rt-2", event_type="product_view", product_id="P0001", visitor_id="rt-visitor",
                   session_id="rt-session"),
                ev("rt-3", event_type="add_to_cart", product_id="P0001", visitor_id="rt-visitor",
                   session_id="rt-session", search_query="<script>alert(1)</script>")]
        for event in sent:  # three requests, three files
            answer = httpx.post(f"{c.url}/v1/events", json={"events": [event]}, headers={"X-Write-Key": KEY})
            assert answer.json() == {"accepted": 1}
    finally:
        c.stop()
    assert len(collector.collected_files(raw)) == 3
    wh.dbt("run", *select)
    got = wh.query("select event_id, event_type, search_query, visitor_id, cast(occurred_at as varchar) "
                   "from staging.stg_shop__events where event_id like 'rt-%' order by event_id")
    at = AT.replace("T", " ").rstrip("Z")
    assert got == [("rt-1", "search", "'; drop table staging.stg_shop__events; --", "rt-visitor", at),
                   ("rt-2", "product_view", None, "rt-visitor", at),
                   ("rt-3", "add_to_cart", "<script>alert(1)</script>", "rt-visitor", at)]
    assert wh.scalar("select count(*) from staging.stg_shop__events") == before + 3
    assert wh.scalar("select count(*) from raw._file_manifest where file_path like '%collector%'") == 3
