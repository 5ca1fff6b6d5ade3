"""What a build produced: rows per mart, quarantined rows per raw table, and
the as-of date the customer facts and segments are computed at."""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMAS = ("marts", "staging", "quarantine")
HISTORY = "customer_segment_history"  # one as-of date per build: reported apart


def collect(duckdb_path: Path | str) -> dict:
    """What the warehouse file holds, as a dict:
    counts: {(schema, table): rows} of the marts, staging and quarantine schemas;
    quarantine_reasons: [(source_table, reason, rows)];
    as_of_dates: {date: [marts with that as_of_date]} over the marts with an
    as_of_date column (but the history);
    history_dates: the distinct as-of dates in marts.customer_segment_history
    (sorted; empty without it);
    merged_order_lines: order lines without a line_number that exactly
    repeated an earlier line of the same order (same product, quantity and
    unit price: a repeated delivery) and were counted once.
    Raises duckdb.Error if the file cannot be read."""
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
            if schema == "quarantine" and name.startswith("quarantine_shop__"):  # not quarantine_limits
                reasons += con.execute(
                    f"""select source_table, quarantine_reason, count(*)
                        from "{schema}"."{name}" group by all order by all"""
                ).fetchall()
        dated = [r[0] for r in con.execute(
            """select table_name from information_schema.columns
               where table_schema = 'marts' and column_name = 'as_of_date' order by table_name""").fetchall()]
        as_of_dates: dict = {}
        history_dates: list = []
        for name in dated:
            days = [r[0] for r in con.execute(
                f'select distinct as_of_date from marts."{name}" where as_of_date is not null order by 1').fetchall()]
            if name == HISTORY:
                history_dates = days
            else:
                for day in days:
                    as_of_dates.setdefault(day, []).append(name)
        merged_lines = 0
        if ("quarantine", "quarantine_shop__order_items") in counts:
            merged_lines = con.execute(
                """select count(*) from quarantine.quarantine_shop__order_items
                   where quarantine_reason = 'duplicate_key' and nullif(trim(line_number), '') is null"""
            ).fetchone()[0]
    finally:
        con.close()
    return {"counts": counts, "quarantine_reasons": reasons, "as_of_dates": as_of_dates,
            "history_dates": history_dates, "merged_order_lines": merged_lines}


def render(summary: dict) -> str:
    """The summary as text lines for people (see collect for the dict)."""
    counts = summary["counts"]
    lines = []
    for schema, title in (("marts", "Marts"), ("staging", "Staging (valid rows)")):
        rows = [(name, n) for (s, name), n in counts.items() if s == schema]
        if rows:
            lines.append(f"{title}:")
            width = max(len(name) for name, _ in rows)
            lines += [f"  {name:<{width}}  {n:>12,}" for name, n in rows]
    quarantined = [(name.removeprefix("quarantine_shop__"), n) for (s, name), n in counts.items()
                   if s == "quarantine" and name.startswith("quarantine_shop__")]
    total = sum(n for _, n in quarantined)
    lines.append(f"Quarantined rows: {total:,}")
    for table, reason, n in summary["quarantine_reasons"]:
        lines.append(f"  {table:<15} {reason:<40} {n:>10,}")
    as_of = summary.get("as_of_dates") or {}
    if len(as_of) == 1:
        lines.append(f"Customer facts and segments computed as of {next(iter(as_of))} "
                     "(var as_of_date; default: the latest order or event date in the data)")
    elif as_of:
        lines.append("Customer facts and segments computed as of several dates (var as_of_date):")
        lines += [f"  {day}: {', '.join(names)}" for day, names in sorted(as_of.items())]
    history = summary.get("history_dates") or []
    if history:
        lines.append(f"Segment history: {len(history)} as-of date(s), {history[0]} to {history[-1]}")
    merged = summary.get("merged_order_lines", 0)
    if merged:
        lines.append(f"Merged order lines: {merged:,} line(s) without a line_number repeated an earlier line of "
                     "the same order exactly (product, quantity, unit price) and were counted once "
                     "(quarantined as duplicate_key; see docs/raw-data-contract.md)")
    return "\n".join(lines)
