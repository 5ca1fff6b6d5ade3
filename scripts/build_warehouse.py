#!/usr/bin/env python3
"""Generate a sample shop (if needed), build the warehouse with dbt, print a summary.

This is the README's main job. It runs `dbt build` (seeds, models, snapshots,
data and unit tests) against the embedded DuckDB warehouse and prints the rows
of every mart and the quarantined raw rows by reason.

Examples:
  python scripts/build_warehouse.py                      # small sample into data/raw
  python scripts/build_warehouse.py --scale medium --regenerate
  python scripts/build_warehouse.py --raw-dir /path/to/my/shop --no-generate
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecomseg import DEFAULT_RAW_DIR  # noqa: E402
from ecomseg.dbt_runner import DbtCommandFailed, run_dbt  # noqa: E402
from ecomseg.summary import collect, render  # noqa: E402

DEFAULT_DUCKDB = ROOT / "warehouse" / "ecommerce.duckdb"


def has_raw_data(raw_dir: Path) -> bool:
    return any((raw_dir / f"orders.{ext}").exists() for ext in ("parquet", "csv"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW_DIR,
                        help=f"folder of raw files (default: {DEFAULT_RAW_DIR.relative_to(ROOT)})")
    parser.add_argument("--duckdb", type=Path, default=DEFAULT_DUCKDB,
                        help=f"warehouse file (default: {DEFAULT_DUCKDB.relative_to(ROOT)})")
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small",
                        help="sample size to generate when there is no data (default: small)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument("--regenerate", action="store_true", help="generate the sample even if data exists")
    parser.add_argument("--no-generate", action="store_true", help="never generate; fail if there is no data")
    parser.add_argument("--select", default=None, help="dbt --select expression (default: everything)")
    args = parser.parse_args()

    raw_dir = args.raw_dir.resolve()
    started = time.monotonic()
    if args.regenerate or not has_raw_data(raw_dir):
        if args.no_generate:
            parser.error(f"no orders.parquet or orders.csv in {raw_dir}")
        print(f"Generating a {args.scale} sample shop into {raw_dir} ...", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "generate_data.py"),
             "--scale", args.scale, "--seed", str(args.seed), "--out", str(raw_dir)],
            check=True,
        )

    print(f"Building the warehouse {args.duckdb} from {raw_dir} ...", flush=True)
    build_args = ["build"] + (["--select", args.select] if args.select else [])
    try:
        run_dbt(build_args, raw_dir=raw_dir, duckdb_path=args.duckdb)
    except DbtCommandFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    print()
    print(render(collect(args.duckdb)))
    print(f"\nDone in {time.monotonic() - started:.0f} s. Query the marts with: "
          f"python -c \"import duckdb; print(duckdb.connect('{args.duckdb}', read_only=True)"
          f".sql('select * from marts.<mart> limit 5'))\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
