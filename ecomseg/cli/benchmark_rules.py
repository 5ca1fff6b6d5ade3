"""Benchmark the association-rules macros (SQL in DuckDB) against pyfim and mlxtend.

Times the macro over stored, integer-coded baskets (association_rules_from_baskets,
what product_association_rules runs), the macro over text order lines
(association_rules), the portable version of the basket macro (the one
Spark runs) on DuckDB, pyfim's C FP-growth, mlxtend fpgrowth (sparse and dense
one-hot) and mlxtend apriori on the same synthetic baskets at growing sizes,
each measurement in its own subprocess (wall and CPU time per phase, peak
RSS), checks that all engines find the identical rules, and reports the
mining CPU ratios macro / pyfim and macro / mlxtend. Prints a Markdown table
(docs/association-rules.md holds the last results) and a line per
measurement while it runs. The logic is in ecomseg/basket_benchmark.py.
Not a test: it takes minutes.

Examples:
  python scripts/benchmark_association_rules.py --sizes 10000 --engines macro,pyfim,fpgrowth
  python scripts/benchmark_association_rules.py --sizes 1000000 --no-mlxtend-sizes 10000000 \
      --engines macro,macro_lines,pyfim,fpgrowth
"""

import argparse
import json
import os
from dataclasses import asdict
from pathlib import Path


from ecomseg.basket_benchmark import ENGINES, Params, markdown_table, run_benchmark


def _ints(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    defaults = Params()
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_ints, default=[10_000, 100_000, 1_000_000],
                        help="basket (order) counts run with every engine, comma separated "
                             "(default: 10000,100000,1000000)")
    parser.add_argument("--no-mlxtend-sizes", type=_ints, default=[],
                        help="basket counts run with every engine but mlxtend's (too slow and too big "
                             "there), e.g. 10000000")
    parser.add_argument("--macro-only-sizes", type=_ints, default=[],
                        help="basket counts run with the macros only (macro, macro_lines, macro_portable)")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"engines to run, comma separated (default: {','.join(ENGINES)})")
    parser.add_argument("--items", type=int, default=1000, help="catalogue size (default: 1000)")
    parser.add_argument("--min-support", type=float, default=defaults.min_support)
    parser.add_argument("--min-confidence", type=float, default=defaults.min_confidence)
    parser.add_argument("--min-lift", type=float, default=defaults.min_lift)
    parser.add_argument("--max-antecedent-items", type=int, choices=[1, 2], default=defaults.max_antecedent_items)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/basket_benchmark"),
                        help="baskets, rules, rendered SQL and dbt output go here (default: /tmp/basket_benchmark)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per measurement (default: 600)")
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit for the macro (default: 3GB)")
    parser.add_argument("--threads", type=int, default=2, help="threads for DuckDB / BLAS (default: 2)")
    parser.add_argument("--mlxtend-address-space-gb", type=float, default=12,
                        help="RLIMIT_AS of the mlxtend subprocesses, so that a run that needs more "
                             "fails with MemoryError instead of exhausting the machine (default: 12; 0 = none)")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements as JSON here")
    args = parser.parse_args(argv)

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines {sorted(unknown)}; choose from {ENGINES}")
    params = Params(args.min_support, args.min_confidence, args.min_lift, args.max_antecedent_items)
    results = run_benchmark(args.sizes, engines, args.work_dir.resolve(), params, items=args.items,
                            timeout=args.timeout, memory_limit=args.memory_limit, threads=args.threads,
                            mlxtend_address_space_gb=args.mlxtend_address_space_gb or None,
                            macro_only_sizes=args.macro_only_sizes, no_mlxtend_sizes=args.no_mlxtend_sizes)
    print()
    print(f"Parameters: {params}, {args.items} items, DuckDB memory_limit {args.memory_limit}, "
          f"{args.threads} threads")
    print(f"Load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(markdown_table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in results], indent=2), encoding="utf-8")
    failed_checks = [m for m in results if m.same_rules_as_macro is False]
    return 1 if failed_checks else 0

