"""Compare the marts one dbt project built on DuckDB and on Spark.

For every model under models/marts/ in a dbt manifest (or the models named with
--select) it compares, between a DuckDB file and a Spark Thrift server: row
counts, sums of numeric columns (exact for integers and decimals, 1e-6 relative
for doubles), true counts of booleans and the set of primary keys (the column
tested unique + not_null). Prints a report; exit status 1 when anything differs
or a model cannot be read, 0 when all agree.

Example:
  python scripts/compare_engines.py --manifest target/manifest.json \\
      --duckdb warehouse/ecommerce.duckdb --spark-host 127.0.0.1 --spark-port 10000
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


from ecomseg import engine_compare
from ecomseg.manifest import load_manifest


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True, type=Path,
                        help="dbt manifest.json (from either target: schema and alias names are the same)")
    parser.add_argument("--duckdb", required=True, type=Path, help="the DuckDB warehouse file (opened read-only)")
    parser.add_argument("--spark-host", default=os.environ.get("SPARK_HOST", "127.0.0.1"),
                        help="Spark Thrift server host [SPARK_HOST or 127.0.0.1]")
    parser.add_argument("--spark-port", type=int, default=int(os.environ.get("SPARK_THRIFT_PORT", "10000")),
                        help="Spark Thrift server port [SPARK_THRIFT_PORT or 10000]")
    parser.add_argument("--spark-user", default=os.environ.get("SPARK_USER", "dbt"),
                        help="user name sent to the Thrift server [SPARK_USER or dbt]")
    parser.add_argument("--select", nargs="+", metavar="MODEL",
                        help="model names to compare (default: every model under models/marts/)")
    parser.add_argument("--folder", default="models/marts/",
                        help="path prefix of the models compared without --select [models/marts/]")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every figure, not only differences")
    args = parser.parse_args(argv)

    manifest = load_manifest(args.manifest)
    try:
        models = engine_compare.select_models(manifest, args.select, args.folder)
    except ValueError as error:
        parser.error(str(error))
    if not models:
        print(f"no models selected from {args.manifest}", file=sys.stderr)
        return 1
    if not args.duckdb.exists():
        parser.error(f"DuckDB file not found: {args.duckdb}")
    duck = engine_compare.DuckDBSide(args.duckdb)
    spark = engine_compare.SparkSide(args.spark_host, args.spark_port, args.spark_user)
    try:
        results = engine_compare.compare(manifest, models, duck, spark)
    finally:
        duck.close()
        spark.close()
    print(engine_compare.format_report(results, verbose=args.verbose))
    return 0 if all(result.ok for result in results) else 1

