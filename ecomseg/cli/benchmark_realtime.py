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

Faults (--faults): the same stream with the micro-batch process run as a
child process (ecomseg stream --webhook ...) killed (SIGKILL) at random
points (the first after 60-120 s, then every 30-90 s while events are fed: feed for
long enough, e.g. --chunks-per-day 24 --interval 5), --kills times, and restarted; afterwards it counts that every
acknowledged event is in the warehouse (staging.base_shop__events) and that
the webhook processed every delivered action exactly once. (Killing the
exporter half-way is tests/python/test_export_actions.py; killing the
collector belongs with the collector, ecomseg collect.)

The large tier (1M customers of history) is not run by default: it takes
hours of a shared machine. Its command (for the lead):
  .venv/bin/python scripts/benchmark_realtime.py --scale large --workdir data/benchmark-realtime-large

Examples:
  .venv/bin/python scripts/benchmark_realtime.py                       # small tier, latency
  .venv/bin/python scripts/benchmark_realtime.py --faults --kills 3    # small tier, kills
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
    parser.add_argument("--faults", action="store_true", help="kill and restart the micro-batch process")
    parser.add_argument("--kills", type=int, default=3, help="with --faults: how many kills (default 3)")
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


def faults(args, raw: Path, db: Path) -> dict:
    import duckdb

    from ecomseg.cli.realtime import Feeder
    from ecomseg.webhook_receiver import WebhookReceiver

    rng = random.Random(args.seed)
    kills = 0
    con = duckdb.connect(str(db), read_only=True)
    try:  # a warehouse of an earlier run: count only this run's deliveries
        delivered_before = {k for k, in con.execute(
            "select distinct idempotency_key from realtime.action_deliveries where outcome = 'delivered'").fetchall()}
    except duckdb.Error:
        delivered_before = set()
    finally:
        con.close()
    with WebhookReceiver() as receiver:
        command = [sys.executable, "-m", "ecomseg", "stream", "--raw-dir", str(raw), "--duckdb", str(db),
                   "--webhook", receiver.url, "--poll", str(args.poll)]
        log = open(args.workdir / "stream-faults.log", "a")
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        feeder = Feeder(raw, args.days, args.chunks_per_day, args.interval)
        feeder.start()
        deadline = time.time() + rng.uniform(60, 120)  # the stream parses for about 50 s first
        while feeder.is_alive():
            time.sleep(0.5)
            if kills < args.kills and time.time() >= deadline:
                process.kill()
                process.wait()
                kills += 1
                print(f"killed the micro-batch process ({kills}/{args.kills}); restarting")
                process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                deadline = time.time() + rng.uniform(30, 90)
        if feeder.error is not None:
            process.kill()
            raise SystemExit(f"the feeder failed: {feeder.error}")
        # let it drain: stop it once it has been idle, then one clean run to the end
        time.sleep(max(30.0, 6 * args.interval))
        process.kill()
        process.wait()
        finish = subprocess.run(command + ["--max-batches", "1"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        if finish.returncode != 0:
            raise SystemExit("the final stream run failed: see " + str(args.workdir / "stream-faults.log"))
        time.sleep(1)
    con = duckdb.connect(str(db), read_only=True)
    try:
        acknowledged = sorted(set(feeder.acknowledged_event_ids))
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
    twice = sum(1 for n in receiver.processed.values() if n != 1)
    return {"scale": args.scale, "kills": kills, "events_acknowledged": len(acknowledged),
            "events_in_warehouse": int(found), "actions_processed": len(receiver.processed),
            "actions_delivered_recorded": len(delivered), "processed_twice": twice,
            "sendable_not_delivered": int(sendable_left),
            "ok": found == len(acknowledged) and twice == 0 and sendable_left == 0
            and set(receiver.processed) == delivered}


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    raw, db = prepare(args)
    result = faults(args, raw, db) if args.faults else latency(args, raw, db)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result.get("processed_twice", 0) == 0 and result.get("ok", True) else 1
