"""Check the DuckDB query plans of the compiled models for joins that do not scale.

A join condition DuckDB cannot hash (an expression of both sides, e.g.
``date_diff('second', a.sent_at, b.ordered_at) <= 604800`` or ``a.kind =
'customer'`` in a left join's ``on``) makes the whole join a
BLOCKWISE_NL_JOIN: every row of one side against every row of the other.
On the small CI shop it costs nothing; at 1M customers one such join ran
for more than ten minutes (campaign sends x orders). This check runs
``EXPLAIN`` on every compiled model of the last dbt invocation
(target/compiled, read against the warehouse it was built in) and fails
on a BLOCKWISE_NL_JOIN, except in the models of ALLOWED, each with the
reason its inputs stay small.

Run it after a build (make build-ci does, on warehouse/ci.duckdb); the
compiled SQL of incremental models is that of the last run's branch.

Example:
  python scripts/check_plans.py --duckdb warehouse/ci.duckdb --compiled target/compiled \\
      --manifest target/manifest.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

#: Plan operators that compare every row of one input with every row of the other.
UNSCALABLE_OPERATORS = ("BLOCKWISE_NL_JOIN",)

#: model name -> why its nested loop stays small at any number of customers.
ALLOWED = {
    "int_search_phrase_products": "search words x the product catalogue (a word matches a product whose "
                                  "text contains it: no equality to hash on); both grow with the catalogue, "
                                  "not with customers or events",
}


#: model name -> why its compiled SQL cannot be explained after the build (it is not checked).
NOT_CHECKED = {
    "int_customer_cluster_seeds": "built in steps (macro step_tables): its select reads the last step's table, "
                                  "dropped after the build",
    "int_customer_cluster_iterations": "built in steps (macro step_tables), as int_customer_cluster_seeds",
    "int_scorecard_fit": "built in Newton steps (macro scorecard_fit_newton_steps): its select reads the result "
                         "table, dropped after the build",
}


def model_files(compiled: Path, manifest: Path) -> list[Path]:
    """The compiled SQL of the project's models: for each model node of the dbt manifest, the file
    <compiled>/<package>/<its original_file_path> when it exists (files of models since moved or
    removed are not read). Raises FileNotFoundError when the manifest is missing."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    found = []
    for node in sorted(nodes, key=lambda n: n["original_file_path"]):
        if node["resource_type"] == "model":
            path = compiled / node["package_name"] / node["original_file_path"]
            if path.is_file():
                found.append(path)
    return found


def unscalable_joins(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The operators of UNSCALABLE_OPERATORS in DuckDB's physical plan of sql, one entry per occurrence.
    Raises duckdb.Error when sql does not bind (e.g. a relation missing from the warehouse)."""
    plan = "\n".join(row[1] for row in con.execute("explain " + sql).fetchall())
    return [operator for operator in UNSCALABLE_OPERATORS for _ in range(plan.count(operator))]


def check(duckdb_path: Path, compiled: Path, manifest: Path) -> tuple[list[str], int]:
    """(problems, models checked): a text per model whose plan has an unscalable join and is not
    ALLOWED, or whose SQL does not bind. Raises FileNotFoundError when no compiled model is found."""
    files = model_files(compiled, manifest)
    if not files:
        raise FileNotFoundError(f"no compiled model under {compiled}: run dbt (make build-ci) first")
    problems = []
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        for path in files:
            name = path.stem
            if name in NOT_CHECKED:
                continue
            try:
                found = unscalable_joins(con, path.read_text())
            except duckdb.Error as error:
                problems.append(f"{name}: its compiled SQL does not bind against {duckdb_path}: "
                                f"{str(error).splitlines()[0]}")
                continue
            if found and name not in ALLOWED:
                problems.append(f"{name}: {', '.join(sorted(set(found)))} ({len(found)}x) in its DuckDB plan "
                                f"({path}): a join condition DuckDB cannot hash; join on the keys and filter "
                                "the rest in a where clause, or compute the key in a CTE first")
    finally:
        con.close()
    return problems, len([path for path in files if path.stem not in NOT_CHECKED])


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=Path, required=True, help="the warehouse the models were built in")
    parser.add_argument("--compiled", type=Path, default=Path("target/compiled"),
                        help="dbt's compiled SQL of that build (default target/compiled)")
    parser.add_argument("--manifest", type=Path, default=Path("target/manifest.json"),
                        help="the dbt manifest naming the project's models (default target/manifest.json)")
    args = parser.parse_args(argv)
    try:
        problems, checked = check(args.duckdb, args.compiled, args.manifest)
    except FileNotFoundError as error:
        print(f"check_plans: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"FAIL {problem}")
    print(f"{checked} compiled models checked, {len(problems)} with a join that does not scale or SQL that "
          f"does not bind (allowed: {', '.join(sorted(ALLOWED))}; not checked, built in steps: "
          f"{', '.join(sorted(NOT_CHECKED))})")
    return 1 if problems else 0
