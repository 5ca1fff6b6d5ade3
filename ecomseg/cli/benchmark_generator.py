"""Time the synthetic data generator at a given scale.

Runs ecomseg.generator.generate() (or, with --batches daily,
ecomseg.batches.generate_batches()) in this process and reports wall time,
CPU time (user + system of this process), peak resident memory of the
process (resource.getrusage ru_maxrss), rows written, files written and
bytes on disk.  The output goes to a temporary folder that is removed
afterwards unless --out is given.  Target for --scale large on the project
machine (2 cores, 24 GB): at most 10 minutes, well under 12 GB.
"""

from __future__ import annotations

import sys
from pathlib import Path


import argparse
import json
import platform
import resource
import shutil
import tempfile
import time

from ecomseg import batches, generator


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    scales = ", ".join(f"{k} = {v:,}" for k, v in generator.SCALES.items())
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(generator.SCALES), default="small",
                        help=f"size preset in customers ({scales}); default small")
    parser.add_argument("--customers", type=int, metavar="N", help="customers (overrides --scale)")
    parser.add_argument("--days", type=int, default=generator.DEFAULT_DAYS, help="days of history")
    parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED, help="random seed")
    parser.add_argument("--format", choices=generator.FORMATS, default="parquet", dest="fmt",
                        help="file format (default parquet)")
    parser.add_argument("--dirt-rate", type=float, default=generator.DEFAULT_DIRT_RATE, help="dirt rate")
    parser.add_argument("--batches", choices=batches.LAYOUTS,
                        help="write daily export folders (as generate_data.py --batches daily)")
    parser.add_argument("--redeliveries", action="store_true",
                        help="with --batches: plant late, duplicate and re-exported rows")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="keep the output in DIR (default: a temporary folder, removed afterwards)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if platform.system() == "Darwin" else peak * 1024  # Linux reports KiB


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    customers = args.customers or generator.SCALES[args.scale]
    out = args.out or Path(tempfile.mkdtemp(prefix="ecomseg-bench-"))

    def progress(stage: str, rows: int, elapsed: float) -> None:
        print(f"[{elapsed:7.1f}s] {stage}: {rows:,} rows", file=sys.stderr, flush=True)

    if args.redeliveries and not args.batches:
        build_parser(prog).error("--redeliveries needs --batches daily")
    rss_before = _peak_rss_bytes()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        kw = dict(customers=customers, days=args.days, seed=args.seed, fmt=args.fmt, dirt_rate=args.dirt_rate,
                  progress=None if args.quiet else progress, force=args.out is None)
        if args.batches:
            truth = batches.generate_batches(out, redeliveries=args.redeliveries, **kw)
        else:
            truth = generator.generate(out, **kw)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        written = [p for p in Path(out).rglob("*") if p.is_file() and p.suffix.lstrip(".") in generator.FORMATS]
        size = sum(p.stat().st_size for p in written)
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    counts = truth["batches"]["rows_delivered"] if args.batches else truth["row_counts"]
    rows = sum(counts.values())
    result = {
        "customers": customers, "days": args.days, "format": args.fmt, "dirt_rate": args.dirt_rate,
        "batches": args.batches, "redeliveries": args.redeliveries,
        "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "peak_rss_bytes": _peak_rss_bytes(),
        "peak_rss_before_bytes": rss_before, "rows": rows, "files": len(written), "bytes_written": size,
        "row_counts": counts,
    }
    if args.json:
        print(json.dumps(result))
    else:
        gib = result["peak_rss_bytes"] / 2**30
        layout = f"{args.fmt}, daily batches{' with redeliveries' if args.redeliveries else ''}" \
            if args.batches else args.fmt
        print(f"customers {customers:,} ({layout}): wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {gib:.2f} GiB, "
              f"{rows:,} rows ({rows / wall:,.0f} rows/s), {len(written):,} files, "
              f"{size / 2**20:,.0f} MiB on disk")
    return 0

