#!/usr/bin/env python3
"""Benchmark the full warehouse build, side by side with an earlier version of the code.

Machines here are shared and noisy, so absolute seconds mean little: this
script measures, in one run and on the same raw data,

  1. the physical-limit proxy: one DuckDB scan + group-by of all raw events
     by session (count(*), min and max occurred_at per session_id: the grain
     of the session models), in its own process;
  2. the full `dbt build` (scripts/build_warehouse.py, a new warehouse file)
     with the code of --baseline (a git revision, checked out as a detached
     worktree under --work; default: the code before issue #12);
  3. the same full build with this working tree's code;

and prints for each its wall time, CPU seconds (user + system of the build
process and everything it waited for, os.wait4) and peak resident memory,
then the ratios: this build's CPU / the baseline's CPU (issue #12's target:
<= 0.4) and this build's CPU as a multiple of the proxy's. The ten slowest
nodes of each build come from its target/run_results.json.

With --batch (a shop written as daily batches by scripts/generate_data.py
--batches daily; uses the incremental staging and the selector
raw_to_sessions, selectors.yml), it also measures what a new day costs: for each tier
given (--batch-tiers, default small and large) it writes the shop up to the
day before its last day (with --redeliveries: late events, duplicate
deliveries, order re-exports), builds it in full, appends the last day
(generate_data.py --append-days 1) and times (a) the incremental build of
staging and the session / visitor models (dbt selector
raw_to_sessions, selectors.yml; with build_warehouse.py --no-publish: the
read-only BI copy is a copy of the whole warehouse file, a cost of the
history that belongs to the whole build, which publishes it) and (b) the
whole `dbt build` after it (published as usual); both as a scheduled build of
new data runs them, with --skip-unit-tests (dbt's unit tests test the code,
which the history build already ran them on);
the ratio of (a) between the largest and the smallest tier is issue #12's
"cost follows the batch, not the history" (target <= 1.5).

dbt's own per-node lines are passed through (prefixed with the step), so a
long step shows which model is running and how far the build is.

Examples:
  python scripts/benchmark_build.py --raw-dir /data/large-raw          # proxy, baseline, current
  python scripts/benchmark_build.py --raw-dir /data/large-raw --no-baseline
  python scripts/benchmark_build.py --no-full --batch --work /data/bench
Results as JSON with --json FILE. Exit status 1 when a build fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The code before issue #12 (and before issue #11's stricter raw reading):
#: the commit whose large build issue #12 measured (589 CPU s on a quiet machine).
DEFAULT_BASELINE = "ebf38b6"


@dataclass
class Measured:
    """One measured process: wall seconds, CPU seconds (user + system, the
    process and the children it waited for), peak resident set in bytes."""

    step: str
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    returncode: int
    slowest_nodes: list = field(default_factory=list)


def run_measured(step: str, command: list[str], cwd: Path, env: dict | None = None,
                 quiet: bool = False) -> Measured:
    """Run command in cwd, stream its output prefixed with [step], and measure it.

    CPU and peak memory come from os.wait4 on the child: user + system CPU
    seconds of the child and of every descendant it waited for, and the
    largest resident set among them (ru_maxrss, KiB on Linux). Returns a
    Measured; never raises on a failing command (returncode says it)."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    assert process.stdout is not None
    for line in process.stdout:
        if not quiet:
            print(f"[{step}] {line.rstrip()}", flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    return Measured(step=step, wall_s=round(wall, 1), cpu_s=round(usage.ru_utime + usage.ru_stime, 1),
                    peak_rss_bytes=usage.ru_maxrss * 1024, returncode=process.returncode)


def events_reader(raw_dir: Path) -> str:
    """A DuckDB table function reading every raw events file of raw_dir: the
    file events.parquet / events.csv, or every Parquet / CSV file under the
    folder events/ (Hive partitions included). Raises FileNotFoundError."""
    for name in ("events.parquet", "events.csv"):
        if (raw_dir / name).is_file():
            path = str(raw_dir / name).replace("'", "''")
            return f"read_parquet('{path}')" if name.endswith("parquet") else f"read_csv('{path}', all_varchar=true)"
    folder = raw_dir / "events"
    if folder.is_dir():
        if any(folder.rglob("*.parquet")):
            pattern = str(folder / "**" / "*.parquet").replace("'", "''")
            return f"read_parquet('{pattern}', union_by_name=true, hive_partitioning=false)"
        pattern = str(folder / "**" / "*.csv").replace("'", "''")
        return f"read_csv('{pattern}', all_varchar=true, union_by_name=true, hive_partitioning=false)"
    raise FileNotFoundError(f"no events.parquet, events.csv or events/ folder in {raw_dir}")


def measure_proxy(raw_dir: Path, quiet: bool) -> Measured:
    """The physical-limit proxy: one scan + group-by of all raw events by session_id, in DuckDB, in its own process."""
    program = (
        "import duckdb\n"
        "con = duckdb.connect()\n"
        "con.execute('set enable_progress_bar = false')\n"
        "rows = con.sql(\"select count(*), sum(n) from (select session_id, count(*) as n, min(occurred_at) as first_at, "
        f"max(occurred_at) as last_at from {events_reader(raw_dir)} group by session_id)\").fetchone()\n"
        "print('events:', rows[1], 'in', rows[0], 'sessions')\n"
    )
    return run_measured("proxy", [sys.executable, "-c", program], cwd=ROOT, quiet=quiet)


def slowest_nodes(tree: Path, count: int = 10) -> list:
    """The count slowest nodes of the last dbt invocation in tree (its target/run_results.json), as [name, seconds]."""
    path = tree / "target" / "run_results.json"
    if not path.is_file():
        return []
    results = json.loads(path.read_text()).get("results", [])
    ranked = sorted(results, key=lambda r: r.get("execution_time") or 0, reverse=True)[:count]
    return [[r["unique_id"].split(".", 2)[-1], round(r.get("execution_time") or 0, 1)] for r in ranked]


def build(step: str, tree: Path, raw_dir: Path, duckdb_path: Path, quiet: bool, fresh: bool = True,
          select: str | None = None, publish: bool = True, skip_unit_tests: bool = False) -> Measured:
    """scripts/build_warehouse.py of tree on raw_dir into duckdb_path (removed first when fresh); publish false:
    --no-publish (no read-only BI copy, read/<file name>, written after the build); skip_unit_tests:
    --skip-unit-tests (a scheduled build of new data: dbt's unit tests test the code, not the data)."""
    if fresh:
        for suffix in ("", ".wal"):
            Path(str(duckdb_path) + suffix).unlink(missing_ok=True)
    command = [sys.executable, str(tree / "scripts" / "build_warehouse.py"), "--raw-dir", str(raw_dir),
               "--duckdb", str(duckdb_path), "--no-generate"]
    if select and select.startswith("selector:"):
        command += ["--selector", select.split(":", 1)[1]]  # a selector of selectors.yml (dbt has no selector: method)
    elif select:
        command += ["--select", select]
    if not publish:
        command.append("--no-publish")
    if skip_unit_tests:
        command.append("--skip-unit-tests")
    measured = run_measured(step, command, cwd=tree, env=tree_environment(tree), quiet=quiet)
    measured.slowest_nodes = slowest_nodes(tree)
    return measured


def tree_environment(tree: Path) -> dict[str, str]:
    """The environment that runs tree's code: its ecomseg package first on the path (the shared .venv holds this
    checkout's package, installed editable) and its dbt project (ECOMSEG_PROJECT_DIR); without both, a baseline
    worktree's scripts would import this checkout's package and build this checkout's project."""
    return {**os.environ, "ECOMSEG_PROJECT_DIR": str(tree),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))}


def baseline_tree(work: Path, revision: str) -> Path:
    """A detached git worktree of revision under work (reused when it exists), sharing this tree's .venv."""
    tree = work / f"baseline-{revision}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision], check=True)
    venv = tree / ".venv"
    if not venv.exists() and (ROOT / ".venv").exists():
        venv.symlink_to(ROOT / ".venv")
    return tree


def generate(arguments: list[str], quiet: bool) -> None:
    """Run scripts/generate_data.py with arguments; raises CalledProcessError when it fails."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_data.py"), *arguments]
                   + (["--quiet"] if quiet else []), check=True, cwd=ROOT)


def measure_batch(tier: str, days: int, work: Path, quiet: bool) -> dict:
    """What one new day costs at a tier: history of days-1 days as daily batches, full build, append a day, then
    the incremental build of staging + session / visitor models (selector raw_to_sessions) and the whole build."""
    raw_dir = work / f"batches-{tier}"
    duckdb_path = work / f"batches-{tier}.duckdb"
    shutil.rmtree(raw_dir, ignore_errors=True)
    # --horizon-days 1: the shop is generated one day past its last written day, so that day can be appended;
    # --redeliveries: the new day holds late events, duplicate deliveries and order re-exports, as real exports do
    generate(["--scale", tier, "--batches", "daily", "--days", str(days - 1), "--horizon-days", "1", "--redeliveries",
              "--out", str(raw_dir)], quiet)
    history = build(f"{tier} history", ROOT, raw_dir, duckdb_path, quiet)
    generate(["--append-days", "1", "--out", str(raw_dir)], quiet)
    staging = build(f"{tier} new day: staging+sessions", ROOT, raw_dir, duckdb_path, quiet, fresh=False,
                    select="selector:raw_to_sessions", publish=False, skip_unit_tests=True)
    whole = build(f"{tier} new day: whole build", ROOT, raw_dir, duckdb_path, quiet, fresh=False, skip_unit_tests=True)
    return {"tier": tier, "history_build": asdict(history), "new_day_staging_and_sessions": asdict(staging),
            "new_day_whole_build": asdict(whole)}


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmark_build.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, help="raw shop to build (default: generate the large sample into "
                        "<work>/large-raw when it is not there)")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmark-work",
                        help="folder for warehouses, generated shops and the baseline worktree (default: ./benchmark-work)")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help=f"git revision to compare with (default {DEFAULT_BASELINE}: the code before issue #12)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline build")
    parser.add_argument("--no-full", action="store_true", help="skip the proxy and the full builds")
    parser.add_argument("--batch", action="store_true", help="also measure the cost of one new day (see above)")
    parser.add_argument("--batch-tiers", default="small,large", help="tiers for --batch, smallest first (default small,large)")
    parser.add_argument("--batch-days", type=int, default=730, help="days of history for --batch (default 730)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every measurement to FILE as JSON")
    parser.add_argument("--quiet", action="store_true", help="do not pass dbt's per-node lines through")
    args = parser.parse_args(argv)

    # absolute: each build runs in its own tree (cwd), so a relative --work or --raw-dir would name another folder
    args.work = args.work.resolve()
    if args.raw_dir is not None:
        args.raw_dir = args.raw_dir.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    report: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "load_average_at_start": os.getloadavg()[0]}
    failed = False
    if not args.no_full:
        raw_dir = args.raw_dir or args.work / "large-raw"
        if args.raw_dir is None and not (raw_dir / "orders.parquet").exists():
            print(f"Generating the large sample into {raw_dir} ...", flush=True)
            generate(["--scale", "large", "--out", str(raw_dir)], args.quiet)
        proxy = measure_proxy(raw_dir, args.quiet)
        runs = [proxy]
        if not args.no_baseline:
            tree = baseline_tree(args.work, args.baseline)
            runs.append(build(f"baseline {args.baseline}", tree, raw_dir, args.work / "baseline.duckdb", args.quiet))
        runs.append(build("current", ROOT, raw_dir, args.work / "current.duckdb", args.quiet))
        report["full"] = [asdict(r) for r in runs]
        failed = any(r.returncode for r in runs)
        print("\n== Full build on", raw_dir)
        for r in runs:
            print(f"  {r.step:<22} wall {r.wall_s:>7.1f} s  CPU {r.cpu_s:>7.1f} s  peak {gib(r.peak_rss_bytes)}"
                  + ("" if r.returncode == 0 else f"  FAILED (exit {r.returncode})"))
        current = runs[-1]
        if len(runs) == 3 and runs[1].cpu_s:
            report["cpu_ratio_current_to_baseline"] = round(current.cpu_s / runs[1].cpu_s, 3)
            print(f"  CPU current / baseline: {report['cpu_ratio_current_to_baseline']:.2f} (issue #12 target <= 0.40)")
        if proxy.cpu_s:
            report["current_cpu_multiple_of_proxy"] = round(current.cpu_s / proxy.cpu_s, 1)
            print(f"  current build CPU = {report['current_cpu_multiple_of_proxy']:.0f} x the proxy's")
        for r in runs[1:]:
            print(f"  slowest nodes, {r.step}: " + ", ".join(f"{n} {s:.0f} s" for n, s in r.slowest_nodes))
    if args.batch:
        tiers = [t.strip() for t in args.batch_tiers.split(",") if t.strip()]
        report["batch"] = [measure_batch(t, args.batch_days, args.work, args.quiet) for t in tiers]
        print("\n== One new day")
        for item in report["batch"]:
            s, w = item["new_day_staging_and_sessions"], item["new_day_whole_build"]
            print(f"  {item['tier']:<6} staging+sessions wall {s['wall_s']:.1f} s CPU {s['cpu_s']:.1f} s; "
                  f"whole build wall {w['wall_s']:.1f} s CPU {w['cpu_s']:.1f} s, peak {gib(w['peak_rss_bytes'])}")
            failed |= any(item[k]["returncode"] for k in item if k != "tier")
        if len(report["batch"]) > 1:
            small, large = report["batch"][0], report["batch"][-1]
            ratio = (large["new_day_staging_and_sessions"]["wall_s"]
                     / max(small["new_day_staging_and_sessions"]["wall_s"], 0.1))
            report["batch_ratio_largest_to_smallest"] = round(ratio, 2)
            print(f"  staging+sessions, {large['tier']} / {small['tier']}: {ratio:.2f} (target <= 1.5)")
    report["load_average_at_end"] = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
