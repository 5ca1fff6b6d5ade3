#!/usr/bin/env python3
"""Time the synthetic data generator at a given scale.

Runs ecomseg.generator.generate() in this process and reports wall time,
peak resident memory of the process (resource.getrusage ru_maxrss), rows
written and bytes on disk.  The output goes to a temporary folder that is
removed afterwards unless --out is given.  Target for --scale large on the
project machine (2 cores, 24 GB): at most 10 minutes, well under 12 GB.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from ecomseg import generator  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    scales = ", ".join(f"{k} = {v:,}" for k, v in generator.SCALES.items())
    parser = argparse.ArgumentParser(prog="benchmark_generator.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(generator.SCALES), default="small",
                        help=f"size preset in customers ({scales}); default small")
    parser.add_argument("--customers", type=int, metavar="N", help="customers (overrides --scale)")
    parser.add_argument("--days", type=int, default=generator.DEFAULT_DAYS, help="days of history")
    parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED, help="random seed")
    parser.add_argument("--format", choices=generator.FORMATS, default="parquet", dest="fmt",
                        help="file format (default parquet)")
    parser.add_argument("--dirt-rate", type=float, default=generator.DEFAULT_DIRT_RATE, help="dirt rate")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="keep the output in DIR (default: a temporary folder, removed afterwards)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if platform.system() == "Darwin" else peak * 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    customers = args.customers or generator.SCALES[args.scale]
    out = args.out or Path(tempfile.mkdtemp(prefix="ecomseg-bench-"))

    def progress(stage: str, rows: int, elapsed: float) -> None:
        print(f"[{elapsed:7.1f}s] {stage}: {rows:,} rows", file=sys.stderr, flush=True)

    rss_before = _peak_rss_bytes()
    started = time.perf_counter()
    try:
        truth = generator.generate(out, customers=customers, days=args.days, seed=args.seed,
                                   fmt=args.fmt, dirt_rate=args.dirt_rate,
                                   progress=None if args.quiet else progress, force=args.out is None)
        wall = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(out).iterdir() if p.is_file())
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    rows = sum(truth["row_counts"].values())
    result = {
        "customers": customers, "days": args.days, "format": args.fmt, "dirt_rate": args.dirt_rate,
        "wall_seconds": round(wall, 1), "peak_rss_bytes": _peak_rss_bytes(),
        "peak_rss_before_bytes": rss_before, "rows": rows, "bytes_written": size,
        "row_counts": truth["row_counts"],
    }
    if args.json:
        print(json.dumps(result))
    else:
        gib = result["peak_rss_bytes"] / 2**30
        print(f"customers {customers:,} ({args.fmt}): wall {wall:.1f} s, peak RSS {gib:.2f} GiB, "
              f"{rows:,} rows ({rows / wall:,.0f} rows/s), {size / 2**20:,.0f} MiB on disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
