"""Publish a built warehouse for BI tools: a read-only copy swapped in atomically.

DuckDB has one writer: a BI tool that holds the warehouse file open blocks the
next build, and a reader that opens the file while a build writes it fails or
sees half a build. So BI tools read a copy, never the file dbt builds:

  <folder of the warehouse>/read/<warehouse file name>   e.g. warehouse/read/ecommerce.duckdb

After a successful build (`ecomseg build` does it unless --no-publish), the
warehouse is checkpointed, copied to a temporary file beside the copy, stamped
with a build id (table published.build_info, and the row count of every mart in
published.mart_rows), and renamed over the copy with os.replace, which is atomic
on one file system. A reader that opened the copy before keeps reading the
build it opened (the old file stays readable until it closes it); a new
connection sees the new build. A failed build publishes nothing: the copy keeps
the last good build. The copy keeps the warehouse file's name, so DuckDB gives
it the same database name (the file's stem) and the relation names dbt writes
into its manifests (target/semantic_manifest.json for MetricFlow) work on both.

Open the copy read-only (duckdb.connect(path, read_only=True); DBeaver and
others: the read-only option). POSIX file systems only: on Windows a file that
is open cannot be replaced.

    python -m ecomseg.publish --duckdb warehouse/ecommerce.duckdb   # publish an existing build again
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

READ_FOLDER = "read"
INFO_SCHEMA = "published"


@dataclass(frozen=True)
class Published:
    path: Path  # the read-only copy
    build_id: str
    mart_rows: dict[str, int]  # marts.<name> -> rows


def read_copy_path(duckdb_path: Path) -> Path:
    """Where the read-only copy of the warehouse file duckdb_path is published:
    read/<same name> in the warehouse's folder."""
    duckdb_path = Path(duckdb_path)
    return duckdb_path.parent / READ_FOLDER / duckdb_path.name


def _mart_names(con) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' order by table_name").fetchall()
    return [name for (name,) in rows]


def publish(duckdb_path: Path, build_id: str | None = None) -> Published:
    """Publish the warehouse file duckdb_path as its read-only copy (read_copy_path).

    Needs the warehouse closed by every writer (call it after the build). The
    copy gets published.build_info (one row: build_id, published_at UTC, the
    warehouse file) and published.mart_rows (mart, row_count) for every
    relation in the marts schema. Returns where it was published, the build id
    and the rows per mart. Raises FileNotFoundError for a missing warehouse.
    """
    import duckdb

    source = Path(duckdb_path)
    if not source.is_file():
        raise FileNotFoundError(f"no warehouse file {source}: build it first")
    target = read_copy_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    build_id = build_id or uuid.uuid4().hex
    # Fold the write-ahead log into the file, so the file alone is the whole build.
    with duckdb.connect(str(source)) as con:
        con.execute("checkpoint")
    temporary = target.parent / f".{target.stem}.{build_id}.publishing{target.suffix}"
    try:
        shutil.copyfile(source, temporary)
        with duckdb.connect(str(temporary)) as con:
            marts = _mart_names(con)
            counts = {name: con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for name in marts}
            con.execute(f"create schema if not exists {INFO_SCHEMA}")
            con.execute(f"create or replace table {INFO_SCHEMA}.build_info "
                        "(build_id varchar, published_at timestamp, warehouse_file varchar)")
            con.execute(f"insert into {INFO_SCHEMA}.build_info values (?, ?, ?)",
                        [build_id, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), str(source.resolve())])
            con.execute(f"create or replace table {INFO_SCHEMA}.mart_rows (mart varchar, row_count bigint)")
            if counts:
                con.executemany(f"insert into {INFO_SCHEMA}.mart_rows values (?, ?)", list(counts.items()))
            con.execute("checkpoint")
        os.replace(temporary, target)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return Published(path=target, build_id=build_id, mart_rows=counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecomseg.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=Path, required=True, help="the warehouse file to publish (built, not open)")
    args = parser.parse_args(argv)
    try:
        published = publish(args.duckdb)
    except (FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Published {args.duckdb} as {published.path} (build {published.build_id}, "
          f"{len(published.mart_rows)} marts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
