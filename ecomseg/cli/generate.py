"""Generate a synthetic e-commerce shop in the raw data contract.

Writes one file per contract table (orders, order_items, exchange_rates,
customers, products, returns, sessions, events, campaign_sends; orders all in
PLN, with monthly EUR and USD rates) plus ground_truth.json, the effects
planted in the data (product pairs, accessories, purchase drivers, an A/B
campaign effect, dirt and the quarantine it must cause).  Same arguments give
byte-identical files.  The library behind it is ecomseg.generator.

With --batches daily the same shop is written as a shop's daily exports:
<table>/date=YYYY-MM-DD/part-0001.<format> for every table with a date
(events, sessions, orders, order_items with their order, returns, customers,
campaign_sends; a file for every day, empty on a day without rows), products
and exchange_rates as one file each, and _generator.json (the parameters; the
loader ignores names starting with _).  Without --redeliveries and
--horizon-days the files together hold exactly the rows of the single-file
shop.  --horizon-days H generates the shop H days past --end-date but writes
only up to --end-date; --append-days N then writes the next N days into the
same folder (never rewriting a file; same files as writing them at once).
--redeliveries plants what real exports do: late events (in a later day's
file), duplicate event deliveries across days, and orders re-exported on every
status change with their lines (ecomseg.batches, listed in ground_truth.json).
"""

from __future__ import annotations

import sys
from pathlib import Path


import argparse
import time

from ecomseg import DEFAULT_RAW_DIR, REPO_ROOT, batches, contract, generator


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


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    tables = ", ".join(contract.tables())
    scales = ", ".join(f"{k} = {v:,}" for k, v in generator.SCALES.items())
    parser = argparse.ArgumentParser(
        prog=prog,
        description=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  python scripts/generate_data.py --scale small\n"
            "  python scripts/generate_data.py --customers 5000 --format csv --out /tmp/shop\n"
            "  python scripts/generate_data.py --scale small --only-tables orders,order_items\n"
            "  python scripts/generate_data.py --scale large --dirt-rate 0 --quiet\n"
            "  python scripts/generate_data.py --batches daily --horizon-days 7 --redeliveries --out /tmp/daily\n"
            "  python scripts/generate_data.py --append-days 1 --out /tmp/daily\n"
            f"\ntables: {tables}"
        ),
    )
    parser.add_argument("--scale", choices=sorted(generator.SCALES),
                        help=f"size preset in registered customers ({scales}); default small")
    parser.add_argument("--customers", type=_positive, metavar="N",
                        help="number of registered customers (overrides --scale; at least 50)")
    parser.add_argument("--days", type=_positive, metavar="D",
                        help=f"days of history ending with --end-date (default {generator.DEFAULT_DAYS}, at least 60)")
    parser.add_argument("--end-date", type=_date, metavar="YYYY-MM-DD",
                        help=f"last day of data, UTC (default {generator.DEFAULT_END_DATE}, fixed so output "
                             "is reproducible)")
    parser.add_argument("--seed", type=int, metavar="S",
                        help=f"random seed (default {generator.DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_RAW_DIR, metavar="DIR",
                        help=f"output folder (default {DEFAULT_RAW_DIR.relative_to(REPO_ROOT)} under the repo root)")
    parser.add_argument("--format", choices=generator.FORMATS, dest="fmt",
                        help="file format (default parquet)")
    parser.add_argument("--dirt-rate", type=_rate, metavar="R",
                        help=f"share of dirty rows per kind of dirt (default {generator.DEFAULT_DIRT_RATE}; "
                             "0 disables dirt; at most 0.05)")
    parser.add_argument("--only-tables", metavar="T1,T2",
                        help="write only these tables, comma separated (e.g. orders,order_items for a "
                             "shop with orders only); the data is the same as in a full run")
    parser.add_argument("--force", action="store_true",
                        help="replace table files in --out that were not written by this generator")
    parser.add_argument("--batches", choices=batches.LAYOUTS,
                        help="write daily export folders <table>/date=YYYY-MM-DD/part-0001.<format> "
                             "instead of one file per table (default: one file per table)")
    parser.add_argument("--horizon-days", type=_non_negative, metavar="H",
                        help="with --batches: generate the shop H days past --end-date, write only up to "
                             "--end-date, keep the rest for --append-days (default 0)")
    parser.add_argument("--redeliveries", action="store_true",
                        help="with --batches: plant late events, duplicate event deliveries across days "
                             f"({batches.LATE_EVENT_SHARE * 100:g}%% and {batches.DUPLICATE_EVENT_SHARE * 100:g}%% of the "
                             f"events, up to {batches.MAX_DELAY_DAYS} days later) and order re-exports on "
                             "every status change, with their lines (default off)")
    parser.add_argument("--append-days", type=_positive, metavar="N",
                        help="write the next N days into --out, an existing --batches folder, with the "
                             "parameters in its _generator.json (no other shop option may be given)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines on stderr; only the final summary line is printed")
    return parser


SHOP_OPTIONS = {"scale": "--scale", "customers": "--customers", "days": "--days", "end_date": "--end-date",
                "seed": "--seed", "fmt": "--format", "dirt_rate": "--dirt-rate", "only_tables": "--only-tables",
                "batches": "--batches", "horizon_days": "--horizon-days", "redeliveries": "--redeliveries",
                "force": "--force"}
DEFAULTS = {"scale": "small", "days": generator.DEFAULT_DAYS, "end_date": generator.DEFAULT_END_DATE,
            "seed": generator.DEFAULT_SEED, "fmt": "parquet", "dirt_rate": generator.DEFAULT_DIRT_RATE}


def _given(value) -> bool:
    return value is not None and value is not False  # 0 and 0.0 are given values


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)

    def progress(stage: str, rows: int, elapsed: float) -> None:
        print(f"[{elapsed:7.1f}s] {stage}: {rows:,} rows", file=sys.stderr, flush=True)

    started = time.perf_counter()
    if args.append_days is not None:
        given = [flag for name, flag in SHOP_OPTIONS.items() if _given(getattr(args, name))]
        if given:
            parser.error(f"--append-days takes the shop's parameters from {batches.STATE_FILE} in --out; "
                         f"do not give {', '.join(given)}")
        try:
            done = batches.append_days(args.out, args.append_days, progress=None if args.quiet else progress)
        except (ValueError, FileExistsError, FileNotFoundError) as exc:
            parser.error(str(exc))
        print(f"appended {args.append_days} day(s) ({done['days'][0]} .. {done['days'][1]}): "
              f"{done['files']:,} files, {done['rows']:,} rows to {args.out} "
              f"in {time.perf_counter() - started:.1f}s")
        return 0
    for name, value in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    customers = args.customers or generator.SCALES[args.scale]
    if args.batches is None:
        extra = [flag for name, flag in (("horizon_days", "--horizon-days"), ("redeliveries", "--redeliveries"))
                 if _given(getattr(args, name))]
        if extra:
            parser.error(f"{', '.join(extra)} needs --batches daily")
    elif args.only_tables:
        parser.error("--only-tables is for the one-file-per-table layout, not with --batches")
    tables = None
    if args.only_tables:
        tables = [t.strip() for t in args.only_tables.split(",") if t.strip()]
        unknown = sorted(set(tables) - set(contract.tables()))
        if unknown or not tables:
            parser.error(f"--only-tables: unknown table(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(contract.tables())}")

    try:
        if args.batches:
            truth = batches.generate_batches(
                args.out, customers=customers, days=args.days, seed=args.seed, end_date=args.end_date,
                fmt=args.fmt, dirt_rate=args.dirt_rate, horizon_days=args.horizon_days or 0,
                redeliveries=args.redeliveries, progress=None if args.quiet else progress, force=args.force)
        else:
            truth = generator.generate(
                args.out, customers=customers, days=args.days, seed=args.seed, end_date=args.end_date,
                fmt=args.fmt, dirt_rate=args.dirt_rate, tables=tables,
                progress=None if args.quiet else progress, force=args.force)
    except (ValueError, FileExistsError) as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    counts = truth["row_counts"]
    if args.batches:
        b = truth["batches"]
        state = batches.read_state(args.out)
        files = sum(1 for _ in Path(args.out).rglob(f"*.{args.fmt}"))
        print(f"wrote {len(counts)} tables as daily batches {b['first_day']} .. {state['written_through']} "
              f"(shop generated through {b['last_day']}), {files:,} files as {args.fmt} to {args.out} "
              f"in {elapsed:.1f}s; ground truth in {Path(args.out) / generator.GROUND_TRUTH_FILE}")
        return 0
    print(f"wrote {len(counts)} tables, {sum(counts.values()):,} rows "
          f"({', '.join(f'{t} {n:,}' for t, n in counts.items())}) as {args.fmt} to {args.out} "
          f"in {elapsed:.1f}s; ground truth in {Path(args.out) / generator.GROUND_TRUTH_FILE}")
    return 0

