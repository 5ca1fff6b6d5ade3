"""What a build produced: rows per mart and quarantined rows per raw table."""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMAS = ("marts", "staging", "quarantine")


def collect(duckdb_path: Path | str) -> dict:
    """Row counts per table of the marts, staging and quarantine schemas, and
    quarantined rows per raw table and reason.

    Returns ``{"counts": {(schema, table): rows}, "quarantine_reasons":
    [(table, reason, rows)], "merged_order_lines": n}``, where
    ``merged_order_lines`` counts order lines without a line_number that
    exactly repeated an earlier line of the same order (same product,
    quantity and unit price: a repeated delivery) and were counted once.
    """
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = con.execute(
            """
            select table_schema, table_name
            from information_schema.tables
            where table_schema in ('marts', 'staging', 'quarantine')
              and table_type = 'BASE TABLE'
            order by table_schema, table_name
            """
        ).fetchall()
        counts = {
            (schema, name): con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }
        reasons: list[tuple[str, str, int]] = []
        for schema, name in tables:
            if schema == "quarantine":
                reasons += con.execute(
                    f"""select source_table, quarantine_reason, count(*)
                        from "{schema}"."{name}" group by all order by all"""
                ).fetchall()
        merged_lines = 0
        if ("quarantine", "quarantine_shop__order_items") in counts:
            merged_lines = con.execute(
                """select count(*) from quarantine.quarantine_shop__order_items
                   where quarantine_reason = 'duplicate_key' and nullif(trim(line_number), '') is null"""
            ).fetchone()[0]
    finally:
        con.close()
    return {"counts": counts, "quarantine_reasons": reasons, "merged_order_lines": merged_lines}


def render(summary: dict) -> str:
    """The summary from ``collect`` as printable text (one line per mart,
    staging table and quarantine reason, then merged order lines if any)."""
    counts = summary["counts"]
    lines = []
    for schema, title in (("marts", "Marts"), ("staging", "Staging (valid rows)")):
        rows = [(name, n) for (s, name), n in counts.items() if s == schema]
        if rows:
            lines.append(f"{title}:")
            width = max(len(name) for name, _ in rows)
            lines += [f"  {name:<{width}}  {n:>12,}" for name, n in rows]
    quarantined = [(name.removeprefix("quarantine_shop__"), n) for (s, name), n in counts.items() if s == "quarantine"]
    total = sum(n for _, n in quarantined)
    lines.append(f"Quarantined rows: {total:,}")
    for table, reason, n in summary["quarantine_reasons"]:
        lines.append(f"  {table:<15} {reason:<40} {n:>10,}")
    merged = summary.get("merged_order_lines", 0)
    if merged:
        lines.append(f"Merged order lines: {merged:,} line(s) without a line_number repeated an earlier line of "
                     "the same order exactly (product, quantity, unit price) and were counted once "
                     "(quarantined as duplicate_key; see docs/raw-data-contract.md)")
    return "\n".join(lines)
