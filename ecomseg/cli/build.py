"""Generate a sample shop (if needed), build the warehouse with dbt, print a summary.

This is the README's main job. It runs `dbt build` (seeds, models, snapshots,
data and unit tests) against the embedded DuckDB warehouse and prints the rows
of every mart, the quarantined raw rows by reason, the as-of date the customer
facts and segments are computed at, and a command to query the marts.
--skip-unit-tests leaves the unit tests out (they test the code, not the
data): for a scheduled build of new data with code that already passed them.

Sample data is generated only into the default folder (data/raw), when it
holds no orders (file or folder of files): never into a folder named with
--raw-dir. Table files and folders are found whatever the case of their
names (Orders.csv is the orders file, Orders/ the orders folder).

A warehouse file remembers which raw folder it was built from (dbt records it
on the first build, raw._warehouse_identity): once anything was built from
that folder, building another folder into it stops with an error naming both
(a first build that failed before building any model binds nothing). Use a
warehouse file per shop (--duckdb), or --full-refresh to start the warehouse
over from the new data, segment history included.

After a whole build (no --select / --selector) the CLV models are fitted
(ecomseg/clv.py, docs/clv.md) and the models their parameters feed are built
again with them (a second, short dbt build).
After a successful build the warehouse is published for BI tools as a
read-only copy, read/<warehouse file name> beside it (e.g.
warehouse/read/ecommerce.duckdb), swapped in atomically (ecomseg.publish):
point BI tools at the copy, never at the file being built. --no-publish skips it.

dbt vars (shop time zone and currency, quarantine limits, ...: dbt_project.yml)
are set per build with --vars, a YAML or JSON dict. When dbt fails, the exit
code is 1 and the failing nodes are listed with their messages.

Examples:
  python scripts/build_warehouse.py                      # small sample into data/raw
  python scripts/build_warehouse.py --scale medium --regenerate
  python scripts/build_warehouse.py --raw-dir /path/to/my/shop --duckdb warehouse/my_shop.duckdb
  python scripts/build_warehouse.py --raw-dir /path/to/my/shop --duckdb warehouse/my_shop.duckdb --full-refresh
  python scripts/build_warehouse.py --raw-dir /path/to/my/shop --duckdb warehouse/my_shop.duckdb \
      --vars '{shop_timezone: Europe/Warsaw, shop_currency: EUR}'
"""

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from ecomseg import REPO_ROOT as ROOT

from ecomseg import DEFAULT_RAW_DIR
from ecomseg.dbt_runner import SKIP_UNIT_TESTS, DbtCommandFailed, run_dbt
from ecomseg.summary import collect, render

DEFAULT_DUCKDB = ROOT / "warehouse" / "ecommerce.duckdb"


def has_raw_data(raw_dir: Path) -> bool:
    """True when raw_dir holds orders: the file orders.parquet or orders.csv,
    or a folder orders/ with a .csv or .parquet file in it or its sub-folders
    (the raw layout, docs/raw-data-contract.md), names in any case
    (Orders.csv, ORDERS/). False for a missing folder."""
    if not raw_dir.is_dir():
        return False
    for entry in raw_dir.iterdir():
        if entry.is_file() and entry.name.lower() in ("orders.parquet", "orders.csv"):
            return True
        if entry.is_dir() and entry.name.lower() == "orders":
            for path in entry.rglob("*"):
                parts = path.relative_to(entry).parts
                if (path.is_file() and path.suffix.lower() in (".csv", ".parquet")
                        and not any(part.startswith(("_", ".")) for part in parts)):
                    return True
    return False


def query_command(duckdb_path: Path, mart: str) -> str:
    """A shell command that prints 5 rows of marts.<mart> from the warehouse
    file, run by this interpreter (which has duckdb: the summary used it).
    The interpreter and the file are given relative to the working directory
    when inside it, else absolute."""
    def shown(path: Path) -> str:
        absolute = Path(os.path.abspath(path))
        try:
            return str(absolute.relative_to(Path.cwd()))
        except ValueError:
            return str(absolute)

    python = shown(Path(sys.executable))
    if "/" not in python:
        python = "./" + python
    program = (f"import duckdb; print(duckdb.connect({json.dumps(shown(duckdb_path))}, read_only=True)"
               f".sql({json.dumps(f'select * from marts.{mart} limit 5')}))")
    return f"{shlex.quote(python)} -c {shlex.quote(program)}"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, default=None,
                        help=f"folder of raw files (default: {DEFAULT_RAW_DIR.relative_to(ROOT)}, the sample folder; "
                             "the build never writes into a folder you name)")
    parser.add_argument("--duckdb", type=warehouse_path, default=DEFAULT_DUCKDB,
                        help=f"warehouse file (default: {DEFAULT_DUCKDB.relative_to(ROOT)}); one per shop")
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="small",
                        help="sample size to generate into the sample folder when it has no data (default: small)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument("--regenerate", action="store_true",
                        help="generate the sample even if data exists (only into the sample folder)")
    parser.add_argument("--no-generate", action="store_true", help="never generate; fail if there is no data")
    parser.add_argument("--full-refresh", action="store_true",
                        help="start the warehouse over: every table rebuilt, the segment history included; "
                             "also the way to build other data into an existing warehouse file")
    parser.add_argument("--select", default=None,
                        help="dbt --select expression (default: everything, then the CLV fit and a second "
                             "dbt build of the models its parameters feed; with --select or --selector no CLV fit)")
    parser.add_argument("--selector", default=None,
                        help="a selector of selectors.yml, e.g. raw_to_sessions (staging and the session / visitor "
                             "models); passed to dbt as --selector")
    parser.add_argument("--skip-unit-tests", action="store_true",
                        help="leave dbt's unit tests out (dbt build --exclude-resource-type unit_test): they check "
                             "the code, not the data, so a scheduled build of new data with unchanged code need not "
                             "run them again (dbt's advice for production); data tests still run")
    parser.add_argument("--vars", type=parse_vars, default=None, metavar="'{NAME: VALUE, ...}'",
                        help="dbt vars for this build, a YAML or JSON dict passed to dbt as --vars "
                             "(defaults and meanings: dbt_project.yml, vars), e.g. "
                             "--vars '{shop_timezone: Europe/Warsaw, shop_currency: EUR}'")
    parser.add_argument("--no-publish", action="store_true",
                        help="do not publish the read-only copy for BI tools (read/<warehouse file name> beside the "
                             "warehouse, replaced atomically after a successful build; ecomseg.publish)")
    return parser


def parse_vars(text: str) -> dict:
    """The --vars argument: a YAML (or JSON, a subset of YAML) mapping of
    dbt var names to values, e.g. '{shop_timezone: Europe/Warsaw}' ->
    {"shop_timezone": "Europe/Warsaw"}. Raises argparse.ArgumentTypeError
    (argparse prints it and exits with 2) when the text is not valid YAML or
    not a mapping with text keys."""
    import yaml  # PyYAML, a dependency of dbt

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise argparse.ArgumentTypeError(
            f"not valid YAML/JSON ({str(exc).splitlines()[0]}); "
            "expected a dict, e.g. '{shop_timezone: Europe/Warsaw, shop_currency: EUR}'") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise argparse.ArgumentTypeError(
            f"expected a dict of var names to values, e.g. '{{shop_timezone: Europe/Warsaw, shop_currency: EUR}}'; "
            f"got {type(value).__name__}: {text!r}")
    return value


# DuckDB names a warehouse file's catalog after its stem; a catalog named like a
# schema makes two-part names such as marts.customer_rfm ambiguous ("Ambiguous
# reference to catalog or schema") for every reader of the warehouse.
RESERVED_WAREHOUSE_NAMES = frozenset({
    "main", "raw", "seeds", "staging", "quarantine", "intermediate", "marts", "realtime",
    "information_schema", "pg_catalog", "system", "temp", "memory",
})


def warehouse_name_problem(duckdb_path: Path) -> str | None:
    """Why a warehouse file name cannot be used, or None when it can.

    duckdb_path: the DuckDB file (only its name is read). DuckDB names the
    file's catalog after its stem (``marts.duckdb`` -> catalog ``marts``); a
    stem equal (case-insensitively) to one of the warehouse's schemas or
    DuckDB's own catalogs (RESERVED_WAREHOUSE_NAMES) makes the two-part names
    the exporter, the report and BI queries use ambiguous, so it is refused.
    """
    stem = Path(duckdb_path).name.split(".")[0]
    if stem.lower() in RESERVED_WAREHOUSE_NAMES:
        return (f"the warehouse file {duckdb_path} cannot be used: DuckDB names its catalog {stem!r}, "
                f"like the warehouse's schema or DuckDB's catalog of that name, which makes names such as "
                f"{stem}.<table> ambiguous. Choose another file name (reserved: "
                f"{', '.join(sorted(RESERVED_WAREHOUSE_NAMES))}).")
    return None


def warehouse_path(text: str) -> Path:
    """argparse type of every command's --duckdb: the path, or an argparse error naming
    why its file name cannot be used (warehouse_name_problem)."""
    path = Path(text)
    problem = warehouse_name_problem(path)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return path


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)

    sample_dir = DEFAULT_RAW_DIR.resolve()
    raw_dir = (args.raw_dir or DEFAULT_RAW_DIR).resolve()
    started = time.monotonic()
    if args.regenerate or not has_raw_data(raw_dir):
        if args.no_generate:
            parser.error(f"no orders.parquet or orders.csv (in any case) nor an orders/ folder of files in {raw_dir}")
        if raw_dir != sample_dir:
            # sample data is never written into a folder the user named
            problem = (f"--regenerate writes sample data only into the sample folder {sample_dir}"
                       if args.regenerate else f"no orders.parquet or orders.csv (in any case) nor an orders/ folder of files in {raw_dir}")
            parser.error(f"{problem}; a folder named with --raw-dir is never written to. Is --raw-dir right? "
                         "For the sample shop leave --raw-dir out; to generate a sample into a folder on purpose: "
                         "python scripts/generate_data.py --out <folder>")
        print(f"Generating a {args.scale} sample shop into {raw_dir} ...", flush=True)
        from ecomseg.cli import generate

        if generate.main(["--scale", args.scale, "--seed", str(args.seed), "--out", str(raw_dir)]) != 0:
            return 1

    print(f"Building the warehouse {args.duckdb} from {raw_dir} ...", flush=True)
    build_args = (["build"] + (["--select", args.select] if args.select else [])
                  + (["--selector", args.selector] if args.selector else [])
                  + (["--full-refresh"] if args.full_refresh else [])
                  + (list(SKIP_UNIT_TESTS) if args.skip_unit_tests else []))
    try:
        run_dbt(build_args, raw_dir=raw_dir, duckdb_path=args.duckdb, dbt_vars=args.vars)
        if not (args.select or args.selector) and not (args.vars or {}).get("clv_parameters"):
            # CLV (docs/clv.md): fit BG/NBD and Gamma-Gamma on the calibration summary just
            # built, then rebuild the models the parameters feed with the var clv_parameters.
            print("Fitting the CLV models (ecomseg/clv.py) and building their predictions ...", flush=True)
            from ecomseg.clv import fit_and_rebuild

            # its own target folder: target/run_results.json stays the whole build's (benchmark_build.py reads it)
            fit_and_rebuild(args.duckdb, raw_dir, dbt_vars=args.vars,
                            target_path=Path(os.environ.get("DBT_TARGET_PATH", ROOT / "target")) / "clv_fit",
                            skip_unit_tests=args.skip_unit_tests)
    except DbtCommandFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    print()
    summary = collect(args.duckdb)
    print(render(summary))
    marts = sorted(name for (schema, name) in summary["counts"] if schema == "marts")
    mart = "customer_rfm" if "customer_rfm" in marts else (marts[0] if marts else "<mart>")
    query_path = args.duckdb
    if not args.no_publish and args.duckdb.exists():  # a successful build always wrote it
        from ecomseg.publish import publish

        published = publish(args.duckdb)
        query_path = published.path
        print(f"\nPublished for BI tools (read-only, swapped in atomically): {published.path} "
              f"(build {published.build_id})")
    print(f"\nDone in {time.monotonic() - started:.0f} s. Query the marts (any name listed above) with:\n"
          f"  {query_command(query_path, mart)}")
    return 0

