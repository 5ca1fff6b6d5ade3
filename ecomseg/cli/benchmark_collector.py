"""Benchmark the event collector (ecomseg.collector) under load, on loopback.

Starts the collector as a child process (`python -m ecomseg collect`) on a
fresh raw folder (a temporary one unless --raw-dir is given), drives it with the
load generator of ecomseg.collector_load (keep-alive HTTP/1.1 clients on
asyncio, in --load-processes processes, on the same machine), and reports per
scenario: requests/s and events/s acknowledged, p50 / p99 / max request
latency, the collector's CPU time per request and per event, the files it
wrote, and durability: the events in the collector's files equal the
acknowledged events, every acknowledged event_id is in a file.

Scenarios (each bounded by --seconds and a request count):
  single  --clients clients, one event per request (target: 1,000 requests/s, p99 < 200 ms)
  batch   --batch-clients clients, --batch-size events per request (target: 20,000 events/s, p99 < 200 ms)
--ramp adds runs with more clients (100, 200) and larger batches (500) to find
where it breaks. --rates R1,R2,... adds open-loop runs of the single scenario
at R requests/s (each client on a fixed schedule, latency from the scheduled
time: the queue shows), --batch-rates the same for the batch scenario (R
requests of --batch-size events a second): the rate at which p99 crosses 200 ms
is where it breaks. --kill N: N fault runs: the collector is SIGKILLed at a random
moment of a single-event load and restarted; afterwards every acknowledged
event must be in a file and no temporary file may be visible to the loader.

Prints one Markdown table (README "Collector" holds the last results); exits 1
when an acknowledged event is missing. Not a test: it takes a minute or more.

Example:
  ecomseg benchmark-collector --seconds 10     (or python scripts/benchmark_collector.py ...)
  ecomseg benchmark-collector --seconds 10 --ramp --kill 5
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from ecomseg import collector, collector_load

KEY = "benchmark-write-key"


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def collected_ids(raw_dir: Path) -> tuple[list[str], int]:
    """(event_id of every row in the collector's files, number of files)."""
    files = collector.collected_files(raw_dir)
    ids: list[str] = []
    for path in files:
        ids += pq.read_table(path, columns=["event_id"]).column("event_id").to_pylist()
    return ids, len(files)


def run_scenario(name: str, raw_dir: Path, clients: int, batch: int, seconds: float, processes: int,
                 collector_args: list[str], rate: float | None = None) -> dict:
    before_ids, before_files = collected_ids(raw_dir)
    running = collector.start_process(raw_dir, KEY, extra_args=collector_args)
    try:
        cpu_before = _cpu_seconds(running.process.pid)
        result = collector_load.run_load(running.url, KEY, clients=clients, events_per_request=batch,
                                         max_requests=1_000_000, duration=seconds, processes=processes,
                                         prefix=f"{name}{clients}x{batch}r{rate or 0:g}", rate=rate)
        cpu = _cpu_seconds(running.process.pid) - cpu_before
    finally:
        running.stop()
    ids, files = collected_ids(raw_dir)
    new_ids = ids[len(before_ids):] if ids[:len(before_ids)] == before_ids else None
    written = set(ids) - set(before_ids)
    missing = [i for i in result.acknowledged_ids if i not in written]
    return {
        "scenario": name, "rate": rate, "clients": clients, "events_per_request": batch, "seconds": result.seconds,
        "requests": result.requests, "events": len(result.acknowledged_ids),
        "requests_per_s": result.requests / result.seconds, "events_per_s": len(result.acknowledged_ids) / result.seconds,
        "p50_ms": 1000 * (result.percentile(0.50) or 0), "p99_ms": 1000 * (result.percentile(0.99) or 0),
        "max_ms": 1000 * (max(result.latencies) if result.latencies else 0),
        "not_200": result.rejected, "no_answer": result.failed,
        "cpu_ms_per_request": 1000 * cpu / max(1, result.requests),
        "load_cpu_ms_per_request": 1000 * result.cpu_seconds / max(1, result.requests),
        "files": files - before_files, "rows_in_files": len(ids) - len(before_ids),
        "missing": len(missing), "durable": not missing and (new_ids is None or len(written) == len(result.acknowledged_ids)),
    }


def run_kill(raw_dir: Path, round_number: int, clients: int, seconds: float, processes: int,
             collector_args: list[str]) -> dict:
    """A single-event load; SIGKILL at a random moment; then count."""
    before_ids, _ = collected_ids(raw_dir)
    running = collector.start_process(raw_dir, KEY, extra_args=collector_args)
    delay = random.uniform(0.2, max(0.3, seconds * 0.8))
    killer = threading.Timer(delay, running.kill)
    killer.start()
    result = collector_load.run_load(running.url, KEY, clients=clients, events_per_request=1, max_requests=1_000_000,
                                     duration=seconds, processes=processes, prefix=f"kill{round_number}-")
    killer.join()
    temporary = [p for p in (raw_dir / "events" / collector.COLLECTOR_FOLDER).glob("date=*/.*")]
    ids, _ = collected_ids(raw_dir)
    written = set(ids) - set(before_ids)
    missing = [i for i in result.acknowledged_ids if i not in written]
    return {"round": round_number, "killed_after_s": delay, "acknowledged": len(result.acknowledged_ids),
            "unanswered_requests": result.failed, "in_files": len(written), "missing": len(missing),
            "temporary_files_left": len(temporary)}


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients of the single scenario (50)")
    parser.add_argument("--batch-clients", type=int, default=20, help="concurrent clients of the batch scenario (20)")
    parser.add_argument("--batch-size", type=int, default=100, help="events per request of the batch scenario (100)")
    parser.add_argument("--load-processes", type=int, default=1, help="processes of the load generator (1)")
    parser.add_argument("--ramp", action="store_true", help="also 100 and 200 clients, and batches of 500")
    parser.add_argument("--rates", default="", metavar="R1,R2",
                        help="open-loop runs of the single scenario at these requests/s (e.g. 1000,2000,3000)")
    parser.add_argument("--batch-rates", default="", metavar="R1,R2",
                        help="open-loop runs of the batch scenario at these requests/s (of --batch-size events)")
    parser.add_argument("--kill", type=int, default=0, metavar="N", help="N fault runs with SIGKILL (default 0)")
    parser.add_argument("--raw-dir", type=Path, help="write into DIR (default: a temporary folder, removed)")
    parser.add_argument("--writers", type=int, default=collector.DEFAULT_WRITERS,
                        help=f"the collector's --writers (default {collector.DEFAULT_WRITERS})")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    random.seed(args.seed)
    raw_dir = args.raw_dir or Path(tempfile.mkdtemp(prefix="ecomseg-collector-bench-"))
    raw_dir.mkdir(parents=True, exist_ok=True)
    runs = [("single", args.clients, 1, None), ("batch", args.batch_clients, args.batch_size, None)]
    if args.ramp:
        runs += [("single", 100, 1, None), ("single", 200, 1, None), ("batch", args.batch_clients, 500, None),
                 ("batch", 50, 100, None)]
    runs += [("single", args.clients, 1, float(r)) for r in args.rates.split(",") if r.strip()]
    runs += [("batch", args.batch_clients, args.batch_size, float(r)) for r in args.batch_rates.split(",") if r.strip()]
    ok = True
    try:
        print(f"# collector benchmark: {platform.node()}, {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f} at the start, {args.seconds:g} s per run, load generator in "
              f"{args.load_processes} process(es) on the same machine, collector --writers {args.writers}\n")
        print("| scenario | offered requests/s | clients | events/request | requests/s | events/s | p50 ms | p99 ms | max ms | "
              "CPU ms/request collector | load generator | files | not 200 | acknowledged = in files |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for name, clients, batch, rate in runs:
            r = run_scenario(name, raw_dir, clients, batch, args.seconds, args.load_processes,
                             ["--writers", str(args.writers)], rate=rate)
            ok &= r["durable"]
            offered = "as fast as answered" if rate is None else f"{rate:,.0f}"
            print(f"| {name} | {offered} | {clients} | {batch} | {r['requests_per_s']:,.0f} | {r['events_per_s']:,.0f} | "
                  f"{r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['cpu_ms_per_request']:.2f} | {r['load_cpu_ms_per_request']:.2f} | "
                  f"{r['files']:,} | {r['not_200'] + r['no_answer']} | "
                  f"{'yes' if r['durable'] else 'NO'} ({r['events']:,} = {r['rows_in_files']:,}) |", flush=True)
        if args.kill:
            print("\n| kill round | killed after s | acknowledged | unanswered requests | new events in files | "
                  "acknowledged missing | temporary files left |")
            print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for n in range(1, args.kill + 1):
                r = run_kill(raw_dir, n, args.clients, min(args.seconds, 5.0), args.load_processes,
                             ["--writers", str(args.writers)])
                ok &= r["missing"] == 0
                print(f"| {n} | {r['killed_after_s']:.2f} | {r['acknowledged']:,} | {r['unanswered_requests']} | "
                      f"{r['in_files']:,} | {r['missing']} | {r['temporary_files_left']} |", flush=True)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}; every acknowledged event durable: "
              f"{'yes' if ok else 'NO'}")
    finally:
        if args.raw_dir is None:
            shutil.rmtree(raw_dir, ignore_errors=True)
    return 0 if ok else 1

