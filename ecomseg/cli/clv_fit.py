"""Fit the CLV models (BG/NBD and Gamma-Gamma) on a built DuckDB warehouse.

Reads the calibration summaries (intermediate.int_clv_fit_inputs, one per
fit: current and holdout), fits both models by maximum likelihood
(ecomseg/clv.py) and prints the value of the dbt var clv_parameters as JSON
(or writes it with --out). With --rebuild it also builds the models the
parameters feed (int_clv_parameters+) into the warehouse. `ecomseg build`
does both after a whole build; this command is for a warehouse built with
plain `dbt build`, and for another engine: pass the printed parameters to its
build, e.g. dbt build --vars "{clv_parameters: $(cat params.json)}" (docs/clv.md).

Examples:
  ecomseg clv-fit --duckdb warehouse/ecommerce.duckdb --out target/clv_parameters.json
  ecomseg clv-fit --duckdb warehouse/ecommerce.duckdb --raw-dir data/raw --rebuild
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ecomseg import DEFAULT_RAW_DIR


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=Path, required=True, help="the built warehouse")
    parser.add_argument("--out", type=Path, default=None, help="write the parameters (JSON) here instead of stdout")
    parser.add_argument("--rebuild", action="store_true",
                        help="also dbt build int_clv_parameters+ with them (needs --raw-dir)")
    parser.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW_DIR,
                        help="the raw folder the warehouse was built from (for --rebuild; default: data/raw)")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    from ecomseg.clv import fit_and_rebuild, fit_warehouse
    from ecomseg.dbt_runner import DbtCommandFailed

    if not args.duckdb.exists():
        print(f"no warehouse at {args.duckdb}", file=sys.stderr)
        return 2
    try:
        parameters = (fit_and_rebuild(args.duckdb, args.raw_dir) if args.rebuild
                      else fit_warehouse(args.duckdb))
    except DbtCommandFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    if parameters is None:
        print(f"{args.duckdb} has no CLV calibration summary (intermediate.int_clv_fit_inputs): "
              "build the CLV models first", file=sys.stderr)
        return 2
    text = json.dumps(parameters, indent=2, sort_keys=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0
