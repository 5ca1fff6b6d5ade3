"""The whole real-time path on the sample shop, in one command (issue #15).

  ecomseg realtime --demo        (make realtime)

1. Generates the sample shop as daily exports with some days kept back
   (--batches daily --redeliveries, into --raw-dir, only when it has no shop yet)
   and builds it once with the regular build (every model and test).
2. Starts a local marketing-tool stand-in on 127.0.0.1 (a webhook honouring
   the Idempotency-Key, ecomseg.webhook_receiver) that prints each action it receives.
3. Replays the generator's visitors of the next --days days as a steady stream:
   every --interval seconds a chunk of their events (and new sessions) lands the
   way the collector writes them (<raw>/events/collector/date=.../<ts>-<uuid>.parquet;
   with --collector-url they are POSTed to a running collector, ecomseg collect, instead).
4. Runs the micro-batch process (ecomseg stream) on it, delivering to the webhook,
   until the stream is drained; then prints the latency per batch (median, p95)
   and checks that the webhook processed every delivered action exactly once.

The stream is the warehouse's only writer while it runs. docs/realtime.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

from ecomseg import REPO_ROOT

DEFAULT_RAW = REPO_ROOT / "data" / "realtime" / "raw"
DEFAULT_DUCKDB = REPO_ROOT / "warehouse" / "realtime.duckdb"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", required=True,
                        help="run the demo on the sample shop (the only mode)")
    parser.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW, help=f"default {DEFAULT_RAW.relative_to(REPO_ROOT)}")
    parser.add_argument("--duckdb", type=Path, default=DEFAULT_DUCKDB,
                        help=f"default {DEFAULT_DUCKDB.relative_to(REPO_ROOT)}")
    parser.add_argument("--days", type=int, default=1, help="days of visitors to replay (default 1)")
    parser.add_argument("--chunks-per-day", type=int, default=6, help="chunks a day's events are sent in (default 6)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between chunks (default 2)")
    parser.add_argument("--poll", type=float, default=0.5, help="the stream's poll interval in seconds (default 0.5)")
    parser.add_argument("--collector-url", default=None,
                        help="POST the events to this running collector (e.g. http://127.0.0.1:8765/v1/events) "
                             "instead of writing its files directly")
    return parser


def prepare_shop(raw_dir: Path, duckdb_path: Path, horizon_days: int, seed: int = 7) -> None:
    """Generate the sample shop as daily exports (when missing) and build it with the regular build."""
    from ecomseg import batches
    from ecomseg.cli import build, generate

    if not (raw_dir / batches.STATE_FILE).exists():
        generate.main(["--scale", "small", "--seed", str(seed), "--batches", "daily", "--redeliveries",
                       "--horizon-days", str(horizon_days), "--out", str(raw_dir), "--quiet"])
    if not duckdb_path.exists():
        status = build.main(["--raw-dir", str(raw_dir), "--duckdb", str(duckdb_path), "--no-generate"])
        if status != 0:
            raise SystemExit(status)


def chunks(rows: list, n: int) -> list[list]:
    size = max(1, -(-len(rows) // max(1, n)))
    return [rows[i:i + size] for i in range(0, len(rows), size)]


class Feeder(threading.Thread):
    """Replays the next days' events (and their sessions) chunk by chunk."""

    def __init__(self, raw_dir: Path, days: int, per_day: int, interval: float, collector_url: str | None = None):
        super().__init__(daemon=True)
        from ecomseg.stream import ShopReplay

        self.raw_dir = raw_dir
        self.replay = ShopReplay(raw_dir, raw_dir.parent / "_replay")
        self.days, self.per_day, self.interval = days, per_day, interval
        self.collector_url = collector_url
        self.posted: list[tuple[float, int]] = []  # (time, events)
        self.acknowledged_event_ids: list[str] = []
        self.error: BaseException | None = None

    def _post(self, table: str, rows: list[dict], day: str) -> None:
        from ecomseg.stream import write_collector_file

        if not rows:
            return
        if self.collector_url and table == "events":
            import httpx

            response = httpx.post(self.collector_url, json={"events": rows}, timeout=30)
            response.raise_for_status()
        else:
            write_collector_file(self.raw_dir, table, rows, day=day)

    def run(self) -> None:
        try:
            for _ in range(self.days):
                day = self.replay.next_day()
                sessions = {s["session_id"]: s for s in day["sessions"]}
                for chunk in chunks(day["events"], self.per_day):
                    ids = {e["session_id"] for e in chunk}
                    new_sessions = [sessions.pop(i) for i in sorted(ids) if i in sessions]
                    self._post("sessions", new_sessions, day["day"])
                    self._post("events", chunk, day["day"])
                    self.posted.append((time.time(), len(chunk)))
                    self.acknowledged_event_ids += [e["event_id"] for e in chunk]
                    time.sleep(self.interval)
                self._post("sessions", list(sessions.values()), day["day"])
        except BaseException as exc:  # reported by the main thread
            self.error = exc


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]


def run_path(raw_dir: Path, duckdb_path: Path, *, days: int, per_day: int, interval: float, poll: float,
             collector_url: str | None = None, on_processed=None, log=print) -> dict:
    """Receiver, stream and feeder together until the replayed days are processed and delivered.

    Returns {"results": [BatchResult], "receiver": WebhookReceiver, "feeder": Feeder,
    "action_latencies": [s], "catch_up": BatchResult}: an action's latency is from the arrival
    of the oldest file of the batch that decided it to the webhook processing it.
    """
    from ecomseg.stream import MicroBatchStream
    from ecomseg.webhook_receiver import WebhookReceiver

    with WebhookReceiver(on_processed=on_processed) as receiver:
        log(f"== marketing-tool stand-in listening on {receiver.url}")
        stream = MicroBatchStream(raw_dir, duckdb_path, destination=receiver.url, log=log)
        log("== parsing the dbt project once (the stream reuses it for every batch)")
        stream.parse()
        log("== catch-up batch (anything already there; delivers the actions of the regular build)")
        catch_up = stream.run_once(force=True)
        feeder = Feeder(raw_dir, days, per_day, interval, collector_url)
        log(f"== replaying {days} day(s) of the shop's visitors, {per_day} chunk(s) a day, one every {interval:g} s")
        feeder.start()
        results = []
        while feeder.is_alive() or stream.pending_files():
            result = stream.run_once()
            if result is not None:
                results.append(result)
            else:
                time.sleep(poll)
    if feeder.error is not None:
        raise RuntimeError(f"the feeder failed: {feeder.error}") from feeder.error
    latencies = []
    for result in results:
        if result.export is None or result.oldest_arrival is None:
            continue
        latencies += [receiver.first_processed_at[k] - result.oldest_arrival
                      for k in result.export.delivered_keys if k in receiver.first_processed_at]
    return {"results": results, "receiver": receiver, "feeder": feeder, "action_latencies": latencies,
            "catch_up": catch_up}


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    raw_dir, duckdb_path = args.raw_dir.resolve(), args.duckdb.resolve()
    print(f"== the sample shop as daily exports in {raw_dir}, built into {duckdb_path} (regular build)")
    prepare_shop(raw_dir, duckdb_path, horizon_days=max(args.days, 1) + 7)

    def show(key: str, payload: dict) -> None:
        print(f"   webhook <- {payload.get('action_type')} for {payload.get('person_type')} "
              f"{payload.get('customer_id') or str(payload.get('person_key', ''))[:10]} on {payload.get('channel')} "
              f"(key {key[:12]}...)")

    try:
        run = run_path(raw_dir, duckdb_path, days=args.days, per_day=args.chunks_per_day, interval=args.interval,
                       poll=args.poll, collector_url=args.collector_url, on_processed=show)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    results, receiver = run["results"], run["receiver"]
    latencies = run["action_latencies"]
    delivered = sum(r.export.delivered for r in results if r.export)
    twice = [k for k, n in receiver.processed.items() if n != 1]
    print(f"\n{len(results)} batch(es), {sum(n for _, n in run['feeder'].posted)} events sent, "
          f"{delivered} action(s) delivered after the catch-up")
    if latencies:
        print(f"latency, arrival of the events to the action processed by the webhook: median "
              f"{statistics.median(latencies):.1f} s, p95 {percentile(latencies, 0.95):.1f} s, "
              f"max {max(latencies):.1f} s ({len(latencies)} actions)")
    print(f"exactly once: {len(receiver.processed)} action(s) processed by the webhook, "
          f"{'none twice' if not twice else f'{len(twice)} twice: FAILED'}")
    print(f"every attempt is in the warehouse: select * from realtime.action_deliveries  ({duckdb_path})")
    return 0 if not twice else 1
