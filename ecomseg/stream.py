"""Micro-batches: score what is new, decide, export (issue #15, point 2).

One long-running process (``ecomseg stream``) watches the raw folder's event
and session files (the collector's ``events/collector/date=YYYY-MM-DD/*`` among
them) and, when new ones have landed, runs one micro-batch:

1. ``dbt run --selector realtime`` (selectors.yml) with a manifest parsed once
   at start (dbt's programmatic runner, ``dbtRunner(manifest=...)``), or
   ``--selector realtime_behaviour`` when the batch's new events cannot move
   the as-of date (choose_selector: the customer models that change only with
   the orders or the as-of date are left out then): the
   on-run-start loader reads only the new files (raw._file_manifest), the
   incremental staging and session models merge them, and the models of the
   real-time path (sessions, person behaviours, scores, behaviour triggers,
   candidates, outbox log, marketing_actions) are rebuilt. No tests in the
   loop: the regular build (``ecomseg build``) runs them.
2. The exporter (ecomseg.export), in the same process, delivers the new actions
   (the warehouse has one writer: this process).
3. One progress line: the batch's new files and events, new actions, deliveries
   and latency (from the oldest new file's arrival to the end of the export).

The model selection, the equality with a full build and the measured latency
are in docs/realtime.md.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb

from ecomseg import REPO_ROOT, export
from ecomseg.dbt_runner import _release_duckdb, run_dbt

SELECTOR = "realtime"
# the selector of a batch whose new events cannot move the as-of date (MicroBatchStream.choose_selector)
BEHAVIOUR_SELECTOR = "realtime_behaviour"
WATCHED_TABLES = ("events", "sessions")
DATA_SUFFIXES = (".csv", ".parquet")
COLLECTOR_FOLDER = "collector"
# flags of every micro-batch's `dbt run` (MicroBatchStream(run_flags=...) to change them).
# --cache-selected-only, not --no-populate-cache: without a populated cache dbt lists a schema
# lazily in the middle of the run, and a table swap of the other (regular build's) thread in that
# schema made it fail with "Cache inconsistency detected" (docs/realtime.md)
RUN_FLAGS = ("--no-write-json", "--cache-selected-only")
# seconds between two looks for new files when the last one found none (ecomseg stream --poll)
DEFAULT_POLL_SECONDS = 0.2


def _is_data_file(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    if any(part.startswith((".", "_")) for part in relative.parts):
        return False  # a file being written (hidden temp name) or a side folder
    return path.suffix.lower() in DATA_SUFFIXES and path.is_file()


def scan(raw_dir: Path, tables: Iterable[str] = WATCHED_TABLES) -> dict[str, tuple[int, float]]:
    """The watched data files: path -> (size, mtime)."""
    found: dict[str, tuple[int, float]] = {}
    for table in tables:
        folder = raw_dir / table
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if _is_data_file(path, raw_dir):
                stat = path.stat()
                found[str(path)] = (stat.st_size, stat.st_mtime)
    return found


class FolderWatch:
    """The watched data files like scan(), but each poll lists only the folders that changed.

    A folder's modification time changes when a file is added, removed or renamed in it (the
    collector's atomic rename included), so a folder whose time is unchanged keeps its cached
    files and sub-folders: a poll costs one stat per folder (about one per day of history), not a
    listing and a stat per file. A file rewritten in place (same name) is not seen here; the
    loader still compares every processed file's size and time with the manifest on the next
    batch and stops naming it (macros/loading/file_manifest.sql).
    """

    def __init__(self, raw_dir: Path, tables: Iterable[str] = WATCHED_TABLES):
        self.raw_dir = Path(raw_dir)
        self.tables = tuple(tables)
        # folder -> (its mtime_ns, {data file path: (size, mtime)}, [sub-folders])
        self._folders: dict[str, tuple[int, dict[str, tuple[int, float]], list[str]]] = {}

    def _visit(self, folder: str, found: dict[str, tuple[int, float]], seen: set[str]) -> None:
        try:
            mtime_ns = os.stat(folder).st_mtime_ns
        except FileNotFoundError:
            return
        seen.add(folder)
        cached = self._folders.get(folder)
        if cached is None or cached[0] != mtime_ns:
            files: dict[str, tuple[int, float]] = {}
            subfolders: list[str] = []
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith((".", "_")):
                        continue  # a file being written (hidden temp name) or a side folder
                    if entry.is_dir():
                        subfolders.append(entry.path)
                    elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in DATA_SUFFIXES:
                        stat = entry.stat()
                        files[entry.path] = (stat.st_size, stat.st_mtime)
            cached = (mtime_ns, files, subfolders)
            self._folders[folder] = cached
        found.update(cached[1])
        for sub in cached[2]:
            self._visit(sub, found, seen)

    def scan(self) -> dict[str, tuple[int, float]]:
        found: dict[str, tuple[int, float]] = {}
        seen: set[str] = set()
        for table in self.tables:
            folder = self.raw_dir / table
            if folder.is_dir():
                self._visit(str(folder), found, seen)
        for gone in set(self._folders) - seen:
            del self._folders[gone]
        return found


def _project_var(name: str, dbt_vars: dict):
    """A dbt var as the stream's runs see it: the stream's --vars, else dbt_project.yml's."""
    if name in dbt_vars:
        return dbt_vars[name]
    from ecomseg import contract

    return contract.project_vars().get(name)


def _raw_values(path: Path, column: str) -> list | None:
    """Every value of a column (matched in any case) of one raw CSV or Parquet file; None when the
    file cannot be read or has no such column."""
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            names = [n for n in schema.names if n.strip().lower() == column]
            if len(names) != 1:
                return None
            return pq.read_table(path, columns=names).column(0).to_pylist()
        con = duckdb.connect()
        try:
            frame = con.execute("select * from read_csv(?, all_varchar = true, header = true)", [str(path)])
            names = [d[0] for d in frame.description]
            matches = [i for i, n in enumerate(names) if n.strip().lower() == column]
            if len(matches) != 1:
                return None
            return [row[matches[0]] for row in frame.fetchall()]
        finally:
            con.close()
    except Exception:  # unreadable here: the caller runs the whole path (the loader reports the file)
        return None


def latest_event_shop_date(paths: Iterable[str], shop_timezone: str) -> tuple[_dt.date | None, str | None]:
    """The latest shop date of the events' occurred_at in these raw files, read as the contract
    reads a timestamp (text normalisation, ISO-8601 profile, no offset = UTC; ecomseg.collector's
    parse_timestamp): (date, None), (None, None) when they hold no timestamp, or (None, reason)
    when a file or a value cannot be read that way (the caller then assumes the date may move)."""
    from zoneinfo import ZoneInfo

    from ecomseg import contract
    from ecomseg.collector import parse_timestamp

    zone = ZoneInfo(shop_timezone)
    latest: _dt.date | None = None
    for path in paths:
        values = _raw_values(Path(path), "occurred_at")
        if values is None:
            return None, f"{Path(path).name}: no readable occurred_at column"
        for value in values:
            if isinstance(value, _dt.datetime):
                instant = value if value.tzinfo is None else value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            else:
                text = contract.normalise_text(value)
                if text is None:
                    continue  # no timestamp: quarantined by the staging, moves nothing
                instant = parse_timestamp(text)
                if instant is None:
                    return None, f"{Path(path).name}: occurred_at {text[:40]!r} not read here"
            day = instant.replace(tzinfo=_dt.timezone.utc).astimezone(zone).date()
            latest = day if latest is None or day > latest else latest
    return latest, None


def write_collector_file(raw_dir: Path | str, table: str, rows: list[dict], day: str | None = None,
                         fmt: str = "parquet") -> Path:
    """Land rows the way the collector does: <raw>/<table>/collector/date=<day>/<ts>-<uuid>.<fmt>.

    Written under a hidden temporary name, fsync'd, then renamed (atomic): a
    reader never sees half a file. Used by the tests and the latency benchmark
    to land events without an HTTP round trip (the demo, `make realtime`, and
    the fault benchmark POST them to ecomseg collect instead); every value is
    written as text.
    """
    import pyarrow as pa

    raw_dir = Path(raw_dir)
    day = day or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
    folder = raw_dir / table / COLLECTOR_FOLDER / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{stamp}-{uuid.uuid4().hex}.{fmt}"
    temporary = folder / f".{name}.tmp"
    columns = sorted({k for row in rows for k in row})
    table_data = pa.table({c: pa.array([None if r.get(c) is None else str(r.get(c)) for r in rows],
                                       type=pa.string()) for c in columns})
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table_data, temporary)
    else:
        import pyarrow.csv as pacsv

        pacsv.write_csv(table_data, temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, folder / name)
    return folder / name


@dataclass
class BatchResult:
    number: int
    new_files: int
    events: int
    new_actions: int
    export: export.ExportStats | None
    dbt_seconds: float
    export_seconds: float
    latency_seconds: float | None  # oldest new file's arrival (mtime) -> end of the export
    oldest_arrival: float | None = None  # the oldest new file's mtime (None: the catch-up batch)
    finished_at: float = field(default_factory=time.time)
    selector: str = SELECTOR  # the dbt selector the batch ran (choose_selector)
    selector_reason: str = ""  # why that one

    def line(self) -> str:
        delivered = "no export" if self.export is None else self.export.line()
        latency = "-" if self.latency_seconds is None else f"{self.latency_seconds:.1f} s"
        return (f"batch {self.number}: {self.new_files} new file(s), {self.events} event(s), "
                f"{self.new_actions} new action(s); {delivered}; dbt {self.dbt_seconds:.1f} s "
                f"({self.selector}), "
                f"export {self.export_seconds:.1f} s, latency {latency}")


class MicroBatchStream:
    """Parse once, then one micro-batch per arrival of new files (run_once / run)."""

    def __init__(self, raw_dir: Path | str, duckdb_path: Path | str, *, destination: str | None = None,
                 selector: str = SELECTOR, behaviour_selector: str | None = BEHAVIOUR_SELECTOR,
                 target_path: Path | str | None = None,
                 dbt_vars: dict | None = None, export_options: dict | None = None,
                 log: Callable[[str], None] = print, run_flags: Iterable[str] | None = None):
        self.raw_dir = Path(raw_dir).resolve()
        self.duckdb_path = Path(duckdb_path).resolve()
        self.destination = destination
        self.selector = selector
        # None: every batch runs `selector` (choose_selector)
        self.behaviour_selector = behaviour_selector
        self.target_path = Path(target_path or REPO_ROOT / "target" / "stream").resolve()
        # the loader reads only the tables the collector delivers (var raw_tables_to_load); the
        # scorecard describes persons at the scoring snapshot only (var scorecard_scoring_snapshot_only)
        self.dbt_vars = {"raw_tables_to_load": list(WATCHED_TABLES), "scorecard_scoring_snapshot_only": True,
                         **(dbt_vars or {})}
        # dbt's per-run work the stream does not need: no run_results.json / manifest.json per batch,
        # no listing of every schema's relations up front (a model's relation is looked up when needed)
        self.run_flags = list(RUN_FLAGS if run_flags is None else run_flags)
        self.export_options = dict(export_options or {})
        self.log = log
        self.manifest = None
        self.batches = 0
        self._seen: dict[str, tuple[int, float]] = {}
        self._watch = FolderWatch(self.raw_dir)

    # -- dbt ---------------------------------------------------------------
    def _dbt(self, args: list[str], **kwargs):
        return run_dbt(args, raw_dir=self.raw_dir, duckdb_path=self.duckdb_path, target_path=self.target_path,
                       dbt_vars=self.dbt_vars, **kwargs)

    def parse(self) -> None:
        result = self._dbt(["parse", "--quiet"])
        self.manifest = result.raw.result

    # -- one batch -----------------------------------------------------------
    def pending_files(self) -> dict[str, tuple[int, float]]:
        current = self._watch.scan()
        return {p: v for p, v in current.items() if self._seen.get(p) != v}

    def _as_of_date(self) -> _dt.date | None:
        """The as-of date of the warehouse's last run (intermediate.int_as_of_date), if any."""
        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            row = con.execute("select max(as_of_date) from intermediate.int_as_of_date").fetchone()
            return row[0] if row else None
        except duckdb.Error:
            return None
        finally:
            con.close()

    def choose_selector(self, pending: dict[str, tuple[int, float]], first_batch: bool) -> tuple[str, str]:
        """(selector, reason) of a batch with these new files.

        The behaviour selector (realtime_behaviour) leaves out the customer models that change
        only with the orders or the as-of date. The stream loads only events and sessions (var
        raw_tables_to_load), so the orders do not change between two regular builds, and the
        as-of date (the latest order or event date in shop time, or the var as_of_date) moves
        only when a new event lies after it. That selector is therefore chosen only when every
        new event file's occurred_at values are read here and none lies after the warehouse's
        current as-of date; the whole path (realtime) otherwise, and always on a process's first
        batch (the regular build may have loaded orders since). An event this check cannot read
        (a malformed timestamp the staging will quarantine) sends the batch down the whole path:
        the cost of a wrong guess is time, never a stale result.
        """
        if self.behaviour_selector is None:
            return self.selector, "one selector"
        if first_batch:
            return self.selector, "first batch of the process"
        loaded = set(self.dbt_vars.get("raw_tables_to_load") or ())
        if not loaded or loaded - set(WATCHED_TABLES):
            return self.selector, "raw_tables_to_load includes more than events and sessions"
        as_of = self._as_of_date()
        if as_of is None:
            return self.selector, "no as-of date in the warehouse yet"
        events_root = self.raw_dir / "events"
        event_files = [p for p in pending if Path(p).is_relative_to(events_root)]
        latest, problem = latest_event_shop_date(event_files, _project_var("shop_timezone", self.dbt_vars) or "UTC")
        if problem is not None:
            return self.selector, f"the as-of date may move ({problem})"
        if latest is not None and latest > as_of:
            return self.selector, f"new events of {latest.isoformat()} move the as-of date {as_of.isoformat()}"
        return self.behaviour_selector, f"the as-of date {as_of.isoformat()} stays"

    def _counts(self) -> tuple[int, int]:
        """(events loaded so far, outbox log rows)."""
        con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            def count(sql: str) -> int:
                try:
                    return int(con.execute(sql).fetchone()[0] or 0)
                except duckdb.Error:
                    return 0
            events = count("select sum(row_count) from raw._file_manifest where table_name = 'events'")
            actions = count(f"select count(*) from {export.OUTBOX_LOG}")
            return events, actions
        finally:
            con.close()

    def run_once(self, force: bool = False) -> BatchResult | None:
        """One micro-batch if new files landed (or force); None when there was nothing new."""
        if self.manifest is None:
            self.parse()
        pending = self.pending_files()
        if not pending and not force:
            return None
        first_batch = not self._seen  # catching up with everything already there: no latency
        oldest = None if first_batch else min((mtime for _, mtime in pending.values()), default=None)
        selector, reason = self.choose_selector(pending, first_batch)
        as_of_before = self._as_of_date() if selector != self.selector else None
        events_before, actions_before = self._counts()
        started = time.time()
        self._dbt(["run", "--selector", selector, "--quiet", *self.run_flags], manifest=self.manifest)
        _release_duckdb()
        as_of_after = self._as_of_date() if selector != self.selector else None
        if as_of_after != as_of_before:
            # not expected (choose_selector reads the events as the staging does); should it happen, this
            # batch's decisions were made with the customer models of the old as-of date: the customer
            # models are brought to the new date at once, and the warning says so
            self.log(f"warning: the as-of date moved in a {selector} batch ({as_of_before} -> "
                     f"{as_of_after}); running --selector {self.selector} now")
            self._dbt(["run", "--selector", self.selector, "--quiet", *self.run_flags], manifest=self.manifest)
            _release_duckdb()
            selector, reason = self.selector, f"rerun: the as-of date moved in a {selector} batch"
        dbt_seconds = time.time() - started
        self._seen.update(pending)
        events_after, actions_after = self._counts()
        stats = None
        export_started = time.time()
        if self.destination is not None:
            stats = export.export_actions(self.duckdb_path, self.destination, **self.export_options)
        finished = time.time()
        self.batches += 1
        result = BatchResult(
            number=self.batches, new_files=len(pending), events=events_after - events_before,
            new_actions=actions_after - actions_before, export=stats, dbt_seconds=dbt_seconds,
            export_seconds=finished - export_started,
            latency_seconds=None if oldest is None else finished - oldest, oldest_arrival=oldest,
            finished_at=finished, selector=selector, selector_reason=reason)
        self.log(result.line())
        return result

    def run(self, poll_seconds: float = DEFAULT_POLL_SECONDS, max_batches: int | None = None,
            idle_exit_seconds: float | None = None) -> list[BatchResult]:
        """Loop: a batch whenever new files landed; stop after max_batches or idle_exit_seconds without any."""
        results: list[BatchResult] = []
        last_activity = time.time()
        first = True
        while True:
            result = self.run_once(force=first)
            first = False
            if result is not None:
                results.append(result)
                last_activity = time.time()
                if max_batches is not None and len(results) >= max_batches:
                    return results
            elif idle_exit_seconds is not None and time.time() - last_activity >= idle_exit_seconds:
                return results
            else:
                time.sleep(poll_seconds)


class ShopReplay:
    """The generator's next days of a --batches daily shop, for a steady stream of its visitors.

    Copies the shop's generator state into a scratch folder (emptied first;
    a scratch folder of an earlier replay of the same shop is continued after
    its last day) and writes the following days there (ecomseg.batches.append_days, late and duplicate
    events included when the shop has --redeliveries); next_day() returns that
    day's event and session rows, every value as text, in arrival order. The
    raw folder itself is not touched: the rows reach it through the collector
    (or write_collector_file).
    """

    def __init__(self, raw_dir: Path | str, scratch_dir: Path | str):
        import shutil

        from ecomseg import batches

        import json

        self.scratch = Path(scratch_dir)
        source = json.loads((Path(raw_dir) / batches.STATE_FILE).read_text(encoding="utf-8"))
        kept = self.scratch / batches.STATE_FILE
        if kept.exists():
            state = json.loads(kept.read_text(encoding="utf-8"))
            same_shop = {k: v for k, v in state.items() if k != "written_through"} == \
                {k: v for k, v in source.items() if k != "written_through"}
            if same_shop and state["written_through"] > source["written_through"]:
                self._batches = batches  # an earlier replay of this shop: continue after its last day
                return
        if self.scratch.exists():
            shutil.rmtree(self.scratch)
        self.scratch.mkdir(parents=True)
        shutil.copy2(Path(raw_dir) / batches.STATE_FILE, kept)
        self._batches = batches

    def next_day(self) -> dict:
        """{'day': 'YYYY-MM-DD', 'events': [...], 'sessions': [...]} of the next day."""
        import pyarrow.parquet as pq
        import pyarrow.csv as pacsv

        done = self._batches.append_days(self.scratch, 1)
        day = done["days"][0]
        out: dict = {"day": day}
        for table in WATCHED_TABLES:
            rows: list[dict] = []
            for path in sorted((self.scratch / table).rglob(f"date={day}/*")):
                if path.suffix == ".parquet":
                    frame = pq.read_table(path)
                elif path.suffix == ".csv":
                    frame = pacsv.read_csv(path)
                else:
                    continue
                for row in frame.to_pylist():
                    rows.append({k: (None if v is None else str(v).replace(" ", "T") if k in ("occurred_at", "started_at")
                                     else str(v)) for k, v in row.items()})
            order_by = "occurred_at" if table == "events" else "started_at"
            rows.sort(key=lambda r: r.get(order_by) or "")
            out[table] = rows
        return out
