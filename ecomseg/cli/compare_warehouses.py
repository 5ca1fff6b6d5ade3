"""Compare two DuckDB warehouses built from the same raw data, relation by relation.

For a refactoring that must not change results (e.g. two versions of the
code built side by side): every table and view of the given schemas that both
warehouses hold is compared row by row, as multisets (DuckDB EXCEPT ALL in
both directions, over the columns both share, in the left warehouse's
order; --ignore-columns: columns that hold the time of the build;
--round-doubles N: DOUBLE and FLOAT values rounded to N decimals first, for
results that sum floating-point numbers in another order). A relation that only one warehouse holds, a column that only one of
them has, or any differing row is reported; the exit code is 1 when
anything differs, 0 when every compared relation is identical.

Example:
  python scripts/compare_warehouses.py old.duckdb new.duckdb --schemas marts staging quarantine \\
      --skip 'base_shop__*'
"""

from __future__ import annotations

import argparse
import fnmatch

import duckdb


def relations(con: duckdb.DuckDBPyConnection, alias: str, schemas: list[str]) -> dict[tuple[str, str], list[str]]:
    """{(schema, name): [column, ...]} of the attached warehouse `alias`."""
    return {key: [column for column, _ in columns] for key, columns in typed_relations(con, alias, schemas).items()}


def typed_relations(con: duckdb.DuckDBPyConnection, alias: str,
                    schemas: list[str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{(schema, name): [(column, data type), ...]} of the attached warehouse `alias`."""
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema in (select unnest(?)) order by table_schema, table_name, ordinal_position",
        [alias, schemas]).fetchall()
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, name, column, data_type in rows:
        found.setdefault((schema, name), []).append((column, data_type))
    return found


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compare(left: str, right: str, schemas: list[str], skip: list[str], ignore_columns: list[str] = (),
            show: int = 3, round_doubles: int | None = None) -> list[str]:
    """The differences, one text each; empty when every relation is identical.

    round_doubles: when given, DOUBLE and FLOAT columns are compared rounded to
    that many decimals (a sum of floating-point numbers in another order
    differs in its last bits); None compares them exactly."""
    con = duckdb.connect()
    con.execute(f"attach {duckdb_literal(left)} as l (read_only)")
    con.execute(f"attach {duckdb_literal(right)} as r (read_only)")
    lefts, rights = relations(con, "l", schemas), relations(con, "r", schemas)
    types = {key: dict(columns) for key, columns in typed_relations(con, "l", schemas).items()}
    problems: list[str] = []
    for key in sorted(set(lefts) | set(rights)):
        schema, name = key
        if any(fnmatch.fnmatch(name, pattern) for pattern in skip):
            continue
        if key not in lefts or key not in rights:
            problems.append(f"{schema}.{name}: only in the {'left' if key in lefts else 'right'} warehouse")
            continue
        only = [c for c in lefts[key] if c not in rights[key]] + [c for c in rights[key] if c not in lefts[key]]
        if only:
            problems.append(f"{schema}.{name}: columns in one warehouse only: {', '.join(only)}")
        columns = ", ".join(
            f"round({quote(c)}, {int(round_doubles)}) as {quote(c)}"
            if round_doubles is not None and types[key][c] in ("DOUBLE", "FLOAT") else quote(c)
            for c in lefts[key] if c in rights[key] and c not in ignore_columns)
        table = f"{quote(schema)}.{quote(name)}"
        counts = [con.execute(f"select count(*) from {side}.{table}").fetchone()[0] for side in ("l", "r")]
        for a, b in (("l", "r"), ("r", "l")):
            query = f"select {columns} from {a}.{table} except all select {columns} from {b}.{table}"
            differing = con.execute(f"select count(*) from ({query})").fetchone()[0]
            if differing:
                examples = con.execute(f"{query} limit {show}").fetchall()
                problems.append(f"{schema}.{name}: {differing} of {counts[0] if a == 'l' else counts[1]} rows only in the "
                                f"{'left' if a == 'l' else 'right'} warehouse, e.g. {examples}")
    return problems


def duckdb_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("left", help="a DuckDB warehouse file (e.g. built with the old code)")
    parser.add_argument("right", help="the other warehouse file, built from the same raw data")
    parser.add_argument("--schemas", nargs="+", default=["marts"], help="schemas to compare (default: marts)")
    parser.add_argument("--skip", nargs="*", default=[], help="relation name patterns to leave out (fnmatch)")
    parser.add_argument("--ignore-columns", nargs="*", default=["recorded_at"],
                        help="columns left out of every comparison: the time of the build (default: recorded_at, "
                             "when customer_segment_history recorded a row)")
    parser.add_argument("--round-doubles", type=int, default=None, metavar="N",
                        help="compare DOUBLE and FLOAT values rounded to N decimals (default: exactly)")
    args = parser.parse_args(argv)
    problems = compare(args.left, args.right, args.schemas, args.skip, args.ignore_columns,
                       round_doubles=args.round_doubles)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"identical: every relation of {', '.join(args.schemas)} in both warehouses")
    return 1 if problems else 0

