"""The whole real-time path on the sample shop, in one command (issue #15).

  ecomseg realtime --demo        (make realtime)

1. Generates the sample shop as daily exports with some days kept back
   (--batches daily --redeliveries, into --raw-dir, only when it has no shop yet)
   and builds it once with the regular build (every model and test).
2. Starts the collector (ecomseg collect, a child process on 127.0.0.1 with a
   write key made for the run) and a local marketing-tool stand-in on
   127.0.0.1 (a webhook honouring the Idempotency-Key, ecomseg.webhook_receiver)
   that prints each action it receives. With --collector-url the events go to a
   collector already running instead (its write key in $ECOMSEG_WRITE_KEY).
3. Replays the generator's visitors of the next --days days as a steady stream:
   every --interval seconds a chunk of their events is POSTed to the collector
   over HTTP (POST /v1/events, the write key in X-Write-Key, at most 500 events a
   request; a request without an answer is sent again; an event the collector
   refuses with a 422, e.g. the sample's planted dirt, is printed with the
   collector's reason and left out); the sessions they open
   land beside them in the collector's file layout (the collector takes events
   only: sessions come with the shop's session feed).
4. Runs the micro-batch process (ecomseg stream) on it, delivering to the webhook,
   until the replayed days are processed (bounded: --max-minutes); then prints the
   latency (median, p95) and counts: every event the collector acknowledged is in
   the warehouse, the webhook processed every delivered action exactly once, no
   sendable action is left undelivered.

The stream is the warehouse's only writer while it runs. docs/realtime.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

from ecomseg import REPO_ROOT
from ecomseg.cli.build import warehouse_path

DEFAULT_RAW = REPO_ROOT / "data" / "realtime" / "raw"
DEFAULT_DUCKDB = REPO_ROOT / "warehouse" / "realtime_shop.duckdb"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", required=True,
                        help="run the demo on the sample shop (the only mode)")
    parser.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW, help=f"default {DEFAULT_RAW.relative_to(REPO_ROOT)}")
    parser.add_argument("--duckdb", type=warehouse_path, default=DEFAULT_DUCKDB,
                        help=f"default {DEFAULT_DUCKDB.relative_to(REPO_ROOT)}")
    parser.add_argument("--days", type=int, default=1, help="days of visitors to replay (default 1)")
    parser.add_argument("--chunks-per-day", type=int, default=6, help="chunks a day's events are sent in (default 6)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between chunks (default 2)")
    parser.add_argument("--poll", type=float, default=0.5, help="the stream's poll interval in seconds (default 0.5)")
    parser.add_argument("--collector-url", default=None,
                        help="POST the events to this collector, already running (e.g. http://127.0.0.1:8765), with "
                             "the write key of $ECOMSEG_WRITE_KEY (default: start one on 127.0.0.1 for the run)")
    parser.add_argument("--max-minutes", type=float, default=30.0,
                        help="stop the stream after this many minutes even if files are still pending (default 30)")
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


def events_url(collector_url: str) -> str:
    """The collector's POST /v1/events URL from its base URL (or that URL itself)."""
    url = collector_url.rstrip("/")
    return url if url.endswith("/v1/events") else url + "/v1/events"


class Feeder(threading.Thread):
    """Replays the next days' events (and their sessions) chunk by chunk.

    With collector_url the events are POSTed to the collector (write_key in
    X-Write-Key, at most max_events_per_request a request); a request without an
    answer (connection refused or reset: the collector restarting) or answered
    503 is sent again, for up to retry_seconds; a 422 naming the events that break
    the contract (the sample shop's planted dirt) drops those, keeps them in
    .refused with the collector's reason (and logs them) and sends the rest; any
    other answer but 200 stops the feed with an error. acknowledged_event_ids: the events of the requests
    answered 200. Without collector_url the events land as the collector's
    files directly (ecomseg.stream.write_collector_file). Sessions always do.
    """

    def __init__(self, raw_dir: Path, days: int, per_day: int, interval: float, collector_url: str | None = None,
                 write_key: str | None = None, replay_dir: Path | None = None, max_events_per_request: int = 500,
                 retry_seconds: float = 120.0, log=None, replay=None):
        super().__init__(daemon=True)
        from ecomseg.stream import ShopReplay

        self.raw_dir = raw_dir
        # replay: anything with next_day() as ShopReplay has (the tests give their own)
        self.replay = replay or ShopReplay(raw_dir, replay_dir or raw_dir.parent / "_replay")
        self.days, self.per_day, self.interval = days, per_day, interval
        self.collector_url = events_url(collector_url) if collector_url else None
        self.write_key = write_key
        self.max_events_per_request = max_events_per_request
        self.retry_seconds = retry_seconds
        self.log = log
        self.posted: list[tuple[float, int]] = []  # (time, events)
        self.acknowledged_event_ids: list[str] = []
        self.requests = 0  # answered 200
        self.resent = 0  # requests sent again after no answer or a 503
        self.refused: list[tuple[dict, str]] = []  # (event, the collector's reason): a 422 named them
        self.error: BaseException | None = None

    def _post_events(self, rows: list[dict]) -> None:
        import httpx

        headers = {"X-Write-Key": self.write_key} if self.write_key else {}
        with httpx.Client(headers=headers, timeout=30) as client:
            for start in range(0, len(rows), self.max_events_per_request):
                part = rows[start:start + self.max_events_per_request]
                deadline = time.monotonic() + self.retry_seconds
                while True:
                    try:
                        response = client.post(self.collector_url, json={"events": part})
                    except httpx.TransportError as exc:  # no answer: the collector is down or restarting
                        problem = f"no answer ({type(exc).__name__})"
                    else:
                        if response.status_code == 200 and response.json() == {"accepted": len(part)}:
                            break
                        refused = self._refused(response, part)
                        if refused is not None:  # events breaking the contract: dropped, named, the rest sent
                            self.refused += [(part[i], reason) for i, reason in sorted(refused.items())]
                            if self.log is not None:
                                for i, reason in sorted(refused.items()):
                                    self.log(f"   the collector refused event {part[i].get('event_id')} (422): "
                                             f"{reason}")
                            part = [e for i, e in enumerate(part) if i not in refused]
                            if not part:
                                break
                            continue
                        if response.status_code != 503:
                            raise RuntimeError(f"the collector answered {response.status_code} to "
                                               f"{len(part)} event(s): {response.text[:500]}")
                        problem = "503"
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the collector at {self.collector_url} did not acknowledge "
                                           f"{len(part)} event(s) within {self.retry_seconds:g} s: {problem}")
                    self.resent += 1
                    time.sleep(0.5)
                if part:
                    self.requests += 1
                    self.acknowledged_event_ids += [e["event_id"] for e in part]

    @staticmethod
    def _refused(response, part: list[dict]) -> dict[int, str] | None:
        """{index: message} of the events a 422 invalid_events names, when it names every bad one."""
        if response.status_code != 422:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        errors = body.get("errors") or []
        if body.get("error") != "invalid_events" or body.get("error_count") != len(errors):
            return None
        refused: dict[int, str] = {}
        for error in errors:
            index = error.get("event")
            if not isinstance(index, int) or not 0 <= index < len(part):
                return None
            refused[index] = "; ".join(filter(None, (refused.get(index), error.get("message"))))
        return refused or None

    def _post(self, table: str, rows: list[dict], day: str) -> None:
        from ecomseg.stream import write_collector_file

        if not rows:
            return
        if self.collector_url and table == "events":
            self._post_events(rows)
        else:
            write_collector_file(self.raw_dir, table, rows, day=day)
            if table == "events":
                self.acknowledged_event_ids += [e["event_id"] for e in rows]

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
                    if self.log is not None:
                        how = (f"POSTed to the collector, acknowledged ({self.requests} request(s) so far)"
                               if self.collector_url else "landed as a collector file")
                        self.log(f"   {day['day']}: {len(chunk)} event(s) {how}")
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
             collector_url: str | None = None, write_key: str | None = None, replay_dir: Path | None = None,
             target_path: Path | None = None, max_seconds: float | None = None, on_processed=None,
             stream=None, replay=None, log=print) -> dict:
    """Receiver, stream and feeder together until the replayed days are processed and delivered
    (or max_seconds have passed: then "timed_out" is True). stream: a MicroBatchStream of
    raw_dir and duckdb_path already parsed (the tests reuse theirs), else one is made and parsed;
    replay: the Feeder's (default a ShopReplay of raw_dir in replay_dir).

    Returns {"results": [BatchResult], "receiver": WebhookReceiver, "feeder": Feeder,
    "action_latencies": [s], "catch_up": BatchResult, "delivered_before": {key}, "timed_out": bool}:
    an action's latency is from the arrival of the oldest file of the batch that decided it to the
    webhook processing it; delivered_before, the keys the warehouse had delivered before this run.
    """
    from ecomseg.stream import MicroBatchStream
    from ecomseg.webhook_receiver import WebhookReceiver

    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    delivered_before = delivered_keys(duckdb_path)
    with WebhookReceiver(on_processed=on_processed) as receiver:
        log(f"== marketing-tool stand-in listening on {receiver.url}")
        if stream is None:
            stream = MicroBatchStream(raw_dir, duckdb_path, destination=receiver.url, target_path=target_path, log=log)
            log("== parsing the dbt project once (the stream reuses it for every batch)")
            stream.parse()
        else:
            stream.destination = receiver.url
        log("== catch-up batch (anything already there; delivers the actions of the regular build)")
        catch_up = stream.run_once(force=True)
        feeder = Feeder(raw_dir, days, per_day, interval, collector_url, write_key=write_key, replay_dir=replay_dir,
                        log=log, replay=replay)
        where = f"POSTed to the collector {feeder.collector_url}" if collector_url else "landed as collector files"
        log(f"== replaying {days} day(s) of the shop's visitors, {per_day} chunk(s) a day, one every {interval:g} s "
            f"({where})")
        feeder.start()
        results = []
        timed_out = False
        while feeder.is_alive() or stream.pending_files():
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                log(f"== stopped after {max_seconds:g} s with files still pending")
                break
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
            "catch_up": catch_up, "delivered_before": delivered_before, "timed_out": timed_out}


def delivered_keys(duckdb_path: Path) -> set[str]:
    """The idempotency keys the warehouse records as delivered (none when it has no delivery log yet)."""
    import duckdb

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        return {k for k, in con.execute("select distinct idempotency_key from realtime.action_deliveries "
                                        "where outcome = 'delivered'").fetchall()}
    except duckdb.Error:
        return set()
    finally:
        con.close()


def count_outcome(duckdb_path: Path, acknowledged_event_ids: list[str], receiver, delivered_before: set[str]) -> dict:
    """The end-of-run counts: acknowledged events in the warehouse (staging.base_shop__events), the
    actions the webhook processed (each exactly once?) against the deliveries recorded in this run,
    the sendable outbox rows with no final outcome. "ok" when every count holds."""
    import duckdb

    acknowledged = sorted(set(acknowledged_event_ids))
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        found = con.execute("select count(distinct event_id) from staging.base_shop__events "
                            "where event_id in (select unnest(?))", [acknowledged]).fetchone()[0]
        delivered = {k for k, in con.execute("select distinct idempotency_key from realtime.action_deliveries "
                                             "where outcome = 'delivered'").fetchall()} - delivered_before
        sendable_left = con.execute(
            "select count(*) from intermediate.int_action_outbox_log o where not is_control and not exists "
            "(select 1 from realtime.action_deliveries d where d.idempotency_key = o.idempotency_key "
            "and d.outcome in ('delivered', 'withheld', 'rejected'))").fetchone()[0]
    finally:
        con.close()
    twice = sorted(k for k, n in receiver.processed.items() if n != 1)
    return {"events_acknowledged": len(acknowledged), "events_in_warehouse": int(found),
            "actions_processed": len(receiver.processed), "actions_delivered_recorded": len(delivered),
            "processed_twice": len(twice),
            "keys_requested_more_than_once": sum(1 for n in receiver.requests.values() if n > 1),
            "sendable_not_delivered": int(sendable_left),
            "ok": found == len(acknowledged) and not twice and sendable_left == 0
            and set(receiver.processed) == delivered}


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    raw_dir, duckdb_path = args.raw_dir.resolve(), args.duckdb.resolve()
    print(f"== the sample shop as daily exports in {raw_dir}, built into {duckdb_path} (regular build)")
    prepare_shop(raw_dir, duckdb_path, horizon_days=max(args.days, 1) + 7)

    def show(key: str, payload: dict) -> None:
        print(f"   webhook <- {payload.get('action_type')} for {payload.get('person_type')} "
              f"{payload.get('customer_id') or str(payload.get('person_key', ''))[:10]} on {payload.get('channel')} "
              f"(key {key[:12]}...)")

    from ecomseg import collector

    running = None
    if args.collector_url:
        write_key = os.environ.get(collector.DEFAULT_WRITE_KEY_ENV, "")
        if not write_key.strip():
            print(f"--collector-url: set {collector.DEFAULT_WRITE_KEY_ENV} to the collector's write key",
                  file=sys.stderr)
            return 2
        collector_url = args.collector_url
    else:
        write_key = secrets.token_hex(24)  # this run's; the child process gets it in its environment
        running = collector.start_process(raw_dir, write_key)
        collector_url = running.url
        print(f"== collector (ecomseg collect) listening on {running.url}/v1/events, writing to "
              f"{collector.events_folder(raw_dir) / collector.COLLECTOR_FOLDER}")
    try:
        run = run_path(raw_dir, duckdb_path, days=args.days, per_day=args.chunks_per_day, interval=args.interval,
                       poll=args.poll, collector_url=collector_url, write_key=write_key,
                       max_seconds=60 * args.max_minutes, on_processed=show)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        if running is not None:
            running.stop()
    results, receiver, feeder = run["results"], run["receiver"], run["feeder"]
    latencies = run["action_latencies"]
    delivered = sum(r.export.delivered for r in results if r.export)
    counts = count_outcome(duckdb_path, feeder.acknowledged_event_ids, receiver, run["delivered_before"])
    print(f"\n{len(results)} batch(es), {sum(n for _, n in feeder.posted)} events sent to the collector in "
          f"{feeder.requests} request(s), {delivered} action(s) delivered after the catch-up")
    if latencies:
        print(f"latency, arrival of the events to the action processed by the webhook: median "
              f"{statistics.median(latencies):.1f} s, p95 {percentile(latencies, 0.95):.1f} s, "
              f"max {max(latencies):.1f} s ({len(latencies)} actions)")
    if feeder.refused:
        print(f"{len(feeder.refused)} event(s) refused by the collector (422, printed above): they break the "
              f"events contract")
    print(f"events: {counts['events_acknowledged']} acknowledged by the collector, "
          f"{counts['events_in_warehouse']} of them in the warehouse (staging.base_shop__events)")
    print(f"exactly once: {counts['actions_processed']} action(s) processed by the webhook, "
          f"{counts['actions_delivered_recorded']} recorded as delivered, "
          f"{'none twice' if not counts['processed_twice'] else str(counts['processed_twice']) + ' twice'}, "
          f"{counts['sendable_not_delivered']} sendable left undelivered: {'OK' if counts['ok'] else 'FAILED'}")
    if run["timed_out"]:
        print(f"stopped by --max-minutes {args.max_minutes:g} before every file was processed: FAILED")
    print(f"every attempt is in the warehouse: select * from realtime.action_deliveries  ({duckdb_path})")
    return 0 if counts["ok"] and not run["timed_out"] else 1
