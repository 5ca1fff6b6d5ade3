"""Validate a built warehouse against its data contracts with Great Expectations.

Runs the suites of ecomseg.validation: raw (the raw files against the raw
data contract, and raw rows = staged + quarantined + erased), quarantine,
staging, every mart (derived from the dbt manifest: contract columns and
types, primary key, dbt tests, name rules, YAML meta expectations, relations
between layers) and privacy (no personal data in marts, consent on
activation outputs). Prints a summary, writes GX data docs, and exits 1 when
any expectation fails (2 when the inputs are missing). docs/quality.md
describes every check and how to add one.

Examples:
  python scripts/validate.py --duckdb warehouse/ci.duckdb --raw-dir data/ci/raw
  python scripts/validate.py --layers marts,privacy --verbose
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ecomseg import REPO_ROOT as ROOT

from ecomseg import DEFAULT_RAW_DIR


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=Path,
                        default=Path(os.environ.get("DUCKDB_PATH", ROOT / "warehouse" / "ecommerce.duckdb")),
                        help="the built warehouse (default: $DUCKDB_PATH or warehouse/ecommerce.duckdb)")
    parser.add_argument("--raw-dir", type=Path, default=Path(os.environ.get("RAW_DATA_DIR", DEFAULT_RAW_DIR)),
                        help="the raw files the warehouse was built from (default: $RAW_DATA_DIR or data/raw)")
    parser.add_argument("--manifest", type=Path, default=ROOT / "target" / "manifest.json",
                        help="dbt's manifest of that build (default: target/manifest.json)")
    parser.add_argument("--docs-dir", type=Path, default=ROOT / "target" / "gx_docs",
                        help="where GX writes its HTML data docs (default: target/gx_docs)")
    parser.add_argument("--no-docs", action="store_true", help="do not write data docs")
    parser.add_argument("--layers", default="raw,staging,marts,privacy",
                        help="comma-separated layers to validate (default: raw,staging,marts,privacy)")
    parser.add_argument("--select", default="",
                        help="comma-separated shell patterns of suite names to run, e.g. 'marts.fct_*,raw.orders*' (default: all)")
    parser.add_argument("--max-rows", type=int, default=1_000_000,
                        help="a relation with more rows is validated in batches (default: 1,000,000)")
    parser.add_argument("--batch-rows", type=int, default=500_000, help="rows per batch (default: 500,000)")
    parser.add_argument("--verbose", action="store_true", help="list every expectation, not only failing ones")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    from ecomseg.validation import LAYERS, render, validate

    layers = [x.strip() for x in args.layers.split(",") if x.strip()]
    unknown = sorted(set(layers) - set(LAYERS))
    if unknown:
        print(f"unknown layers {unknown}; choose from {', '.join(LAYERS)}", file=sys.stderr)
        return 2
    try:
        report = validate(args.duckdb, args.manifest, raw_dir=args.raw_dir,
                          docs_dir=None if args.no_docs else args.docs_dir, layers=layers,
                          max_rows=args.max_rows, batch_rows=args.batch_rows,
                          select=[p.strip() for p in args.select.split(",") if p.strip()])
    except FileNotFoundError as exc:
        print(f"validate.py: {exc}", file=sys.stderr)
        return 2
    print(render(report, verbose=args.verbose))
    return 0 if report.success else 1

