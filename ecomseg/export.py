"""Deliver the decided marketing actions to the marketing tool, exactly once (issue #15, point 3).

What is delivered: every row of the outbox log (``intermediate.int_action_outbox_log``,
all as-of dates, so an exporter that was down over a day boundary misses
nothing) that

- is not a control-group row (``is_control``: decided and logged, never sent),
- has no delivery recorded yet (outcome ``delivered``) and no final refusal
  (outcome ``withheld`` or ``rejected``),

as one JSON object per action with the columns of ``marts.marketing_actions``
(no visitor id). The marketing tool schedules the message at
``earliest_send_at``; delivering it to the tool is not sending it to the person.

Checked again at export time, against the warehouse as it is now:

- an action on a message channel (not ``onsite``) whose customer has no
  marketing consent any more (withdrawn since the decision) is ``withheld``;
- an action of a customer who is no longer in the customer file is
  ``withheld`` (an erased person: ``ecomseg forget`` also deletes their outbox
  rows and their delivery log rows, so normally there is nothing left to send).

Where to: an HTTP webhook (``http://`` or ``https://`` URL; JSON POST, the key
in the ``Idempotency-Key`` header) or a JSON-lines file (any other value: a
path), one line per action, appended and fsync'd; the file sink reads the keys
already in the file first and never writes a key twice.

Exactly once. Every attempt is a row of the delivery log
``realtime.action_deliveries`` in the warehouse, written (and committed)
*before* the request with outcome ``started`` and updated with its outcome
after it: ``delivered`` (2xx), ``failed`` (5xx, 408, 429, a time-out or a
connection error: retried with exponential backoff, tenacity, and again by the
next export run), ``rejected`` (any other status: final, never retried) or
``withheld`` (the checks above: final). A key with a ``delivered`` row is never
sent again. A process killed between the request and the update leaves a
``started`` row; the next run sends that key again *with the same
Idempotency-Key*, so a receiver that honours the key processes it once. The
same holds for a receiver that processed a request but answered too late (a
time-out): the retry carries the same key.

Who writes: DuckDB allows one writer per file. The exporter writes the
delivery log into the warehouse file, so it runs either inside the micro-batch
process after each batch (``ecomseg stream --webhook ...``, the normal way) or
alone (``ecomseg export``) while nothing else has the warehouse open.
DuckDB only: on Spark the exporter is not available (the warehouse there has
no Python writer); docs/realtime.md.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import duckdb

DELIVERY_SCHEMA = "realtime"
DELIVERY_TABLE = f"{DELIVERY_SCHEMA}.action_deliveries"
OUTBOX_LOG = "intermediate.int_action_outbox_log"
CUSTOMERS = "staging.stg_shop__customers"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MESSAGE_CHANNELS_EXCLUDED = ("onsite",)
FINAL_OUTCOMES = ("delivered", "withheld", "rejected")

# The columns of marts.marketing_actions, the payload of one action.
PAYLOAD_COLUMNS = (
    "idempotency_key", "action_type", "occasion_key", "person_key", "person_type", "customer_id", "channel",
    "is_control", "earliest_send_at", "earliest_send_shop_time", "contact_hour", "precedence",
    "lifecycle_stage", "rfm_segment", "reason", "content_label", "content_product_ids",
    "content_product_names", "trigger_at", "as_of_date", "decided_at",
)

CREATE_DELIVERY_LOG = f"""
create schema if not exists {DELIVERY_SCHEMA};
create table if not exists {DELIVERY_TABLE} (
    attempt_id varchar primary key,   -- one row per attempt
    idempotency_key varchar not null, -- the action (int_action_outbox_log)
    attempt_number integer not null,  -- 1, 2, ... over every run of the exporter
    person_key varchar,
    customer_id varchar,              -- null for an anonymous visitor
    visitor_id varchar,               -- so that ecomseg forget clears anonymous rows too
    action_type varchar,
    channel varchar,
    destination varchar,              -- the webhook URL or the file path
    started_at timestamp not null,    -- UTC
    finished_at timestamp,            -- UTC; null: the process stopped during the attempt
    outcome varchar not null,         -- started | delivered | failed | rejected | withheld
    http_status integer,
    detail varchar                    -- the error, the refusal or the withholding reason
)
"""


class Retryable(Exception):
    """An attempt that may succeed later (5xx, 408, 429, time-out, connection error)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Rejected(Exception):
    """The receiver refused the action for good (a 4xx other than 408 and 429)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Sink(Protocol):
    destination: str

    def send(self, key: str, payload: dict) -> int | None:
        """Deliver one action; return the HTTP status (None for a file), raise Retryable or Rejected."""

    def close(self) -> None:
        ...


class WebhookSink:
    """POST each action as JSON to a URL, with the Idempotency-Key header."""

    def __init__(self, url: str, timeout: float = 5.0):
        import httpx

        self.destination = url
        self._client = httpx.Client(timeout=timeout)
        self._httpx = httpx

    def send(self, key: str, payload: dict) -> int | None:
        try:
            response = self._client.post(self.destination, json=payload, headers={IDEMPOTENCY_HEADER: key})
        except self._httpx.TimeoutException as exc:
            raise Retryable(f"time-out: {exc.__class__.__name__}") from exc
        except self._httpx.TransportError as exc:
            raise Retryable(f"connection error: {exc.__class__.__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return status
        if status >= 500 or status in (408, 429):
            raise Retryable(f"HTTP {status}: {response.text[:200]}", status)
        raise Rejected(f"HTTP {status}: {response.text[:200]}", status)

    def close(self) -> None:
        self._client.close()


class JsonLinesSink:
    """Append each action as one JSON line to a file (fsync'd); a key already in the file is not written again."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.destination = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._keys: set[str] = set()
        if self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                for line in handle:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        self._keys.add(json.loads(line)["idempotency_key"])
                    except (ValueError, KeyError):
                        continue  # a line cut by a crash: its key is written again
        self._handle = self.path.open("a", encoding="utf-8")

    def send(self, key: str, payload: dict) -> int | None:
        if key in self._keys:
            return None
        self._handle.write(json.dumps(payload, default=str, sort_keys=True) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._keys.add(key)
        return None

    def close(self) -> None:
        self._handle.close()


def make_sink(destination: str, timeout: float = 5.0) -> Sink:
    if destination.startswith(("http://", "https://")):
        return WebhookSink(destination, timeout=timeout)
    return JsonLinesSink(destination)


@dataclass
class ExportStats:
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    rejected: int = 0
    withheld: int = 0
    attempts: int = 0
    delivered_keys: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.delivered} delivered, {self.failed} failed (retried later), {self.rejected} rejected, "
                f"{self.withheld} withheld, {self.attempts} attempts")


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


def ensure_delivery_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CREATE_DELIVERY_LOG)


def _relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name]).fetchone()[0])


def pending_actions(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The outbox rows to export, oldest decision first, with what the export-time checks need."""
    if not _relation_exists(con, OUTBOX_LOG):
        return []
    has_customers = _relation_exists(con, CUSTOMERS)
    customers = (f"left join {CUSTOMERS} as customers on o.customer_id = customers.customer_id"
                 if has_customers else "")
    consent = "customers.has_marketing_consent" if has_customers else "cast(null as boolean)"
    known = "customers.customer_id is not null" if has_customers else "false"
    columns = ", ".join(f"o.{c}" for c in PAYLOAD_COLUMNS)
    rows = con.execute(f"""
        select {columns}, o.visitor_id,
            {consent} as current_consent, {known} as customer_known,
            coalesce(d.attempts, 0) as attempts_so_far
        from {OUTBOX_LOG} as o
        {customers}
        left join (
            select idempotency_key, count(*) as attempts,
                max(case when outcome in {FINAL_OUTCOMES} then 1 else 0 end) as is_final
            from {DELIVERY_TABLE} group by idempotency_key
        ) as d on o.idempotency_key = d.idempotency_key
        where not coalesce(o.is_control, false)
            and coalesce(d.is_final, 0) = 0
        order by o.decided_at, o.idempotency_key
    """).fetchall()
    names = [*PAYLOAD_COLUMNS, "visitor_id", "current_consent", "customer_known", "attempts_so_far"]
    return [dict(zip(names, row)) for row in rows]


def _withhold_reason(action: dict) -> str | None:
    if action["person_type"] == "customer" or action["customer_id"] is not None:
        if not action["customer_known"]:
            return "customer no longer in the customer file (erased?)"
        if action["channel"] not in MESSAGE_CHANNELS_EXCLUDED and not action["current_consent"]:
            return "marketing consent withdrawn since the decision"
    return None


def _payload(action: dict) -> dict:
    out = {}
    for column in PAYLOAD_COLUMNS:
        value = action[column]
        if isinstance(value, (_dt.datetime, _dt.date)):
            value = value.isoformat()
        out[column] = value
    return out


def export_actions(
    duckdb_path: Path | str | None = None,
    destination: str | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    sink: Sink | None = None,
    max_attempts: int = 4,
    backoff_initial: float = 0.2,
    backoff_max: float = 5.0,
    timeout: float = 5.0,
    limit: int | None = None,
    on_delivered: Callable[[str], None] | None = None,
) -> ExportStats:
    """Deliver every pending action once; record every attempt and outcome in realtime.action_deliveries.

    Give a warehouse path (opened and closed here) or an open connection, and a
    destination (URL or file) or a sink. max_attempts per action in this run
    (tenacity, exponential backoff from backoff_initial seconds, at most
    backoff_max); an action still failing stays pending for the next run.
    limit: at most this many actions in this run.
    """
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

    own_con = con is None
    if own_con:
        con = duckdb.connect(str(duckdb_path))
    own_sink = sink is None
    if own_sink:
        if destination is None:
            raise ValueError("export_actions needs a destination (URL or file) or a sink")
        sink = make_sink(destination, timeout=timeout)
    stats = ExportStats()
    try:
        ensure_delivery_log(con)
        actions = pending_actions(con)
        if limit is not None:
            actions = actions[:limit]
        stats.pending = len(actions)
        for action in actions:
            key = action["idempotency_key"]
            attempt_number = action["attempts_so_far"]
            reason = _withhold_reason(action)
            if reason is not None:
                attempt_number += 1
                _record(con, action, sink.destination, attempt_number, "withheld", None, reason, finished=True)
                stats.withheld += 1
                continue
            payload = _payload(action)
            retrying = Retrying(
                stop=stop_after_attempt(max_attempts),
                wait=wait_exponential(multiplier=backoff_initial, max=backoff_max),
                retry=retry_if_exception_type(Retryable),
                reraise=True,
            )
            try:
                for attempt in retrying:
                    with attempt:
                        attempt_number += 1
                        stats.attempts += 1
                        attempt_id = _record(con, action, sink.destination, attempt_number, "started", None, None)
                        try:
                            status = sink.send(key, payload)
                        except (Retryable, Rejected) as exc:
                            outcome = "failed" if isinstance(exc, Retryable) else "rejected"
                            _finish(con, attempt_id, outcome, exc.status, str(exc))
                            raise
                        except Exception as exc:  # an unexpected error: recorded, then retried like a 5xx
                            _finish(con, attempt_id, "failed", None, f"{exc.__class__.__name__}: {exc}")
                            raise Retryable(str(exc)) from exc
                        _finish(con, attempt_id, "delivered", status, None)
                stats.delivered += 1
                stats.delivered_keys.append(key)
                if on_delivered is not None:
                    on_delivered(key)
            except Retryable:
                stats.failed += 1
            except Rejected:
                stats.rejected += 1
    finally:
        if own_sink:
            sink.close()
        if own_con:
            con.close()
    return stats


def _record(con, action: dict, destination: str, attempt_number: int, outcome: str, status: int | None,
            detail: str | None, finished: bool = False) -> str:
    attempt_id = str(uuid.uuid4())
    now = _now()
    con.execute(
        f"insert into {DELIVERY_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [attempt_id, action["idempotency_key"], attempt_number, action["person_key"], action["customer_id"],
         action["visitor_id"], action["action_type"], action["channel"], destination, now,
         now if finished else None, outcome, status, detail])
    return attempt_id


def _finish(con, attempt_id: str, outcome: str, status: int | None, detail: str | None) -> None:
    con.execute(
        f"update {DELIVERY_TABLE} set outcome = ?, http_status = ?, detail = ?, finished_at = ? where attempt_id = ?",
        [outcome, status, detail, _now(), attempt_id])


def delivered_keys(con: duckdb.DuckDBPyConnection) -> set[str]:
    if not _relation_exists(con, DELIVERY_TABLE):
        return set()
    return {r[0] for r in con.execute(
        f"select distinct idempotency_key from {DELIVERY_TABLE} where outcome = 'delivered'").fetchall()}
