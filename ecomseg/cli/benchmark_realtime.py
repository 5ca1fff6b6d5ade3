"""Benchmark the real-time path (`ecomseg benchmark-realtime`, scripts/benchmark_realtime.py) (issue #15 point 4): latency end to end, and faults.

Latency (default): a small shop (seed 7) as daily exports with days kept back
is built once with the regular build; then the generator's visitors of the
next --days day(s) arrive as a steady stream (a chunk of events every
--interval seconds, written the way the collector lands them), the
micro-batch process (ecomseg.stream) runs the real-time path per batch and
delivers the new actions to a local webhook on 127.0.0.1. Reported: per
delivered action, the time from the arrival of the oldest file of its batch
(the POST of the events, acknowledged when the file is durable) to the webhook
processing it: median and p95; per batch, the dbt and export times.

Faults (--faults): the whole path as separate processes on 127.0.0.1: the
collector (ecomseg collect; the events POSTed to it with the write key), the
micro-batch process (ecomseg stream --webhook ...) and its exporter. During one
run each is killed (SIGKILL) --kills times at random points and restarted: the
collector at a random moment of the feed (restarted on the same port; requests
without an answer are sent again), the micro-batch process 20-60 s after it
(re)started, the exporter from inside the webhook right after it processed an
action and before its answer (the delivery not recorded yet). Feed for long
enough (e.g. --chunks-per-day 24 --interval 5: 2 minutes). Afterwards it counts
that every acknowledged (HTTP 200) event is in the warehouse
(staging.base_shop__events), the webhook processed every action exactly once
(per Idempotency-Key), every processed action is recorded as delivered and no
sendable action is left undelivered.

The large tier (1M customers of history) is not run by default: it takes
hours of a shared machine. Its command (for the lead):
  .venv/bin/python scripts/benchmark_realtime.py --scale large --workdir data/benchmark-realtime-large

Examples:
  .venv/bin/python scripts/benchmark_realtime.py                       # small tier, latency
  .venv/bin/python scripts/benchmark_realtime.py --faults --chunks-per-day 24 --interval 5   # small tier, kills
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ecomseg import REPO_ROOT as ROOT


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "benchmark-realtime",
                        help="raw folder and warehouse of the benchmark (default data/benchmark-realtime)")
    parser.add_argument("--fresh", action="store_true", help="start over: delete --workdir first")
    parser.add_argument("--days", type=int, default=1, help="days of visitors to replay (default 1)")
    parser.add_argument("--chunks-per-day", type=int, default=12, help="chunks per day (default 12)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between chunks (default 3)")
    parser.add_argument("--poll", type=float, default=0.2, help="the stream's poll interval (default 0.2 s)")
    parser.add_argument("--faults", action="store_true",
                        help="kill and restart the collector, the micro-batch process and the exporter")
    parser.add_argument("--kills", type=int, default=1,
                        help="with --faults: kills of each of the three (default 1: three kills in all)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="write the results here as JSON")
    return parser


def prepare(args) -> tuple[Path, Path]:
    from ecomseg.cli import build, generate
    from ecomseg import batches

    if args.fresh and args.workdir.exists():
        shutil.rmtree(args.workdir)
    raw, db = args.workdir / "raw", args.workdir / "warehouse.duckdb"
    if not (raw / batches.STATE_FILE).exists():
        generate.main(["--scale", args.scale, "--seed", str(args.seed), "--batches", "daily", "--redeliveries",
                       "--horizon-days", str(args.days + 30), "--out", str(raw), "--quiet"])
    if not db.exists():
        started = time.time()
        if build.main(["--raw-dir", str(raw), "--duckdb", str(db), "--no-generate"]) != 0:
            raise SystemExit("the regular build failed")
        print(f"regular build: {time.time() - started:.0f} s")
    return raw.resolve(), db.resolve()


def pct(values, q):
    from ecomseg.cli.realtime import percentile

    return round(percentile(values, q), 2) if values else None


def latency(args, raw: Path, db: Path) -> dict:
    from ecomseg.cli.realtime import run_path

    run = run_path(raw, db, days=args.days, per_day=args.chunks_per_day, interval=args.interval, poll=args.poll)
    results, lat = run["results"], run["action_latencies"]
    twice = sum(1 for n in run["receiver"].processed.values() if n != 1)
    return {
        "scale": args.scale, "batches": len(results), "events_sent": sum(n for _, n in run["feeder"].posted),
        "actions_delivered": len(lat), "processed_twice": twice,
        "action_latency_median_s": round(statistics.median(lat), 2) if lat else None,
        "action_latency_p95_s": pct(lat, 0.95),
        "batch_latency_median_s": round(statistics.median(r.latency_seconds for r in results), 2) if results else None,
        "batch_latency_p95_s": pct([r.latency_seconds for r in results], 0.95),
        "dbt_median_s": round(statistics.median(r.dbt_seconds for r in results), 2) if results else None,
        "export_median_s": round(statistics.median(r.export_seconds for r in results), 2) if results else None,
    }


class _Kills:
    """The fault schedule of one --faults run: when to kill what, and what was killed."""

    def __init__(self, rng: random.Random, kills: int):
        self.rng = rng
        self.left = {"collector": kills, "stream": kills, "exporter": kills}
        self.log: list[dict] = []


def faults(args, raw: Path, db: Path) -> dict:
    """The whole path as separate processes, each killed (SIGKILL) and restarted while events arrive:

    - the collector (ecomseg collect, a child process on a fixed port of 127.0.0.1): killed at
      a random moment of the feed, restarted 1-3 s later on the same port; the feeder sends a
      request that got no answer again (the collector acknowledges only durable events);
    - the micro-batch process (ecomseg stream --webhook): killed at a random moment 20-60 s
      after it (re)started, mostly inside a batch's dbt run;
    - the exporter: the same process killed from inside the webhook, right after the webhook has
      processed an action and before its answer reaches the exporter (the worst moment for exactly
      once: the action is processed, its delivery not recorded); armed at a random moment, it fires
      at the next action the webhook processes.

    Afterwards one clean stream run (--max-batches 1) catches up, then the counts: every event
    the collector acknowledged (HTTP 200) is in staging.base_shop__events, the webhook processed
    each action exactly once, every delivery it processed is recorded, no sendable action is left
    undelivered.
    """
    import os
    import signal
    import socket
    import threading

    from ecomseg import collector
    from ecomseg.cli.realtime import Feeder, count_outcome, delivered_keys
    from ecomseg.webhook_receiver import WebhookReceiver

    rng = random.Random(args.seed)
    plan = _Kills(rng, args.kills)
    delivered_before = delivered_keys(db)
    key = "benchmark-realtime-write-key"
    log_path = args.workdir / "stream-faults.log"
    log = open(log_path, "a")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = {"stream": None, "exporter_armed_at": None, "processed_since_armed": 0}
    lock = threading.Lock()

    def note(kind: str, detail: str) -> None:
        plan.log.append({"kind": kind, "at_s": round(time.time() - started, 1), "detail": detail})
        print(f"[{time.time() - started:6.1f} s] killed the {kind} ({detail}); restarting", flush=True)

    def on_processed(key_: str, payload: dict) -> None:  # inside the webhook, before it answers
        with lock:
            if state["exporter_armed_at"] is None:
                return
            state["processed_since_armed"] += 1
            if state["processed_since_armed"] < state["exporter_after"]:
                return
            process = state["stream"]
            if process is None or process.poll() is not None:
                return
            os.kill(process.pid, signal.SIGKILL)
            state["exporter_armed_at"] = None
            plan.left["exporter"] -= 1
            note("exporter", f"the stream process inside its export, after the webhook processed {key_[:12]}... "
                             f"and before the answer")

    def start_collector():
        return collector.start_process(raw, key, port=port, cwd=ROOT)

    started = time.time()
    with WebhookReceiver(on_processed=on_processed) as receiver:
        command = [sys.executable, "-m", "ecomseg", "stream", "--raw-dir", str(raw), "--duckdb", str(db),
                   "--webhook", receiver.url, "--poll", str(args.poll)]

        def start_stream():
            process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            state["stream_started"] = time.time()
            state["stream_kill_at"] = time.time() + rng.uniform(20, 60)
            return process

        running = start_collector()
        with lock:
            state["stream"] = start_stream()
        feeder = Feeder(raw, args.days, args.chunks_per_day, args.interval, collector_url=running.url,
                        write_key=key, retry_seconds=120)
        feed_seconds = args.days * args.chunks_per_day * args.interval
        collector_kill_at = [time.time() + rng.uniform(0.1, 0.9) * feed_seconds for _ in range(args.kills)]
        exporter_arm_at = [time.time() + rng.uniform(0.0, 0.6) * feed_seconds for _ in range(args.kills)]
        feeder.start()
        while feeder.is_alive():
            time.sleep(0.2)
            now = time.time()
            if collector_kill_at and now >= collector_kill_at[0]:
                collector_kill_at.pop(0)
                running.kill()
                plan.left["collector"] -= 1
                note("collector", f"{feeder.requests} request(s) acknowledged so far")
                time.sleep(rng.uniform(1, 3))
                running = start_collector()
            with lock:
                process = state["stream"]
                if exporter_arm_at and now >= exporter_arm_at[0] and state["exporter_armed_at"] is None:
                    exporter_arm_at.pop(0)
                    state["exporter_armed_at"] = now
                    state["processed_since_armed"] = 0
                    state["exporter_after"] = rng.randint(1, 3)
                if process.poll() is not None:  # killed from the webhook (the exporter), or it died
                    state["stream"] = start_stream()
                elif plan.left["stream"] > 0 and now >= state["stream_kill_at"]:
                    process.kill()
                    process.wait()
                    plan.left["stream"] -= 1
                    note("micro-batch process", f"{now - state['stream_started']:.0f} s after it started")
                    state["stream"] = start_stream()
        if feeder.error is not None:
            with lock:
                state["stream"].kill()
            running.kill()
            raise SystemExit(f"the feeder failed: {feeder.error}")
        running.stop()
        # let it drain, then one clean run to the end (a catch-up batch and its export)
        time.sleep(max(30.0, 6 * args.interval))
        with lock:
            state["exporter_armed_at"] = None
            state["stream"].kill()
            state["stream"].wait()
            state["stream"] = None
        finish = subprocess.run(command + ["--max-batches", "1"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        if finish.returncode != 0:
            raise SystemExit(f"the final stream run failed: see {log_path}")
        time.sleep(1)
    counts = count_outcome(db, feeder.acknowledged_event_ids, receiver, delivered_before)
    return {"scale": args.scale, "seconds": round(time.time() - started), "kills": plan.log,
            "kills_not_done": {k: v for k, v in plan.left.items() if v > 0},
            "collector_requests_acknowledged": feeder.requests, "collector_requests_sent_again": feeder.resent,
            **counts}


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    raw, db = prepare(args)
    result = faults(args, raw, db) if args.faults else latency(args, raw, db)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result.get("processed_twice", 0) == 0 and result.get("ok", True) else 1
