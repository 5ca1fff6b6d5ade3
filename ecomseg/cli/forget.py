"""Right to be forgotten: erase one customer from the raw files, the warehouse and the exports.

Records salted hashes of the customer's identifiers (customer id, their
orders, visitors and pre-login sessions) in the erasure list that every build
honours (kept in <raw-dir>/_erasure unless --erasure-dir / ERASURE_DIR says
otherwise), cuts their rows out of the raw files (every file of a table
given as a folder; read in the folder's _dialect.yml; every other byte of a
file is kept; a line with a stray quote is judged on its own, as the loader
reads it; the warehouse's file manifest entry of each rewritten file is
updated, so the next incremental build does not call it changed), deletes their rows from
every warehouse table (models, snapshots, incremental tables, quarantine),
removes them from every file under the exports folder, rebuilds the
warehouse (and, as `ecomseg build` does, fits the CLV models again on the
data without them and rebuilds their predictions) and appends what it did to the erasure log (no personal data): one
line per erasure, counting the rows of this erasure's customer; rows of
customers erased before that came back in re-delivered files are removed too
and logged apart, per earlier erasure. The customer id is never written in
clear: not to the log, not to the dbt command line of the rebuild (so not
to logs/dbt.log or target/run_results.json).

An id found in no raw file and no warehouse table (a typo, or a customer
erased before) changes nothing: "not found", exit status 3. --force records
it anyway, so that a later delivery of that customer is kept out.

Exit status: 0 erased; 1 erased, but the rebuild failed or some export files
could not be checked (see the summary); 2 the erasure stopped with an error
(the message says why, e.g. no raw files, an erasure list written with
another salt, a _dialect.yml the loader would refuse); 3 customer id not found, nothing changed.
The logic is ecomseg.gdpr; docs/privacy.md explains the design.

Examples:
  python scripts/forget_customer.py C0000042
  python scripts/forget_customer.py C0000042 --raw-dir data/ci/raw --duckdb warehouse/ci.duckdb
  python scripts/forget_customer.py C0009999 --force   # not (yet) in the data: keep them out
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
    parser.add_argument("customer_id", help="the customer to erase, as in the raw files")
    parser.add_argument("--raw-dir", type=Path, default=Path(os.environ.get("RAW_DATA_DIR", DEFAULT_RAW_DIR)),
                        help="the raw files (default: $RAW_DATA_DIR or data/raw)")
    parser.add_argument("--duckdb", type=Path,
                        default=Path(os.environ.get("DUCKDB_PATH", ROOT / "warehouse" / "ecommerce.duckdb")),
                        help="the warehouse (default: $DUCKDB_PATH or warehouse/ecommerce.duckdb)")
    parser.add_argument("--exports-dir", type=Path, default=None,
                        help="folder of exported outputs (default: $EXPORTS_DIR or data/exports)")
    parser.add_argument("--erasure-dir", type=Path, default=None,
                        help="erasure list and log (default: $ERASURE_DIR or <raw-dir>/_erasure)")
    parser.add_argument("--target-path", type=Path, default=None, help="dbt target path for the rebuild")
    parser.add_argument("--no-rebuild", action="store_true", help="do not rebuild the warehouse afterwards")
    parser.add_argument("--force", action="store_true",
                        help="record the id in the erasure list even if it is found nowhere (default: "
                             "'not found', exit status 3, nothing changed)")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    from ecomseg.gdpr import ErasureError, SubjectNotFound, forget_customer

    try:
        result = forget_customer(args.customer_id, args.raw_dir, duckdb_path=args.duckdb,
                                 exports=args.exports_dir, erasure_folder=args.erasure_dir,
                                 rebuild=not args.no_rebuild, target_path=args.target_path, force=args.force)
    except SubjectNotFound as exc:
        print(f"forget_customer.py: not found: {exc}", file=sys.stderr)
        return 3
    except ErasureError as exc:
        print(f"forget_customer.py: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    if result.unchecked_exports or (not args.no_rebuild and not result.rebuilt):
        return 1
    return 0

