"""The action exporter (ecomseg.export, issue #15 point 3): exactly once to a webhook on 127.0.0.1 or a file.

A tiny inlined warehouse (the outbox log and the customer file, no dbt): 20
actions, 2 of them control rows, one of a customer who withdrew consent, one
of a customer no longer in the customer file. Every test counts, per
idempotency key, what a receiver that honours the key processed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ecomseg import REPO_ROOT, export, gdpr
from ecomseg.webhook_receiver import WebhookReceiver

N_ACTIONS = 20
CONTROL = {"K03", "K11"}
WITHDRAWN = "K05"   # customer C05 withdrew consent, e-mail channel
GONE = "K07"        # customer C07 is no longer in the customer file
ANONYMOUS = "K09"   # an anonymous visitor, onsite


def _key(i: int) -> str:
    return f"K{i:02d}"


def make_warehouse(path: Path) -> set[str]:
    """Create the outbox log and the customer file; return the keys that must be delivered."""
    con = duckdb.connect(str(path))
    con.execute("create schema intermediate; create schema staging")
    columns = ", ".join(f"{c} varchar" for c in export.PAYLOAD_COLUMNS if c not in (
        "is_control", "earliest_send_at", "earliest_send_shop_time", "contact_hour", "precedence", "trigger_at",
        "as_of_date", "decided_at"))
    con.execute(f"""create table intermediate.int_action_outbox_log ({columns}, is_control boolean,
        earliest_send_at timestamp, earliest_send_shop_time timestamp, contact_hour int, precedence int,
        trigger_at timestamp, as_of_date date, decided_at timestamp, visitor_id varchar)""")
    con.execute("create table staging.stg_shop__customers (customer_id varchar, has_marketing_consent boolean)")
    expected = set()
    for i in range(N_ACTIONS):
        key = _key(i)
        anonymous = key == ANONYMOUS
        customer = None if anonymous else f"C{i:02d}"
        channel = "onsite" if anonymous else "email"
        con.execute(f"""insert into intermediate.int_action_outbox_log
            (idempotency_key, action_type, occasion_key, person_key, person_type, customer_id, channel, is_control,
             earliest_send_at, earliest_send_shop_time, contact_hour, precedence, reason, content_label,
             trigger_at, as_of_date, decided_at, visitor_id)
            values (?, 'search_offer', ?, ?, ?, ?, ?, ?, timestamp '2026-07-02 08:00:00',
                    timestamp '2026-07-02 10:00:00', 10, 3, 'a reason', 'a label',
                    timestamp '2026-07-01 12:00:00', date '2026-07-01', timestamp '2026-07-01 12:00:00' + to_seconds({i}), ?)""",
                    [key, f"search:x{i}", f"P{i:02d}", "visitor" if anonymous else "customer", customer, channel,
                     key in CONTROL, f"V{i:02d}"])
        if customer and key != GONE:
            con.execute("insert into staging.stg_shop__customers values (?, ?)", [customer, key != WITHDRAWN])
        if key not in CONTROL | {WITHDRAWN, GONE}:
            expected.add(key)
    con.close()
    return expected


def deliveries(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select idempotency_key, attempt_number, outcome, http_status, finished_at is not null "
                           f"from {export.DELIVERY_TABLE} order by idempotency_key, attempt_number").fetchall()
    finally:
        con.close()


@pytest.fixture()
def warehouse(tmp_path):
    path = tmp_path / "wh.duckdb"
    return path, make_warehouse(path)


def test_every_action_once_control_withdrawn_and_gone_never(warehouse):
    path, expected = warehouse
    with WebhookReceiver() as receiver:
        stats = export.export_actions(path, receiver.url)
        again = export.export_actions(path, receiver.url)
    assert set(receiver.processed) == expected
    assert all(n == 1 for n in receiver.processed.values())
    assert all(n == 1 for n in receiver.requests.values())  # nothing re-sent by the second run
    assert (stats.delivered, stats.withheld, stats.failed) == (len(expected), 2, 0)
    assert (again.pending, again.delivered) == (0, 0)
    rows = deliveries(path)
    outcome = {key: o for key, _, o, _, _ in rows}
    assert outcome[WITHDRAWN] == "withheld" and outcome[GONE] == "withheld"
    assert not CONTROL & set(outcome)
    assert receiver.payloads["K01"]["customer_id"] == "C01"
    assert "visitor_id" not in receiver.payloads["K01"]


def test_500_then_200_retries_with_the_same_key(warehouse):
    path, expected = warehouse
    with WebhookReceiver(fail_first=2) as receiver:
        stats = export.export_actions(path, receiver.url, backoff_initial=0.01)
    assert set(receiver.processed) == expected and set(receiver.processed.values()) == {1}
    assert set(receiver.requests.values()) == {3}
    assert stats.delivered == len(expected)
    rows = [r for r in deliveries(path) if r[0] == "K01"]
    assert [(n, o, s) for _, n, o, s, _ in rows] == [(1, "failed", 500), (2, "failed", 500), (3, "delivered", 200)]


def test_failing_receiver_keeps_actions_pending_for_the_next_run(warehouse):
    path, expected = warehouse
    with WebhookReceiver(fail_first=4) as receiver:
        first = export.export_actions(path, receiver.url, max_attempts=2, backoff_initial=0.01)
        assert (first.delivered, first.failed) == (0, len(expected))
        assert not receiver.processed
        second = export.export_actions(path, receiver.url, max_attempts=4, backoff_initial=0.01)
    assert second.delivered == len(expected)
    assert set(receiver.processed.values()) == {1} and set(receiver.requests.values()) == {5}
    # attempt numbers continue across runs
    assert [r[1] for r in deliveries(path) if r[0] == "K01"] == [1, 2, 3, 4, 5]


def test_timeout_after_processing_is_processed_once(warehouse):
    path, expected = warehouse
    keys = sorted(expected)[:3]
    con = duckdb.connect(str(path))
    con.execute("delete from intermediate.int_action_outbox_log where idempotency_key not in (select unnest(?))",
                [keys])
    con.close()
    with WebhookReceiver(slow_after_processing=0.6) as receiver:
        stats = export.export_actions(path, receiver.url, timeout=0.3, max_attempts=3, backoff_initial=0.01)
    # processed on the first request; the client timed out each time; the receiver never processed twice
    assert dict(receiver.processed) == {k: 1 for k in keys}
    assert dict(receiver.requests) == {k: 3 for k in keys}
    assert stats.failed == 3
    assert {o for _, _, o, _, _ in deliveries(path)} == {"failed"}


def test_killed_exporter_restarted_delivers_each_action_once(warehouse, tmp_path):
    path, expected = warehouse
    with WebhookReceiver(delay=0.25) as receiver:
        command = [sys.executable, "-m", "ecomseg", "export", "--duckdb", str(path), "--webhook", receiver.url]
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while sum(receiver.requests.values()) < len(expected) // 2 and time.time() < deadline:
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(0.02)
        time.sleep(0.1)  # inside a request: killed between the POST and the recorded outcome
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = deliveries(path)
        sent_before = {k for k, _, o, _, _ in before if o == "delivered"}
        assert 0 < len(sent_before) < len(expected)
        restarted = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        time.sleep(0.3)
    assert set(receiver.processed) == expected and set(receiver.processed.values()) == {1}
    # a key whose delivery was recorded was never sent again
    assert all(receiver.requests[k] == 1 for k in sent_before)
    resent = {k for k, n in receiver.requests.items() if n > 1}
    assert len(resent) <= 1  # at most the one in flight when killed, sent again with the same key
    after = deliveries(path)
    assert {k for k, _, o, _, _ in after if o == "delivered"} == expected
    assert all(done for k, _, o, _, done in after if o != "started")


def test_jsonl_sink_writes_every_action_once(warehouse, tmp_path):
    path, expected = warehouse
    out = tmp_path / "exports" / "actions.jsonl"
    export.export_actions(path, str(out))
    # a crash after the line was written but before the outcome was recorded: the key is sent again
    con = duckdb.connect(str(path))
    con.execute(f"update {export.DELIVERY_TABLE} set outcome = 'started', finished_at = null "
                "where idempotency_key = 'K01'")
    con.close()
    stats = export.export_actions(path, str(out))
    assert stats.delivered == 1
    keys = [json.loads(line)["idempotency_key"] for line in out.read_text().splitlines()]
    assert sorted(keys) == sorted(expected)


def test_forget_clears_the_delivery_log(warehouse):
    path, expected = warehouse
    with WebhookReceiver() as receiver:
        export.export_actions(path, receiver.url)
    anonymous_visitor = "V09"
    subject = gdpr.Subject(customer_id="C01", visitor_ids={"V01"})
    gdpr.purge_warehouse(path, subject)
    gdpr.purge_warehouse(path, gdpr.Subject(customer_id="C99", visitor_ids={anonymous_visitor}))
    left = {k for k, *_ in deliveries(path)}
    assert "K01" not in left and ANONYMOUS not in left
    assert left == (expected | {WITHDRAWN, GONE}) - {"K01", ANONYMOUS}
