"""The event collector: behavioural events in over HTTP, durable as raw files.

``POST /v1/events`` takes a JSON body ``{"events": [{...}, ...]}`` whose
events have the columns of the raw data contract's ``events`` table
(models/staging/shop/_shop__sources.yml, read through ecomseg.contract). Every
event is checked against that contract before anything is written: a request
with any bad event is refused whole (422, naming each bad event by its index
and field), nothing of it is written. Accepted events are written as a new
Parquet file in ``<raw-dir>/events/collector/date=YYYY-MM-DD/`` (the UTC day the
file was written), atomically: a hidden temporary file (name starting with
``.``, which the warehouse's loader ignores) in the same folder, flushed and
fsync'd, renamed into place (os.replace) and the folder fsync'd. The answer
``{"accepted": n}`` is sent only after that, so an acknowledged event survives
a killed collector (or a power cut); an event whose answer was lost may be
sent again: the warehouse keeps the first delivery of an ``event_id`` and
quarantines the repeat as ``duplicate_key``.

Requests that arrive while a file is being written share the next file
(group commit: one file and one fsync for all of them), so the number of files
and fsyncs follows the disk, not the request rate.

Bounds: the request body (``max_body_bytes``) and the events per request
(``max_events``) give 413; a text value longer than ``max_value_chars``
characters gives 422 (``too_long``). Every request needs the write key
(``Authorization: Bearer <key>`` or ``X-Write-Key: <key>``), else 401; browsers
post through the shop's back end, which adds the key (docs/collector.md).

Run it with ``ecomseg collect --raw-dir DIR``; ``start_in_thread`` and
``start_process`` start it for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import hmac
import math
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import FastAPI, Request
from starlette.responses import Response

from ecomseg import contract

TABLE = "events"
COLLECTOR_FOLDER = "collector"  # <raw-dir>/events/collector/date=YYYY-MM-DD/<file>
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_WRITE_KEY_ENV = "ECOMSEG_WRITE_KEY"
DEFAULT_MAX_BODY_BYTES = 1_048_576  # 1 MiB
DEFAULT_MAX_EVENTS = 1_000
DEFAULT_MAX_VALUE_CHARS = 2_000
DEFAULT_WRITERS = 8  # files written (and fsync'd) at once by the group commit
MAX_ERRORS_LISTED = 100  # a 422 lists at most this many problems (and says how many there were)


class CollectorError(Exception):
    """The collector cannot start (raw folder, events layout, write key)."""


# ---------------------------------------------------------------------------
# Validation: the events contract, from ecomseg.contract
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    event: int | None  # index in the request's events list; None: the request itself
    field: str | None
    reason: str  # missing_required, unparseable, out_of_range, invalid_value (as the quarantine),
    #              wrong_type, unknown_field, too_long, invalid_unicode, duplicate_key, not_an_object
    message: str

    def as_dict(self) -> dict:
        return {"event": self.event, "field": self.field, "reason": self.reason, "message": self.message}


def _future_tolerance_days() -> float | None:
    """The dbt var future_date_tolerance_days of dbt_project.yml (None: the check is off)."""
    try:
        value = contract.project_vars().get("future_date_tolerance_days", 1)
    except OSError:
        return 1.0
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return 1.0


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    return {name: re.compile(p) for name, p in contract.VALUE_PATTERNS.items()}


_OFFSET_SPACE = re.compile(r" ([+-]|Z$)")


def parse_timestamp(text: str) -> _dt.datetime | None:
    """A normalised value as a naive UTC datetime, when it is in the contract's
    timestamp profile (contract.VALUE_PATTERNS) and a real date; else None."""
    if not _patterns()["timestamp"].fullmatch(text):
        return None
    # the profile's extensions of what fromisoformat reads: lower-case t and z, one space before the offset
    value = _OFFSET_SPACE.sub(r"\1", text.replace("t", "T").replace("z", "Z"))
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return parsed


class EventValidator:
    """Checks events (JSON objects) against the contract's events table. Values
    are checked as the warehouse reads them (text normalisation, then type,
    required, range, accepted values, length, year and future limits) and kept
    as sent: the warehouse normalises them itself."""

    def __init__(self, max_value_chars: int = DEFAULT_MAX_VALUE_CHARS,
                 future_tolerance_days: float | None | str = "project"):
        self.table = contract.table(TABLE)
        self.columns = {c.name: c for c in self.table.columns}
        self.max_value_chars = max_value_chars
        self.future_tolerance_days = (_future_tolerance_days() if future_tolerance_days == "project"
                                      else future_tolerance_days)

    def check(self, events: list) -> tuple[list[dict], list[Problem]]:
        """(rows to write: dicts of contract column -> text or None, problems)."""
        latest = None
        if self.future_tolerance_days is not None:
            latest = (_dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
                      + _dt.timedelta(days=self.future_tolerance_days))
        rows, problems, seen_keys = [], [], {}
        key = self.table.primary_key
        for index, event in enumerate(events):
            if not isinstance(event, dict):
                problems.append(Problem(index, None, "not_an_object",
                                        f"event {index} is a JSON {_json_type(event)}, not an object"))
                continue
            row, event_problems = self._check_event(index, event, latest)
            problems += event_problems
            if not event_problems:
                key_value = tuple(contract.normalise_text(row[k]) for k in key)
                if key_value in seen_keys:
                    problems.append(Problem(index, key[0], "duplicate_key",
                                            f"event {index}: {key[0]} {key_value[0]!r} is also event "
                                            f"{seen_keys[key_value]} of this request"))
                    continue
                seen_keys[key_value] = index
                rows.append(row)
        return rows, problems

    def _check_event(self, index: int, event: dict, latest: _dt.datetime | None) -> tuple[dict, list[Problem]]:
        problems = []
        for name in event:
            if name not in self.columns:
                shown = name if len(name) <= 60 else name[:60] + "..."
                problems.append(Problem(index, shown, "unknown_field",
                                        f"event {index}: {shown!r} is not a column of the events contract "
                                        f"({', '.join(self.columns)})"))
        row = {}
        for name, col in self.columns.items():
            value = event.get(name)
            if value is None and not col.required:
                row[name] = None
                continue
            text, problem = self._check_value(index, col, value, latest)
            if problem is not None:
                problems.append(problem)
            row[name] = text
        return row, problems

    def _check_value(self, index: int, col: contract.Column, value, latest) -> tuple[str | None, Problem | None]:
        def problem(reason: str, message: str) -> tuple[None, Problem]:
            return None, Problem(index, col.name, reason, f"event {index}: {col.name} {message}")

        if value is None:
            text = None
        elif isinstance(value, str):
            text = value
        elif col.contract_type in ("integer", "decimal") and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                return problem("unparseable", f"is not a finite number ({value!r})")
            if col.contract_type == "integer":
                if isinstance(value, float) and not value.is_integer():
                    return problem("unparseable", f"must be a whole number, not {value!r}")
                text = str(int(value))
            else:
                text = repr(float(value)) if isinstance(value, float) else str(value)
        else:
            expected = "a string" if col.contract_type in ("text", "timestamp", "date") \
                else "a number or a string" if col.contract_type in ("integer", "decimal") else "a string"
            return problem("wrong_type", f"must be {expected} or null, not a JSON {_json_type(value)}")
        if text is not None:
            if len(text) > self.max_value_chars:
                return problem("too_long", f"has {len(text):,} characters, more than the collector's limit "
                                           f"of {self.max_value_chars:,}")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return problem("invalid_unicode", "holds a lone surrogate (not valid Unicode text)")
        clean = contract.normalise_text(text)
        if clean is None:
            if col.required:
                return problem("missing_required", "is required" + ("" if text is None else
                                                                    f" (the value {_short(text)} is empty)"))
            return text, None
        kind = col.contract_type
        number = None
        if kind in ("integer", "decimal"):
            if not _patterns()[kind].fullmatch(clean):
                return problem("unparseable", f"is not a{'n integer' if kind == 'integer' else ' decimal'} "
                                              f"number: {_short(clean)}")
            number = float(clean) if kind == "decimal" else int(float(clean)) if "." in clean else int(clean)
        elif kind in ("timestamp", "date"):
            parsed = parse_timestamp(clean)
            if parsed is None:
                return problem("unparseable", f"is not an ISO-8601 timestamp of the contract's profile "
                                              f"(e.g. 2025-03-01T10:00:00Z): {_short(clean)}")
            lo, hi = contract.YEAR_RANGE
            if not lo <= parsed.year <= hi:
                return problem("out_of_range", f"has a year outside {lo}-{hi}: {_short(clean)}")
            if latest is not None and parsed > latest:
                return problem("out_of_range", f"is in the future (later than now + "
                                               f"{self.future_tolerance_days:g} days, UTC): {_short(clean)}")
        elif kind == "boolean":
            pass  # the events contract has no boolean column; the warehouse's rules apply to the files
        if col.range is not None and number is not None and not col.range.contains(number):
            return problem("out_of_range", f"must be {col.range.describe()}, not {_short(clean)}")
        if col.accepted_values is not None and clean.lower() not in col.accepted_values:
            return problem("invalid_value", f"must be one of {', '.join(col.accepted_values)} (any case), "
                                            f"not {_short(clean)}")
        if col.length is not None and len(clean) != col.length:
            return problem("invalid_value", f"must have exactly {col.length} characters, not {_short(clean)}")
        return text, None


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


# ---------------------------------------------------------------------------
# Durable files, written by a group commit
# ---------------------------------------------------------------------------

def events_folder(raw_dir: Path | str, create: bool = True) -> Path:
    """The events table's folder in raw_dir (found case-insensitively). Raises
    CollectorError when raw_dir is missing or the events table is given as one
    file (the collector can only add files to a folder)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise CollectorError(f"the raw folder {raw_dir} does not exist (give the shop's raw data folder)")
    folders, files = [], []
    for entry in raw_dir.iterdir():
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir() and entry.name.lower() == TABLE:
            folders.append(entry)
        elif entry.is_file() and entry.name.lower() in (f"{TABLE}.csv", f"{TABLE}.parquet"):
            files.append(entry)
    if files:
        raise CollectorError(
            f"the events table is given as one file ({', '.join(str(f) for f in files)}): the collector writes new "
            f"files into an events folder, and a table given both as a file and as a folder is an error "
            f"(docs/raw-data-contract.md, Layout). Move the file into a folder first, e.g. "
            f"mkdir {raw_dir / TABLE} && mv {files[0]} {raw_dir / TABLE}/ ; generate_data.py --batches daily "
            f"writes events as a folder")
    if len(folders) > 1:
        raise CollectorError(f"the events table is given twice: {', '.join(str(f) for f in folders)}")
    if folders:
        return folders[0]
    folder = raw_dir / TABLE
    if create:
        folder.mkdir()
        _fsync_dir(raw_dir)
    return folder


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temporary_files(folder: Path) -> int:
    """Temporary files left by a collector that was killed while writing (never
    acknowledged: their requests got no answer). Returns how many were removed."""
    removed = 0
    base = folder / COLLECTOR_FOLDER
    if base.is_dir():
        for path in base.glob("date=*/.*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class FileWriter:
    """Writes a list of rows as one new Parquet file, atomically and durably."""

    def __init__(self, events_dir: Path, columns: list[str]):
        self.base = events_dir / COLLECTOR_FOLDER
        self.columns = columns
        self.schema = pa.schema([(c, pa.string()) for c in columns])
        self._known_dirs: set[Path] = set()
        self._lock = threading.Lock()  # writes run in several threads: folders and counters under it
        self.files_written = 0
        self.rows_written = 0

    def _day_dir(self, now: _dt.datetime) -> Path:
        folder = self.base / f"date={now:%Y-%m-%d}"
        with self._lock:  # a file is acknowledged only after its folder's entry is durable too
            return self._make_day_dir(folder)

    def _make_day_dir(self, folder: Path) -> Path:
        if folder not in self._known_dirs:
            for path in (self.base, folder):
                path.mkdir(exist_ok=True)
                # the folder's entry durable in its parent, also when an earlier (killed) run made it
                _fsync_dir(path.parent)
            self._known_dirs.add(folder)
        return folder

    def write(self, rows: list[dict]) -> Path:
        now = _dt.datetime.now(_dt.timezone.utc)
        folder = self._day_dir(now)
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.parquet"
        final, temporary = folder / name, folder / f".{name}.tmp"
        table = pa.table({c: pa.array([r[c] for r in rows], type=pa.string()) for c in self.columns},
                         schema=self.schema)
        try:
            with open(temporary, "wb") as handle:
                pq.write_table(table, handle, compression="zstd")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        _fsync_dir(folder)
        with self._lock:
            self.files_written += 1
            self.rows_written += len(rows)
        return final


def warm_up(validator: EventValidator, writer: FileWriter) -> None:
    """The first validation reads the contract's definitions and the first Parquet
    file loads pyarrow's writer (about a second together on a busy machine): do
    both before the first request, writing to memory only."""
    import io

    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows, _ = validator.check([{"event_id": "warm-up", "occurred_at": now, "event_type": "page_view",
                                "checkout_step": 1}])
    table = pa.table({c: pa.array([r[c] for r in rows], type=pa.string()) for c in writer.columns},
                     schema=writer.schema)
    pq.write_table(table, io.BytesIO(), compression="zstd")


@dataclass
class _Pending:
    rows: list[dict]
    future: asyncio.Future


class GroupCommitter:
    """Group commit: requests wait in a queue; whatever is waiting when a write
    slot is free goes into one file (one fsync for all of them). Up to
    `in_flight` files are written at once (the disk's fsync latency, not the
    CPU, bounds a single writer); each request is answered when its own file is
    durable."""

    def __init__(self, writer: FileWriter, in_flight: int = DEFAULT_WRITERS, max_rows_per_file: int = 100_000):
        self.writer = writer
        self.in_flight = in_flight
        self.max_rows_per_file = max_rows_per_file
        self._pending: list[_Pending] = []
        self._wakeup: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._task: asyncio.Task | None = None
        self._writes: set[asyncio.Task] = set()
        self._executor = None
        self._closing = False

    def start(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(self.in_flight)
        self._executor = ThreadPoolExecutor(self.in_flight, thread_name_prefix="ecomseg-collector-write")
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Writes what is pending, then stops."""
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._task is not None:
            await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def submit(self, rows: list[dict]) -> None:
        """Returns once rows are durable in a file; raises OSError when the write failed."""
        if self._closing:
            raise OSError("the collector is shutting down")
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(rows, future))
        self._wakeup.set()
        await future

    def _take_group(self) -> list[_Pending]:
        group, size = [], 0
        while self._pending and (not group or size + len(self._pending[0].rows) <= self.max_rows_per_file):
            item = self._pending.pop(0)
            group.append(item)
            size += len(item.rows)
        return group

    async def _commit(self, group: list[_Pending]) -> None:
        rows = [r for item in group for r in item.rows]
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.writer.write, rows)
        except Exception as exc:  # disk full, permissions: nobody in the group is acknowledged
            for item in group:
                if not item.future.done():
                    item.future.set_exception(OSError(f"could not write the events file: {exc}"))
        else:
            for item in group:
                if not item.future.done():
                    item.future.set_result(None)
        finally:
            self._slots.release()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                await self._slots.acquire()  # requests arriving meanwhile join the group
                group = self._take_group()
                if not group:
                    self._slots.release()
                    break
                task = loop.create_task(self._commit(group))
                self._writes.add(task)
                task.add_done_callback(self._writes.discard)
            if self._closing and not self._pending:
                if self._writes:
                    await asyncio.gather(*self._writes)
                return


# ---------------------------------------------------------------------------
# The HTTP application
# ---------------------------------------------------------------------------

@dataclass
class CollectorConfig:
    raw_dir: Path
    write_key: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_events: int = DEFAULT_MAX_EVENTS
    max_value_chars: int = DEFAULT_MAX_VALUE_CHARS
    writers: int = DEFAULT_WRITERS
    future_tolerance_days: float | None | str = "project"  # "project": the dbt var of dbt_project.yml
    stats: dict = field(default_factory=lambda: {"requests": 0, "accepted_events": 0})


def _json(status: int, body: dict, headers: dict | None = None):
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error(status: int, error: str, message: str, headers: dict | None = None, **extra):
    return _json(status, {"error": error, "message": message, **extra}, headers)


def create_app(config: CollectorConfig):
    """The FastAPI application. Checks the raw folder (CollectorError) and the write key."""
    if not config.write_key:
        raise CollectorError("no write key: set one (ecomseg collect reads it from the environment variable "
                             f"named by --write-key-env, default {DEFAULT_WRITE_KEY_ENV})")
    folder = events_folder(config.raw_dir)
    validator = EventValidator(config.max_value_chars, config.future_tolerance_days)
    writer = FileWriter(folder, validator.table.column_names)
    committer = GroupCommitter(writer, in_flight=config.writers)
    expected_key = config.write_key.encode("utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        remove_stale_temporary_files(folder)
        warm_up(validator, writer)
        committer.start()
        try:
            yield
        finally:
            await committer.stop()

    app = FastAPI(title="ecomseg event collector", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.writer = writer
    app.state.config = config

    def authorised(request: Request) -> bool:
        given = request.headers.get("x-write-key")
        if given is None:
            auth = request.headers.get("authorization", "")
            scheme, _, token = auth.partition(" ")
            given = token.strip() if scheme.lower() == "bearer" else None
        return given is not None and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected_key)

    @app.get("/healthz")
    async def healthz():
        return _json(200, {"status": "ok", "files_written": writer.files_written,
                           "events_written": writer.rows_written})

    @app.post("/v1/events")
    async def post_events(request: Request):
        config.stats["requests"] += 1
        if not authorised(request):
            return _error(401, "unauthorized", "a valid write key is required: header 'Authorization: Bearer "
                                               "<key>' or 'X-Write-Key: <key>'",
                          headers={"WWW-Authenticate": 'Bearer realm="ecomseg-collector"'})
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return _error(400, "bad_request", "Content-Length is not a number")
            if int(length) > config.max_body_bytes:
                return _error(413, "request_too_large", f"the body has {int(length):,} bytes, more than the "
                                                        f"limit of {config.max_body_bytes:,} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > config.max_body_bytes:
                return _error(413, "request_too_large", f"the body has more than the limit of "
                                                        f"{config.max_body_bytes:,} bytes")
            chunks.append(chunk)
        try:
            body = orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError as exc:
            return _error(400, "invalid_json", f"the body is not valid JSON in UTF-8: {exc}")
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            return _error(400, "invalid_body", 'the body must be a JSON object {"events": [ {...}, ... ]}')
        extra = sorted(k for k in body if k != "events")
        if extra:
            return _error(400, "invalid_body", f"unknown keys in the body: {', '.join(map(repr, extra[:10]))} "
                                               f'(it must be {{"events": [...]}})')
        events = body["events"]
        if not events:
            return _error(422, "no_events", "the events list is empty")
        if len(events) > config.max_events:
            return _error(413, "too_many_events", f"{len(events):,} events in one request, more than the limit "
                                                  f"of {config.max_events:,}: send them in several requests")
        rows, problems = validator.check(events)
        if problems:
            bad_events = len({p.event for p in problems})
            return _error(422, "invalid_events",
                          f"{bad_events} of {len(events)} events break the events contract; nothing of this "
                          f"request was written", errors=[p.as_dict() for p in problems[:MAX_ERRORS_LISTED]],
                          error_count=len(problems))
        try:
            await committer.submit(rows)
        except OSError as exc:
            return _error(503, "not_written", f"nothing of this request was written: {exc}")
        config.stats["accepted_events"] += len(rows)
        return _json(200, {"accepted": len(rows)})

    return app


# ---------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------

def _server(config: CollectorConfig, host: str, port: int):
    import uvicorn

    app = create_app(config)
    uv_config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                               server_header=False, date_header=False, lifespan="on", timeout_graceful_shutdown=10)
    return uvicorn.Server(uv_config)


def serve(config: CollectorConfig, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the collector until SIGINT/SIGTERM (graceful: requests in flight are
    written and answered before it exits)."""
    _server(config, host, port).run()


@dataclass
class RunningCollector:
    url: str  # e.g. http://127.0.0.1:41234
    server: object
    thread: threading.Thread | None = None
    process: subprocess.Popen | None = None

    def stop(self, timeout: float = 30) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout)
            return
        self.server.should_exit = True
        self.thread.join(timeout)

    def kill(self) -> None:
        """SIGKILL (a process started by start_process only)."""
        self.process.kill()
        self.process.wait()


def start_in_thread(raw_dir: Path | str, write_key: str, host: str = DEFAULT_HOST, port: int = 0,
                    timeout: float = 30, **options) -> RunningCollector:
    """Start the collector in a thread of this process (port 0: a free port) and
    return once it accepts connections; .url, .stop(). options: fields of CollectorConfig."""
    server = _server(CollectorConfig(Path(raw_dir), write_key, **options), host, port)
    thread = threading.Thread(target=server.run, name="ecomseg-collector", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise CollectorError("the collector did not start (see the log above)")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    return RunningCollector(url=f"http://{bound[0]}:{bound[1]}", server=server, thread=thread)


def start_process(raw_dir: Path | str, write_key: str, host: str = DEFAULT_HOST, port: int | None = None,
                  timeout: float = 60, extra_args: list[str] | None = None,
                  cwd: Path | str | None = None) -> RunningCollector:
    """Start `python -m ecomseg collect` as a child process (its own write key
    in its environment) and return once /healthz answers; .url, .stop() (SIGTERM),
    .kill() (SIGKILL)."""
    import socket

    import httpx

    if port is None:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    env = dict(os.environ, ECOMSEG_WRITE_KEY=write_key)
    process = subprocess.Popen([sys.executable, "-m", "ecomseg", "collect", "--raw-dir", str(raw_dir),
                                "--host", host, "--port", str(port), *(extra_args or [])],
                               env=env, cwd=cwd)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise CollectorError(f"the collector exited with {process.returncode} before it started")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise CollectorError(f"the collector did not answer on {url} within {timeout:g} s")
        time.sleep(0.05)
    return RunningCollector(url=url, server=None, process=process)


def collected_files(raw_dir: Path | str) -> list[Path]:
    """The collector's finished files in raw_dir (temporary files excluded), in name order."""
    base = events_folder(raw_dir, create=False) / COLLECTOR_FOLDER
    return sorted(p for p in base.glob("date=*/*.parquet") if not p.name.startswith("."))
