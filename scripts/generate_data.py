#!/usr/bin/env python3
"""Generate a synthetic e-commerce shop in the raw data contract.

Writes one file per contract table (orders, order_items, exchange_rates,
customers, products, returns, sessions, events, campaign_sends; orders all in
PLN, with monthly EUR and USD rates) plus ground_truth.json, the effects
planted in the data (product pairs, accessories, purchase drivers, an A/B
campaign effect, dirt and the quarantine it must cause).  Same arguments give
byte-identical files.  The library behind it is ecomseg.generator.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import argparse  # noqa: E402
import time  # noqa: E402

from ecomseg import DEFAULT_RAW_DIR, contract, generator  # noqa: E402


def _date(text: str) -> str:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc
    return text


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0 <= value <= 0.05:
        raise argparse.ArgumentTypeError("must be between 0 and 0.05")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    tables = ", ".join(contract.tables())
    scales = ", ".join(f"{k} = {v:,}" for k, v in generator.SCALES.items())
    parser = argparse.ArgumentParser(
        prog="generate_data.py",
        description=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  python scripts/generate_data.py --scale small\n"
            "  python scripts/generate_data.py --customers 5000 --format csv --out /tmp/shop\n"
            "  python scripts/generate_data.py --scale small --only-tables orders,order_items\n"
            "  python scripts/generate_data.py --scale large --dirt-rate 0 --quiet\n"
            f"\ntables: {tables}"
        ),
    )
    parser.add_argument("--scale", choices=sorted(generator.SCALES), default="small",
                        help=f"size preset in registered customers ({scales}); default small")
    parser.add_argument("--customers", type=_positive, metavar="N",
                        help="number of registered customers (overrides --scale; at least 50)")
    parser.add_argument("--days", type=_positive, default=generator.DEFAULT_DAYS, metavar="D",
                        help=f"days of history ending with --end-date (default {generator.DEFAULT_DAYS}, at least 60)")
    parser.add_argument("--end-date", type=_date, default=generator.DEFAULT_END_DATE, metavar="YYYY-MM-DD",
                        help=f"last day of data, UTC (default {generator.DEFAULT_END_DATE}, fixed so output "
                             "is reproducible)")
    parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED, metavar="S",
                        help=f"random seed (default {generator.DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_RAW_DIR, metavar="DIR",
                        help=f"output folder (default {DEFAULT_RAW_DIR.relative_to(REPO_ROOT)} under the repo root)")
    parser.add_argument("--format", choices=generator.FORMATS, default="parquet", dest="fmt",
                        help="file format (default parquet)")
    parser.add_argument("--dirt-rate", type=_rate, default=generator.DEFAULT_DIRT_RATE, metavar="R",
                        help=f"share of dirty rows per kind of dirt (default {generator.DEFAULT_DIRT_RATE}; "
                             "0 disables dirt; at most 0.05)")
    parser.add_argument("--only-tables", metavar="T1,T2",
                        help="write only these tables, comma separated (e.g. orders,order_items for a "
                             "shop with orders only); the data is the same as in a full run")
    parser.add_argument("--force", action="store_true",
                        help="replace table files in --out that were not written by this generator")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on stderr; only the final summary line is printed")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    customers = args.customers or generator.SCALES[args.scale]
    tables = None
    if args.only_tables:
        tables = [t.strip() for t in args.only_tables.split(",") if t.strip()]
        unknown = sorted(set(tables) - set(contract.tables()))
        if unknown or not tables:
            parser.error(f"--only-tables: unknown table(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(contract.tables())}")

    def progress(stage: str, rows: int, elapsed: float) -> None:
        print(f"[{elapsed:7.1f}s] {stage}: {rows:,} rows", file=sys.stderr, flush=True)

    started = time.perf_counter()
    try:
        truth = generator.generate(
            args.out, customers=customers, days=args.days, seed=args.seed, end_date=args.end_date,
            fmt=args.fmt, dirt_rate=args.dirt_rate, tables=tables,
            progress=None if args.quiet else progress, force=args.force)
    except (ValueError, FileExistsError) as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    counts = truth["row_counts"]
    print(f"wrote {len(counts)} tables, {sum(counts.values()):,} rows "
          f"({', '.join(f'{t} {n:,}' for t, n in counts.items())}) as {args.fmt} to {args.out} "
          f"in {elapsed:.1f}s; ground truth in {Path(args.out) / generator.GROUND_TRUTH_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
