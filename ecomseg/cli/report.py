"""Write one self-contained HTML report of a built warehouse, from its marts only.

Charts: the RFM grid (recency x frequency: customers and net revenue), segment
sizes and revenue shares, migration between two as-of dates, the lifecycle
funnel, the top association rules with product names, the score
distributions with their thresholds, abandoned carts by stage and campaign
results with their intervals (ecomseg/report.py). A mart that is missing or
empty gets a notice saying why in place of its chart. plotly.js is inlined:
the file opens offline, in any browser.

Dates are in shop time and amounts in the shop currency: give the same
values as the build's vars shop_timezone / shop_currency (defaults: those of
dbt_project.yml).

It prints the file's path and a command that queries the marts.

Examples:
  python scripts/report.py --duckdb warehouse/ecommerce.duckdb --out warehouse/report.html
  ecomseg report --duckdb warehouse/my_shop.duckdb --out my_shop.html --currency EUR --timezone Europe/Warsaw
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ecomseg import REPO_ROOT as ROOT


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=Path,
                        default=Path(os.environ.get("DUCKDB_PATH", ROOT / "warehouse" / "ecommerce.duckdb")),
                        help="the built warehouse (default: $DUCKDB_PATH or warehouse/ecommerce.duckdb)")
    parser.add_argument("--out", type=Path, default=ROOT / "warehouse" / "report.html",
                        help="the HTML file to write (default: warehouse/report.html)")
    parser.add_argument("--currency", default=None,
                        help="the shop currency the marts' amounts are in (the build's var shop_currency; "
                             "default: dbt_project.yml's)")
    parser.add_argument("--timezone", default=None,
                        help="the shop time zone the marts' dates are in (the build's var shop_timezone; "
                             "default: dbt_project.yml's)")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.duckdb.is_file():
        print(f"{parser.prog}: no warehouse file {args.duckdb}: build it first (scripts/build_warehouse.py)",
              file=sys.stderr)
        return 2
    import duckdb

    from ecomseg.report import summary, write

    try:
        report = write(args.duckdb, args.out, currency=args.currency, timezone=args.timezone)
    except duckdb.Error as exc:
        print(f"{parser.prog}: cannot read {args.duckdb}: {exc}", file=sys.stderr)
        return 1
    from ecomseg.cli.build import query_command

    print(f"Report written ({len(report.charts)} sections; a notice says why where a chart could not be drawn):")
    print(summary(report))
    print(f"\nOpen it in a browser: {args.out.resolve()}\n"
          f"Query the marts it reads with:\n  {query_command(args.duckdb, 'segment_summary')}")
    return 0
