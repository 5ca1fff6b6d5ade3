"""Personal data: the right to be forgotten, and the checks that keep
personal data out of the marts and non-consenting customers out of
activation outputs (docs/privacy.md).

Right to be forgotten (``forget_customer``), for one customer id:

1. Find everything that identifies them in the raw files: the customer id,
   the ids of their orders, the visitors (browsers, devices) seen with their
   customer id, and the sessions of those visitors before the login (plus the
   sessions the warehouse stitched to them).
2. Record salted SHA-256 hashes of those identifiers in the erasure list
   (``<erasure dir>/erasure_list.csv``). The loader (macros/loading/
   load_raw_tables.sql) drops matching raw rows on every build, so a raw file
   delivered again with the customer in it does not bring them back.
3. Rewrite the raw files without their rows (var ``erasure_identifiers``
   says which columns identify a person in which table). CSV files are read
   in the folder's dialect (``_dialect.yml``, ecomseg.dialect) and only cut:
   a removed record's bytes go, every other byte stays; a record the loader
   splits (a quote left open) is judged line by line, as the loader reads it
   (_scan_csv). Files are replaced atomically (temporary file, rename).
   A table given as a folder (``orders/``, Hive partitions too) has every
   CSV and Parquet file in it rewritten (raw_files: the loader's layout).
   Each rewritten file's entry in the warehouse's file manifest
   (``raw._file_manifest``: size, time, content hash, rows) is updated, so
   the next incremental build does not take the erasure for a changed file.
4. Delete their rows from every table of the warehouse - models, snapshots,
   incremental tables, copies of CSV loads, the quarantine (including its
   ``raw_record`` JSON) - and from every file under the exports folder.
5. Rebuild the warehouse with dbt, so aggregates no longer count them; after
   a rebuild of every model (the default) the CLV models are fitted again and
   their predictions rebuilt, as `ecomseg build` does (ecomseg.clv), so the
   CLV marts are not left empty.
6. Append to the erasure log (``erasure_log.jsonl``) one line for this
   erasure: a salted hash of the id, the time, the rows of this subject
   removed per table and file; rows of earlier erasures' subjects found
   again in the raw files (old files delivered again) are removed too and
   counted apart, per earlier erasure id. No personal data.

An id found in no raw file and no warehouse table raises SubjectNotFound
before anything is written (unless force=True). The id never reaches dbt's
command line (ecomseg.dbt_runner.run_dbt), so neither logs/dbt.log nor
target/run_results.json holds it.

The salt is ERASURE_SALT, else PSEUDONYMISATION_SALT, else the public
development salt; the list records a fingerprint of it and the loader refuses
a list written with another salt.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from ecomseg import REPO_ROOT, contract
from ecomseg import dialect as raw_dialect
from ecomseg.manifest import model_nodes, node_meta, quoted_relation, relation_name

DEV_SALT = "ecomseg-dev-only-salt"
LIST_FILE = "erasure_list.csv"
LOG_FILE = "erasure_log.jsonl"
LIST_COLUMNS = ["kind", "value_hash", "erasure_id", "salt_fingerprint"]
KINDS = ("customer_id", "order_id", "visitor_id", "session_id")
EXPORT_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


class ErasureError(RuntimeError):
    """The erasure could not be done safely; the message says why."""


class SubjectNotFound(ErasureError):
    """The customer id is in no raw file and no warehouse table (a typo?);
    nothing was changed. forget_customer(..., force=True) records it anyway."""


# --------------------------------------------------------------------------
# Salt and hashes (must match macros/loading/load_raw_tables.sql)
# --------------------------------------------------------------------------

def erasure_salt() -> str:
    salt = os.environ.get("ERASURE_SALT") or os.environ.get("PSEUDONYMISATION_SALT") or DEV_SALT
    if "'" in salt or "\\" in salt:
        raise ErasureError("ERASURE_SALT / PSEUDONYMISATION_SALT must contain no quote or backslash")
    return salt


def salt_fingerprint(salt: str) -> str:
    return hashlib.md5(f"ecomseg-erasure-salt|{salt}".encode("utf-8")).hexdigest()[:16]


def value_hash(salt: str, kind: str, value: str) -> str:
    return hashlib.sha256(f"{salt}|{kind}|{value}".encode("utf-8")).hexdigest()


def subject_hash(salt: str, customer_id: str) -> str:
    """The erasure log's reference to a person: a salted hash, distinct from the list's."""
    return hashlib.sha256(f"{salt}|erased-subject|{customer_id}".encode("utf-8")).hexdigest()


def clean(value) -> str | None:
    """A raw value as the warehouse reads it: ecomseg.contract.normalise_text, the
    contract's one text normalisation (Unicode white space and invisible characters
    trimmed, null tokens and empty text are None), as the SQL macro clean_text and
    the loader's erasure hash (erasure_hash_sql) apply it."""
    if value is not None and not isinstance(value, (str, float)) and pd.isna(value):
        return None
    return contract.normalise_text(value)


# --------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------



def identifier_rules() -> dict[str, dict[str, str]]:
    """{table: {column: 'always' | 'anonymous'}} from var erasure_identifiers."""
    return {t: dict(rules or {}) for t, rules in (contract.project_vars().get("erasure_identifiers") or {}).items()}


def erasure_dir(raw_dir: Path | str, configured: Path | str | None = None) -> Path:
    """ERASURE_DIR (or the given folder), else <raw_dir>/_erasure, as the loader."""
    chosen = configured or os.environ.get("ERASURE_DIR")
    return Path(chosen) if chosen else Path(raw_dir) / "_erasure"


def exports_dir(configured: Path | str | None = None) -> Path:
    return Path(configured or os.environ.get("EXPORTS_DIR") or REPO_ROOT / "data" / "exports")


def raw_table_dialect(raw_dir: Path | str, table: str) -> dict:
    """The CSV dialect the loader reads a raw table with: the folder's
    _dialect.yml (ecomseg.dialect), the table's overrides, the defaults.
    Raises ErasureError for a dialect file the loader would refuse."""
    try:
        return raw_dialect.table_dialect(raw_dialect.read_dialect(raw_dir), table)
    except raw_dialect.DialectError as exc:
        raise ErasureError(f"{exc}; nothing was changed") from exc


def raw_files(raw_dir: Path | str, table: str) -> list[Path]:
    """The raw files of a table as the loader finds them (macros/loading/
    load_raw_tables.sql, docs/raw-data-contract.md "Layout"): <table>.parquet
    or <table>.csv, or every .csv / .parquet file in the folder <table>/ and
    its sub-folders (Hive partitions), names matched case-insensitively,
    files and folders whose name starts with _ or . left out; in path order.
    Empty when the table has no file."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    found: list[Path] = []
    for entry in sorted(raw_dir.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_file() and entry.name.lower() in (f"{table}.parquet", f"{table}.csv"):
            found.append(entry)
        elif entry.is_dir() and entry.name.lower() == table:
            for path in sorted(entry.rglob("*")):
                parts = path.relative_to(entry).parts
                if (path.is_file() and not any(p.startswith(("_", ".")) for p in parts)
                        and path.suffix.lower() in (".csv", ".parquet")):
                    found.append(path)
    return found


def raw_file(raw_dir: Path, table: str) -> Path | None:
    """The first raw file of a table (raw_files), or None."""
    files = raw_files(raw_dir, table)
    return files[0] if files else None


# --------------------------------------------------------------------------
# The erasure list
# --------------------------------------------------------------------------

@dataclass
class ErasureList:
    path: Path
    salt: str
    hashes: dict[str, set[str]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # value_hash -> erasure_id that recorded it

    @classmethod
    def load(cls, folder: Path) -> "ErasureList":
        salt = erasure_salt()
        path = Path(folder) / LIST_FILE
        hashes: dict[str, set[str]] = {}
        owners: dict[str, str] = {}
        if path.exists():
            with open(path, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    if row["salt_fingerprint"] != salt_fingerprint(salt):
                        raise ErasureError(
                            f"The erasure list {path} was written with a different salt than the one set now "
                            "(ERASURE_SALT, else PSEUDONYMISATION_SALT): set the salt it was written with.")
                    hashes.setdefault(row["kind"], set()).add(row["value_hash"])
                    owners.setdefault(row["value_hash"], row["erasure_id"])
        return cls(path, salt, hashes, owners)

    def add(self, identifiers: dict[str, set[str]], erasure_id: str) -> int:
        """Append the identifiers' hashes (new ones only); returns rows written."""
        rows = []
        for kind, values in identifiers.items():
            for value in sorted(values):
                h = value_hash(self.salt, kind, value)
                if h not in self.hashes.setdefault(kind, set()):
                    self.hashes[kind].add(h)
                    self.owners.setdefault(h, erasure_id)
                    rows.append([kind, h, erasure_id, salt_fingerprint(self.salt)])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not self.path.exists()
        with open(self.path, "a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            if new_file:
                writer.writerow(LIST_COLUMNS)
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        return len(rows)

    def only(self, identifiers: dict[str, set[str]]) -> "ErasureList":
        """The same list restricted to these identifiers (in memory; nothing is written)."""
        hashes = {kind: {value_hash(self.salt, kind, v) for v in values} for kind, values in identifiers.items()}
        return ErasureList(self.path, self.salt, hashes, {h: self.owners.get(h, "") for hs in hashes.values() for h in hs})


def erased_mask(table: str, frame: pd.DataFrame, erasure: ErasureList) -> pd.Series:
    """True for the rows of a raw table (text columns named as the contract)
    that the erasure list removes: the same rule as the loader's."""
    rules = identifier_rules().get(table, {})
    mask = pd.Series(False, index=frame.index)
    if not erasure.hashes:
        return mask
    anonymous = pd.Series(True, index=frame.index)
    if "customer_id" in frame.columns:
        anonymous = frame["customer_id"].map(clean).isna()
    for column, scope in rules.items():
        if column not in frame.columns or not erasure.hashes.get(column):
            continue
        wanted = erasure.hashes[column]
        hit = frame[column].map(lambda v: (c := clean(v)) is not None and value_hash(erasure.salt, column, c) in wanted)
        hit = hit.astype(bool)
        if scope == "anonymous" and "customer_id" in frame.columns:
            hit &= anonymous
        mask |= hit
    return mask


# --------------------------------------------------------------------------
# Reading and rewriting raw (and exported) files
# --------------------------------------------------------------------------

def _read_text_frame(path: Path, columns: Iterable[str] | None = None, dialect: dict | None = None) -> pd.DataFrame:
    """A raw or exported file as text columns named lower-case (for matching
    only); with columns, only those (lower-case names) that the file has.
    dialect: the file's CSV dialect (ecomseg.dialect.table_dialect; default:
    comma, double quote, UTF-8); a CSV value equal to one of its null_tokens is
    None, as the loader reads it. One row per unit of _scan_csv (a record, or a
    physical line of a record the loader splits), in file order."""
    wanted = None if columns is None else {c.lower() for c in columns}
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        data = {}
        for name, col in zip(table.column_names, table.columns):
            key = name.strip().lower()
            if key in data or (wanted is not None and key not in wanted):
                continue
            data[key] = [None if v is None else str(v) for v in col.to_pylist()]
        return pd.DataFrame(data, index=pd.RangeIndex(table.num_rows), dtype=object)
    header, records = _read_csv_records(path, dialect)
    nulls = set((dialect or {}).get("null_tokens") or [])
    names = [h.strip().strip('"').strip().lower() for h in header]
    positions = {}
    for i, name in enumerate(names):
        if name not in positions and (wanted is None or name in wanted):
            positions[name] = i
    return pd.DataFrame({name: [r[i] if i < len(r) and r[i] not in nulls else None for r in records]
                         for name, i in positions.items()},
                        index=pd.RangeIndex(len(records)), dtype=object)


@dataclass
class _CsvScan:
    """A CSV file cut into units that the erasure keeps or removes whole.

    lines: the file's physical lines, as bytes, each with its own line ending
    (b"\\n" or b"\\r\\n"; the last may have none). header_end: lines [0,
    header_end) are the header record. spans: per unit, the range [start, end)
    of lines it covers; fields: per unit, its values (csv module, the file's
    delimiter and quote)."""
    lines: list[bytes]
    header: list[str]
    header_end: int
    spans: list[tuple[int, int]]
    fields: list[list[str]]


def _line_body(text: str) -> str:
    if text.endswith("\n"):
        text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
    return text


def _record_end(bodies: list[str], start: int, delimiter: str, quote: str) -> tuple[int, bool]:
    """The record that starts at line `start`, read as RFC 4180: (the line after
    its last, whether it is well formed). Not well formed: a quote left open to
    the end of the file, or a closing quote followed by something other than the
    delimiter or the end of the line (an open quote that a later field's quote
    closed, as in a stray quote)."""
    line, in_quotes, at_start, well_formed = start, False, True, True
    if quote not in bodies[start]:
        return start + 1, True  # the common case, without a character loop
    while True:
        body, k = bodies[line], 0
        while k < len(body):
            c = body[k]
            if in_quotes:
                if c == quote:
                    if k + 1 < len(body) and body[k + 1] == quote:
                        k += 2
                        continue
                    in_quotes = False
                    if k + 1 < len(body) and body[k + 1] != delimiter:
                        well_formed = False
            elif c == delimiter:
                at_start = True
                k += 1
                continue
            elif c == quote and at_start:
                in_quotes = True
            at_start = False
            k += 1
        if in_quotes and line + 1 < len(bodies):
            line += 1
            continue
        return line + 1, well_formed and not in_quotes


def _scan_csv(path: Path, dialect: dict | None = None) -> _CsvScan:
    """The units of a CSV file, as the loader reads its records (docs/raw-data-contract.md):
    a well-formed record is one unit, even over several lines (a quoted line
    break); a record that is not well formed and spans several lines (an open
    quote swallowing the following lines) is split as the loader splits it
    (duckdb_recover_open_quotes): its first line is one unit, and reading goes
    on at the next line, as CSV again (so a well-formed quoted line break after
    a broken line is still one record). Raises ErasureError for
    an encoding that is not ASCII-compatible (UTF-16/32)."""
    d = _dialect_or_default(dialect)
    encoding, delimiter, quote = d["encoding"], d["delimiter"], d["quote"]
    try:
        compatible = all(ch.encode(encoding) == ch.encode("ascii") for ch in ("\n", "\r", delimiter, quote))
    except (LookupError, UnicodeError):
        compatible = False
    if not compatible:
        raise ErasureError(f"{path}: the erasure rewrites CSV files line by line and supports ASCII-compatible "
                           f"encodings only (UTF-8, CP1250, latin-1, ...), not '{encoding}'")
    lines = Path(path).read_bytes().splitlines(keepends=True)
    # bytes.splitlines also splits on a lone \r: rejoin into \n-terminated lines, as the loader reads them
    joined: list[bytes] = []
    for chunk in lines:
        if joined and not joined[-1].endswith(b"\n"):
            joined[-1] += chunk
        else:
            joined.append(chunk)
    lines = joined
    bodies = [_line_body(b.decode(encoding, errors="surrogateescape")) for b in lines]

    def parse(start: int, end: int) -> list[str]:
        lines_in = [bodies[start]] if end - start == 1 else io.StringIO("\n".join(bodies[start:end]), newline="")
        return next(csv.reader(lines_in, delimiter=delimiter, quotechar=quote), [])

    units: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        end, well_formed = _record_end(bodies, i, delimiter, quote)
        if well_formed or end - i == 1:
            units.append((i, end))
            i = end
            continue
        units.append((i, i + 1))  # the broken line alone; the lines after it are read again as CSV
        i += 1
    if not units:
        return _CsvScan(lines, [], 0, [], [])
    header = parse(*units[0])
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    spans = [u for u in units[1:] if any(bodies[j] for j in range(*u))]  # blank lines are no records
    return _CsvScan(lines, header, units[0][1], spans, [parse(*u) for u in spans])


def _dialect_or_default(dialect: dict | None) -> dict:
    """The dialect given, else the loader's defaults (ecomseg.dialect.DEFAULTS)."""
    return dialect if dialect is not None else raw_dialect.table_dialect(None, "")


def _read_csv_records(path: Path, dialect: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and records (units of _scan_csv) of a CSV in its dialect; bytes the
    encoding cannot decode are kept (surrogateescape)."""
    scan = _scan_csv(path, dialect)
    return scan.header, scan.fields


def _rewrite_csv(path: Path, keep: list[bool], dialect: dict | None = None) -> None:
    """The file without the units (of _scan_csv) whose keep is False; every other
    byte (line endings, quoting, encoding, blank lines) stays as it was. Written to
    a temporary file beside it, then renamed over it (atomic)."""
    scan = _scan_csv(path, dialect)
    if len(keep) != len(scan.spans):
        raise ErasureError(f"{path} changed while it was being erased; run the erasure again")
    dropped = {j for (start, end), k in zip(scan.spans, keep) if not k for j in range(start, end)}
    data = b"".join(line for j, line in enumerate(scan.lines) if j not in dropped)
    tmp = path.with_name(path.name + ".erasing")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    shutil.copymode(path, tmp)
    os.replace(tmp, path)


def _rewrite_parquet(path: Path, keep: list[bool]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    compression = meta.row_group(0).column(0).compression.lower() if meta.num_row_groups and meta.num_columns else "zstd"
    table = pq.read_table(path)
    filtered = table.filter(pa.array(keep, type=pa.bool_()))
    tmp = path.with_name(path.name + ".erasing")
    pq.write_table(filtered, tmp, compression=compression if compression != "uncompressed" else "none")
    os.replace(tmp, path)


def _rewrite(path: Path, keep: list[bool], dialect: dict | None = None) -> None:
    """The file without the rows (units of _read_text_frame) whose keep is False."""
    if path.suffix == ".parquet":
        _rewrite_parquet(path, keep)
    else:
        _rewrite_csv(path, keep, dialect)


# --------------------------------------------------------------------------
# Who the subject is
# --------------------------------------------------------------------------

@dataclass
class Subject:
    customer_id: str
    order_ids: set[str] = field(default_factory=set)
    visitor_ids: set[str] = field(default_factory=set)
    session_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)  # in memory only: for the scan, never written

    def identifiers(self) -> dict[str, set[str]]:
        return {"customer_id": {self.customer_id}, "order_id": self.order_ids,
                "visitor_id": self.visitor_ids, "session_id": self.session_ids}


def find_subject(customer_id: str, raw_dir: Path, duckdb_path: Path | None = None) -> Subject:
    """Every identifier of the customer in the raw files (and sessions the
    warehouse stitched to them)."""
    cid = clean(customer_id)
    if cid is None:
        raise ErasureError("the customer id is empty")
    subject = Subject(cid)
    needed = ("customer_id", "order_id", "visitor_id", "session_id", "email")
    frames = {}
    for t in contract.tables():
        parts = [_read_text_frame(p, needed, raw_table_dialect(raw_dir, t)) for p in raw_files(raw_dir, t)]
        if parts:
            frames[t] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def col(frame, name):
        return frame[name].map(clean) if name in frame.columns else pd.Series([None] * len(frame), index=frame.index, dtype=object)

    if "customers" in frames:
        f = frames["customers"]
        subject.emails |= {e.lower() for e in col(f, "email")[col(f, "customer_id") == cid].dropna()}
    if "orders" in frames:
        f = frames["orders"]
        own = col(f, "customer_id") == cid
        subject.order_ids |= set(col(f, "order_id")[own].dropna())
        subject.session_ids |= set(col(f, "session_id")[own].dropna())
    for table in ("sessions", "events"):
        if table in frames:
            f = frames[table]
            subject.visitor_ids |= set(col(f, "visitor_id")[col(f, "customer_id") == cid].dropna())
    for table in ("sessions", "events"):
        if table in frames:
            f = frames[table]
            customer = col(f, "customer_id")
            own = (customer == cid) | (customer.isna() & col(f, "visitor_id").isin(subject.visitor_ids))
            subject.session_ids |= set(col(f, "session_id")[own].dropna())
    if duckdb_path is not None and Path(duckdb_path).exists():
        subject.session_ids |= _stitched_sessions(Path(duckdb_path), cid)
    return subject


def _stitched_sessions(duckdb_path: Path, cid: str) -> set[str]:
    """Sessions any warehouse table assigns to the customer (identity stitching)."""
    found: set[str] = set()
    try:
        con = duckdb.connect(str(duckdb_path), read_only=True)
    except duckdb.Error:
        return found
    try:
        for schema, table in _tables_with_columns(con, {"session_id", "customer_id"}):
            rows = con.execute(f'select distinct {_norm("session_id")} from "{schema}"."{table}" '
                               f"where {_norm('customer_id')} = ? and session_id is not null", [cid]).fetchall()
            found |= {r[0] for r in rows if r[0]}
    finally:
        con.close()
    return found


def _tables_with_columns(con, needed: set[str], kinds=("BASE TABLE",)) -> list[tuple[str, str]]:
    rows = con.execute(
        "select t.table_schema, t.table_name, list(c.column_name) from information_schema.tables t "
        "join information_schema.columns c on c.table_schema = t.table_schema and c.table_name = t.table_name "
        f"where t.table_type in ({', '.join(repr(k) for k in kinds)}) group by 1, 2 order by 1, 2").fetchall()
    return [(s, t) for s, t, cols in rows if needed <= set(cols)]


# --------------------------------------------------------------------------
# The warehouse and the exports
# --------------------------------------------------------------------------

def _kind_of(column: str) -> str | None:
    name = column.lower()
    for kind in KINDS + ("customer_key", "email"):
        if name == kind or name.endswith("_" + kind):
            return kind
    return None


def _pseudonymous_key(customer_id: str) -> str:
    """dim_customers.customer_key (macro pseudonymous_key): md5('<salt>|<id>')."""
    salt = os.environ.get("PSEUDONYMISATION_SALT", DEV_SALT)
    return hashlib.md5(f"{salt}|{customer_id}".encode("utf-8")).hexdigest()


def _word_pattern(values: Iterable[str]) -> str | None:
    values = sorted(v for v in values if v)
    if not values:
        return None
    return r"(^|[^A-Za-z0-9_])(" + "|".join(re.escape(v) for v in values) + r")([^A-Za-z0-9_]|$)"


def purge_warehouse(duckdb_path: Path, subject: Subject) -> dict[str, int]:
    """Delete the subject's rows from every table of the warehouse; rows deleted per table."""
    try:
        con = duckdb.connect(str(duckdb_path))
    except duckdb.Error as exc:
        raise ErasureError(f"cannot open the warehouse {duckdb_path} for writing (is a build running?): {exc}") from exc
    values = {**{k: sorted(v) for k, v in subject.identifiers().items()},
              "customer_key": [_pseudonymous_key(subject.customer_id)], "email": sorted(subject.emails)}
    words = _word_pattern([subject.customer_id, *subject.emails])
    removed: dict[str, int] = {}
    try:
        rows = con.execute(
            "select c.table_schema, c.table_name, list(c.column_name), list(c.data_type) "
            "from information_schema.columns c join information_schema.tables t "
            "on c.table_schema = t.table_schema and c.table_name = t.table_name "
            "where t.table_type = 'BASE TABLE' group by 1, 2 order by 1, 2").fetchall()
        con.execute("begin transaction")
        for schema, table, columns, types in rows:
            text_columns = [c for c, t in zip(columns, types) if t == "VARCHAR"]
            has_customer = "customer_id" in text_columns
            terms = []
            for column in text_columns:
                kind = _kind_of(column)
                if column == "raw_record":
                    anonymous = _norm("json_extract_string(raw_record, '$.customer_id')") + " is null"
                    for key, kind_values in values.items():
                        if kind_values and key in KINDS:
                            field_value = _norm(f"json_extract_string(raw_record, '$.{key}')")
                            term = f"{field_value} in ({_sql_list(kind_values)})"
                            if key in ("visitor_id", "session_id"):
                                term = f"({term} and {anonymous})"
                            terms.append(term)
                    if words:
                        terms.append(f"regexp_matches(raw_record, {_sql_literal(words)})")
                    continue
                if column == "person_id":
                    # macro person_id: the customer id, else 'visitor:' and the visitor id (actions, outcomes)
                    person_ids = [subject.customer_id] + [f"visitor:{v}" for v in values.get("visitor_id", [])]
                    terms.append(f"{_norm(_quote(column))} in ({_sql_list(person_ids)})")
                    continue
                if kind is None or not values.get(kind):
                    continue
                expr = _norm(_quote(column)) if kind != "email" else f"lower({_norm(_quote(column))})"
                term = f"{expr} in ({_sql_list(values[kind])})"
                if kind == "visitor_id" and has_customer:
                    term = f"({term} and ({_norm('customer_id')} is null or {_norm('customer_id')} = {_sql_literal(subject.customer_id)}))"
                terms.append(term)
            if not terms:
                continue
            relation = f"{_quote(schema)}.{_quote(table)}"
            n = con.execute(f"delete from {relation} where {' or '.join(terms)}").fetchone()[0]
            if n:
                removed[f"{schema}.{table}"] = int(n)
        con.execute("commit")
        con.execute("checkpoint")
    except Exception:
        con.execute("rollback") if con else None
        raise
    finally:
        con.close()
    return removed


def _norm(expression: str) -> str:
    """DuckDB SQL: the value of `expression` read through the contract's text normalisation."""
    return contract.normalise_text_sql(expression)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(_sql_literal(v) for v in values)


def _row_refers(row: dict, subject: Subject, key: str) -> bool:
    values = {**subject.identifiers(), "email": subject.emails, "customer_key": {key}}
    customer = clean(row.get("customer_id")) if "customer_id" in row else None
    for column, value in row.items():
        kind = _kind_of(str(column))
        v = clean(value)
        if kind is None or v is None:
            continue
        if kind == "email":
            v = v.lower()
        if v in values.get(kind, set()):
            if kind == "visitor_id" and customer not in (None, subject.customer_id):
                continue
            return True
    return False


def purge_exports(folder: Path, subject: Subject) -> tuple[dict[str, int], list[str]]:
    """Remove the subject's rows from every export file; (rows removed per file, files not checked)."""
    removed: dict[str, int] = {}
    unchecked: list[str] = []
    if not folder.exists():
        return removed, unchecked
    key = _pseudonymous_key(subject.customer_id)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        suffix = path.suffix.lower()
        if suffix not in EXPORT_SUFFIXES:
            unchecked.append(name)
            continue
        if suffix in (".csv", ".parquet"):
            frame = _read_text_frame(path)
            keep = [not _row_refers(r, subject, key) for r in frame.to_dict("records")]
            if not all(keep):
                _rewrite(path, keep)
        else:
            text = path.read_text(encoding="utf-8")
            if suffix == ".json":
                data = json.loads(text)
                if not isinstance(data, list):
                    unchecked.append(name)
                    continue
                keep = [not (isinstance(r, dict) and _row_refers(r, subject, key)) for r in data]
                if not all(keep):
                    _atomic_write(path, json.dumps([r for r, k in zip(data, keep) if k], ensure_ascii=False))
            else:
                lines = [ln for ln in text.splitlines() if ln.strip()]
                records = [json.loads(ln) for ln in lines]
                keep = [not (isinstance(r, dict) and _row_refers(r, subject, key)) for r in records]
                if not all(keep):
                    _atomic_write(path, "".join(ln + "\n" for ln, k in zip(lines, keep) if k))
        if not all(keep):
            removed[name] = keep.count(False)
    return removed, unchecked


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".erasing")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# Forget
# --------------------------------------------------------------------------

def subject_found(subject: Subject, raw_dir: Path | str, duckdb_path: Path | str | None = None) -> list[str]:
    """Where the subject's customer id occurs: "raw files" (one of their orders,
    visitors or sessions was found), "raw.<table>" (a customer_id equal to it)
    and "<schema>.<table>" of the warehouse (a customer_id column equal to it,
    trimmed). Empty: an unknown id."""
    places = []
    if subject.order_ids or subject.visitor_ids or subject.session_ids or subject.emails:
        places.append("raw files")
    for table in contract.tables():
        for path in raw_files(Path(raw_dir), table):
            frame = _read_text_frame(path, ["customer_id"], raw_table_dialect(raw_dir, table))
            if "customer_id" in frame.columns and (frame["customer_id"].map(clean) == subject.customer_id).any():
                places.append(f"raw.{table}")
                break
    if duckdb_path is not None and Path(duckdb_path).exists():
        try:
            con = duckdb.connect(str(duckdb_path), read_only=True)
        except duckdb.Error:
            return places
        try:
            for schema, table in _tables_with_columns(con, {"customer_id"}):
                n = con.execute(f"select count(*) from {_quote(schema)}.{_quote(table)} "
                                "where trim(cast(customer_id as varchar)) = ?", [subject.customer_id]).fetchone()[0]
                if n:
                    places.append(f"{schema}.{table}")
        finally:
            con.close()
    return places


def update_file_manifest(duckdb_path: Path | str, raw_dir: Path | str,
                         rewritten: dict[Path, tuple[str, int]]) -> int:
    """After raw files were rewritten: their entries in the warehouse's file
    manifest (<raw schema>._file_manifest, macros/loading/file_manifest.sql)
    get the file's new size, modification time and content hash (read by
    DuckDB, as the loader reads them, in UTC) and row_count less the rows of
    this erasure (rows of earlier erasures were never counted: the loader
    leaves them out), so the next build does not take an erasure for a
    changed file. rewritten: file -> (table, rows of this erasure removed).
    Returns the number of entries updated; a warehouse without a manifest
    (or files not in it) is left alone."""
    if not rewritten:
        return 0
    raw_schema = contract.project_vars().get("raw_schema", "raw")
    con = duckdb.connect(str(duckdb_path))
    try:
        con.execute("set TimeZone = 'UTC'")
        exists = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                             "and table_name = '_file_manifest'", [raw_schema]).fetchone()[0]
        if not exists:
            return 0
        updated = 0
        for path, (table, removed) in rewritten.items():
            relative = path.resolve().relative_to(Path(raw_dir).resolve()).as_posix()
            size, modified, content_hash = con.execute(
                "select size, cast(last_modified as timestamp), md5(content) from read_blob(?)", [str(path)]).fetchone()
            for relation in ("_file_manifest", "_file_manifest_pending"):
                updated += con.execute(
                    f"update {_quote(raw_schema)}.{_quote(relation)} set size_bytes = ?, modified_at = ?, "
                    "content_hash = ?, row_count = case when row_count is null then null else greatest(row_count - ?, 0) end "
                    "where table_name = ? and file_path = ? returning 1",
                    [size, modified, content_hash, removed, table, relative]).fetchall().__len__()
        return updated
    finally:
        con.close()


def _earlier_erasures(table: str, frame: pd.DataFrame, erasure: ErasureList) -> dict[str, int]:
    """{erasure_id: rows} for the rows of a raw table (frame) that earlier
    erasures remove (their subjects' rows delivered again). A row several
    erasures remove is counted under each."""
    rules = identifier_rules().get(table, {})
    candidates = set()
    for column in rules:
        if column in frame.columns:
            for v in frame[column].map(clean).dropna().unique():
                owner = erasure.owners.get(value_hash(erasure.salt, column, v))
                if owner:
                    candidates.add(owner)
    counts = {}
    for erasure_id in sorted(candidates):
        hashes = {kind: {h for h in hs if erasure.owners.get(h) == erasure_id} for kind, hs in erasure.hashes.items()}
        n = int(erased_mask(table, frame, ErasureList(erasure.path, erasure.salt, hashes)).sum())
        if n:
            counts[erasure_id] = n
    return counts


@dataclass
class ErasureResult:
    erasure_id: str
    subject_hash: str
    identifiers_recorded: dict[str, int]
    raw_rows_removed: dict[str, int]
    warehouse_rows_removed: dict[str, int]
    export_rows_removed: dict[str, int]
    unchecked_exports: list[str]
    rebuilt: bool
    rebuild_error: str | None
    log_path: Path
    list_path: Path
    earlier_erasures_raw_rows_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    forced: bool = False

    def summary(self) -> str:
        def fmt(d):
            return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"
        lines = [
            f"Erasure {self.erasure_id} (subject {self.subject_hash[:16]}...)",
            f"  identifiers recorded in {self.list_path}: {fmt(self.identifiers_recorded)}",
            f"  raw rows removed: {fmt(self.raw_rows_removed)}",
            f"  warehouse rows removed: {fmt(self.warehouse_rows_removed)}",
            f"  export rows removed: {fmt(self.export_rows_removed)}",
        ]
        if self.earlier_erasures_raw_rows_removed:
            lines.append("  raw rows of earlier erasures (files delivered again) also removed, not counted above: "
                         + "; ".join(f"{t}: {fmt(d)}" for t, d in self.earlier_erasures_raw_rows_removed.items()))
        if self.forced:
            lines.append("  forced: the id was found nowhere; it is recorded so that future deliveries are kept out")
        if self.unchecked_exports:
            lines.append(f"  WARNING: export files not checked (unknown format, remove by hand): {', '.join(self.unchecked_exports)}")
        lines.append("  warehouse rebuilt" if self.rebuilt else
                     f"  warehouse NOT rebuilt{': ' + self.rebuild_error if self.rebuild_error else ''}")
        lines.append(f"  logged in {self.log_path}")
        return "\n".join(lines)


def forget_customer(customer_id: str, raw_dir: Path | str, duckdb_path: Path | str | None = None,
                    exports: Path | str | None = None, erasure_folder: Path | str | None = None,
                    rebuild: bool = True, target_path: Path | str | None = None,
                    rebuild_args: list[str] | None = None, force: bool = False) -> ErasureResult:
    """Erase one customer everywhere (see the module docstring); returns what was removed.

    rebuild_args: the dbt command of the rebuild (default ["build"]); the
    customer id is never part of it (dbt logs its command line). When it
    builds every model (ecomseg.clv.builds_everything), the CLV models are
    then fitted on the data without the customer and rebuilt
    (ecomseg.clv.fit_and_rebuild, into <target_path>/clv_fit), as
    `ecomseg build` does; a failure there is a failed rebuild.
    force: erase even an id found nowhere (no raw file, no warehouse table):
    its hash is recorded so that a later delivery is kept out.
    Raises SubjectNotFound (nothing changed) for an id found nowhere unless
    forced, ErasureError when the erasure cannot be done safely.

    The log line written (one per erasure, erasure_log.jsonl) counts only the
    rows of this erasure's subject; rows of earlier erasures found again in
    the raw files (old files delivered again) are removed too and logged
    apart, per earlier erasure id, under earlier_erasures_raw_rows_removed.
    """
    raw_dir = Path(raw_dir)
    if raw_file(raw_dir, "orders") is None:
        raise ErasureError(f"no raw orders file in {raw_dir}: is --raw-dir right?")
    folder = erasure_dir(raw_dir, erasure_folder)
    erasure = ErasureList.load(folder)  # checks the salt before anything changes
    duckdb_path = Path(duckdb_path) if duckdb_path else None
    subject = find_subject(customer_id, raw_dir, duckdb_path)
    found = subject_found(subject, raw_dir, duckdb_path)
    if not found and not force:
        already = value_hash(erasure.salt, "customer_id", subject.customer_id) in erasure.hashes.get("customer_id", set())
        raise SubjectNotFound(
            "customer id not found in the raw files of " + str(raw_dir)
            + (f" nor in the warehouse {duckdb_path}" if duckdb_path is not None and duckdb_path.exists() else "")
            + (": it was erased before (it is in the erasure list)" if already else
               ": check the id (case, spaces) or --raw-dir; nothing was changed")
            + ". To record it anyway, so that a future delivery is kept out, use --force.")
    erasure_id = uuid.uuid4().hex
    before = {kind: len(erasure.hashes.get(kind, set())) for kind in KINDS}
    erasure.add(subject.identifiers(), erasure_id)
    recorded = {kind: len(erasure.hashes.get(kind, set())) - before[kind] for kind in KINDS}
    own = erasure.only(subject.identifiers())

    raw_removed: dict[str, int] = {}
    earlier_removed: dict[str, dict[str, int]] = {}
    rewritten: dict[Path, tuple[str, int]] = {}  # file -> (table, rows of this erasure removed)
    for table in contract.tables():
        needed = set(identifier_rules().get(table, {})) | {"customer_id"}
        file_dialect = raw_table_dialect(raw_dir, table)
        for path in raw_files(raw_dir, table):
            frame = _read_text_frame(path, needed, file_dialect)
            mask = erased_mask(table, frame, erasure)
            if not mask.any():
                continue
            mine = erased_mask(table, frame, own)
            _rewrite(path, (~mask).tolist(), file_dialect)
            rewritten[path] = (table, int(mine.sum()))
            if mine.any():
                raw_removed[table] = raw_removed.get(table, 0) + int(mine.sum())
            others = mask & ~mine
            if others.any():
                for erasure_key, n in _earlier_erasures(table, frame[others], erasure).items():
                    by_id = earlier_removed.setdefault(table, {})
                    by_id[erasure_key] = by_id.get(erasure_key, 0) + n
    if duckdb_path is not None and duckdb_path.exists():
        update_file_manifest(duckdb_path, raw_dir, rewritten)

    warehouse_removed: dict[str, int] = {}
    if duckdb_path is not None and duckdb_path.exists():
        warehouse_removed = purge_warehouse(duckdb_path, subject)
    export_removed, unchecked = purge_exports(exports_dir(exports), subject)

    rebuilt, rebuild_error = False, None
    if rebuild and duckdb_path is not None:
        from ecomseg import clv
        from ecomseg.dbt_runner import run_dbt

        result = run_dbt(list(rebuild_args or ["build"]), raw_dir=raw_dir, duckdb_path=duckdb_path, target_path=target_path,
                         env={"ERASURE_DIR": str(folder.resolve())}, check=False)
        rebuilt = result.success
        if not rebuilt:
            rebuild_error = "; ".join(result.failures[:5]) or "dbt build failed"
        elif clv.builds_everything(rebuild_args or ["build"]):
            from ecomseg.dbt_runner import DbtCommandFailed

            # the CLV marts were emptied by the rebuild (no parameters): fit on the data without them
            clv_target = Path(target_path or os.environ.get("DBT_TARGET_PATH", REPO_ROOT / "target")) / "clv_fit"
            try:
                clv.fit_and_rebuild(duckdb_path, raw_dir, target_path=clv_target,
                                    env={"ERASURE_DIR": str(folder.resolve())})
            except DbtCommandFailed as exc:
                rebuilt, rebuild_error = False, f"the CLV refit's dbt build failed: {exc}"
    if duckdb_path is not None and duckdb_path.exists():
        from ecomseg.publish import read_copy_path, publish

        if read_copy_path(duckdb_path).exists():
            # the BI copy (ecomseg.publish) must not keep the erased person either
            publish(duckdb_path)

    salt = erasure.salt
    entry = {
        "erasure_id": erasure_id,
        "subject": subject_hash(salt, subject.customer_id),
        "erased_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "found": bool(found),
        "identifiers_recorded": recorded,
        "raw_rows_removed": raw_removed,
        "earlier_erasures_raw_rows_removed": earlier_removed,
        "warehouse_rows_removed": warehouse_removed,
        "export_rows_removed": export_removed,
        "unchecked_exports": unchecked,
        "rebuilt": rebuilt,
    }
    log_path = folder / LOG_FILE
    with open(log_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
    return ErasureResult(erasure_id, entry["subject"], recorded, raw_removed, warehouse_removed, export_removed,
                         unchecked, rebuilt, rebuild_error, log_path, erasure.path, earlier_removed, not found)


def find_references(duckdb_path: Path, needles: Iterable[str]) -> list[tuple[str, str, int]]:
    """Every (relation, column, rows) of any table or view whose text contains
    one of the needles (an id, an e-mail, ...). Empty when nothing refers to them."""
    needles = [n for n in needles if n]
    found = []
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog') order by 1, 2, 3").fetchall()
        for schema, table, column in rows:
            condition = " or ".join(f"contains({_quote(column)}, {_sql_literal(n)})" for n in needles)
            n = con.execute(f"select count(*) from {_quote(schema)}.{_quote(table)} where {condition}").fetchone()[0]
            if n:
                found.append((f"{schema}.{table}", column, int(n)))
    finally:
        con.close()
    return found


# --------------------------------------------------------------------------
# Privacy and consent checks (pytest and scripts/validate.py)
# --------------------------------------------------------------------------

PII_NAME = re.compile(
    r"(e_?mail|birth|(^|_)dob($|_)|phone|mobile|telephone|first_name|last_name|full_name|surname|street"
    r"|address|post_?code|zip_?code|(^|_)ip($|_)|iban|pesel|ssn|passport)")


@dataclass
class Finding:
    check_id: str
    violations: int
    explanation: str


def pii_contract_columns() -> set[str]:
    """Columns the raw data contract marks personal (meta.pii), e.g. email, birth_date (and city if a shop marks it)."""
    return {c.name for t in contract.tables().values() for c in t.columns if c.pii}


def pii_column_names(columns: Iterable[str]) -> list[str]:
    marked = pii_contract_columns()
    out = []
    for name in columns:
        low = name.lower()
        if PII_NAME.search(low) or low in marked or any(low.endswith("_" + m) for m in marked):
            out.append(name)
    return out


def activation_models(manifest: dict) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"
            and node_meta(n).get("activation") is True]


def consent_test_scope(manifest: dict, unique_id: str) -> str | None:
    """The rows of an activation model its only_consenting_customers test covers:
    the test's `where` config (e.g. "channel <> 'onsite'" in marketing_actions,
    whose on-site rows may be anonymous visitors or customers without consent),
    or None for every row (also when one of several consent tests has no filter)."""
    scopes = [(t.get("config") or {}).get("where") for t in manifest["nodes"].values()
              if t["resource_type"] == "test" and t.get("attached_node") == unique_id
              and (t.get("test_metadata") or {}).get("name") == "only_consenting_customers"]
    if not scopes or any(not s for s in scopes):
        return None
    return " and ".join(f"({s})" for s in sorted(set(scopes)))


def activation_models_without_consent_test(manifest: dict) -> list[str]:
    """unique_ids of activation models (meta.activation: true) with no only_consenting_customers test."""
    tested = {t.get("attached_node") for t in manifest["nodes"].values()
              if t["resource_type"] == "test" and (t.get("test_metadata") or {}).get("name") == "only_consenting_customers"}
    return sorted(n["unique_id"] for n in activation_models(manifest) if n["unique_id"] not in tested)


def privacy_findings(con, manifest: dict) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    warnings: list[str] = []
    dev_salted: list[str] = []
    has_customers = bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = 'staging' and table_name = 'stg_shop__customers'").fetchone()[0])
    for node in model_nodes(manifest, "marts"):
        label = relation_name(node)
        bad_names = pii_column_names(node.get("columns") or {})
        findings.append(Finding(f"pii_column_names:{label}", len(bad_names),
                                "no column named like personal data" + (f": {', '.join(bad_names)}" if bad_names else "")))
        schema, name = node["schema"], node.get("alias") or node["name"]
        cols = con.execute("select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
                           [schema, name]).fetchall()
        if not cols:
            continue
        relation = quoted_relation(node)
        text_cols = [c for c, t in cols if t == "VARCHAR"]
        if text_cols:
            any_email = " + ".join(f"count(case when regexp_matches({_quote(c)}, '{EMAIL_PATTERN}') then 1 end)" for c in text_cols)
            n = con.execute(f"select {any_email} from {relation}").fetchone()[0]
            if has_customers:
                known = " + ".join(
                    f"(select count(*) from {relation} m join (select distinct lower(trim(email)) as email from staging.stg_shop__customers "
                    f"where email is not null) e on contains(lower(m.{_quote(c)}), e.email))" for c in text_cols)
                n += con.execute(f"select {known}").fetchone()[0]
            findings.append(Finding(f"email_values:{label}", int(n), "no value holds an e-mail address (of a customer or any other)"))
        col_names = {c for c, _ in cols}
        dated = [c for c, t in cols if t in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")]
        if has_customers and "customer_id" in col_names and dated:
            same = " + ".join(f"count(case when cast(m.{_quote(c)} as date) = s.birth_date then 1 end)" for c in dated)
            n = con.execute(f"select {same} from {relation} m join staging.stg_shop__customers s on m.customer_id = s.customer_id "
                            "where s.birth_date is not null").fetchone()[0]
            findings.append(Finding(f"birth_dates:{label}", int(n), "no date equals the customer's exact birth date"))
        for c in text_cols:
            # person_key (activation marts): the customer's key for customer rows, a visitor's otherwise
            if c.endswith(("customer_key", "person_key")) and "customer_id" in col_names:
                unsalted = con.execute(f"select count(*) from {relation} where {_quote(c)} = md5(customer_id)").fetchone()[0]
                findings.append(Finding(f"unsalted_key:{label}.{c}", int(unsalted), "the pseudonymous key is salted"))
                dev = con.execute(f"select count(*) from {relation} where {_quote(c)} = md5('{DEV_SALT}|' || customer_id)").fetchone()[0]
                if dev:
                    dev_salted.append(f"{label}.{c}")
    if dev_salted:
        warnings.append("pseudonymous keys built with the public development salt (set PSEUDONYMISATION_SALT, "
                        "a secret, wherever the marts are used): " + ", ".join(dev_salted))
    for uid in activation_models_without_consent_test(manifest):
        findings.append(Finding(f"consent_test:{uid}", 1, "an activation model (meta.activation) carries the only_consenting_customers test"))
    for node in activation_models(manifest):
        schema, name = node["schema"], node.get("alias") or node["name"]
        has_col = con.execute("select count(*) from information_schema.columns where table_schema = ? and table_name = ? "
                              "and column_name = 'customer_id'", [schema, name]).fetchone()[0]
        if has_col and has_customers:
            scope = consent_test_scope(manifest, node["unique_id"])
            relation = quoted_relation(node) if scope is None else f"(select * from {quoted_relation(node)} where {scope})"
            n = con.execute(f"select count(*) from {relation} m left join staging.stg_shop__customers s "
                            "on m.customer_id = s.customer_id where not coalesce(s.has_marketing_consent, false)").fetchone()[0]
            findings.append(Finding(f"consent_rows:{relation_name(node)}", int(n),
                                    "every activated customer gave marketing consent"
                                    + (f" (the rows its consent test covers: {scope})" if scope else "")))
    return findings, warnings
