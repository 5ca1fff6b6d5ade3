"""The raw layer: the raw files read here, independently of dbt, checked
against the raw data contract, and their records reconciled with staging,
quarantine and the erasure list."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import duckdb
import pandas as pd

from ecomseg import contract, gdpr
from ecomseg.validation.common import (FrameValue, QuerySource, Suite, _dedupe, _exists, _quote, _scalar,
                                       _schema_frame, expectation, project_vars, range_arguments,
                                       schema_expectations)

# The shapes a raw value (after the text normalisation) must have to be read as its contract
# type: one definition, ecomseg.contract.VALUE_PATTERNS (the collector checks events with it too).
RAW_PATTERNS = contract.VALUE_PATTERNS
RAW_BOOLEANS = ["true", "false", "t", "f", "1", "0", "yes", "no", "y", "n"]

# Value sets, lengths and ranges come from the raw data contract's column meta
# (ecomseg.contract: accepted_values, length, range). Cross-table rules:
RAW_NEEDS_KNOWN_ORDER = ("order_items", "returns")


def csv_header(path: Path) -> list[str]:
    """The header names of a CSV file, as the loader reads them (Latin-1, BOM dropped)."""
    with open(path, "rb") as handle:
        first = handle.readline()
    text = first.decode("latin-1").lstrip("\u00ef\u00bb\u00bf").rstrip("\r\n")
    return [name.strip().strip('"').strip() for name in text.split(",")]


class RawFile:
    """The raw files of one table (one file, or every file of the table's
    folder: ecomseg.gdpr.raw_files) read independently of dbt: DuckDB in
    memory, every column as text, names lower-cased and matched across files
    by name. A CSV record DuckDB cannot read counts as a row whose values are
    all null, as the loader keeps it. names: the columns found in EVERY file
    (the loader requires each file to have the contract's required columns);
    paths: the files, in path order. Raises duckdb.Error for a file DuckDB
    cannot open at all."""

    def __init__(self, paths: Path | list[Path]):
        self.paths = [paths] if isinstance(paths, Path) else list(paths)
        self.path = self.paths[0]
        self.con = duckdb.connect()
        self.position: dict[str, str] = {}
        common: list[str] | None = None
        for path in self.paths:
            names = self._load(path)
            common = names if common is None else [n for n in common if n in names]
        self.names = common or []

    def _load(self, path: Path) -> list[str]:
        """Append the records of one file to the table rows; returns its lower-cased column names."""
        quoted = str(path).replace("'", "''")
        self.con.execute("drop table if exists file_rows")
        if path.suffix.lower() == ".parquet":
            cols = [r[0] for r in self.con.execute(f"describe select * from read_parquet('{quoted}', hive_partitioning = false)").fetchall()]
            select = ", ".join(f"cast({_quote(c)} as varchar) as {_quote('f' + str(i))}" for i, c in enumerate(cols, 1))
            self.con.execute(f"create table file_rows as select {select} from read_parquet('{quoted}', hive_partitioning = false)")
        else:
            cols = csv_header(path)
            self.con.execute("drop table if exists rejects; drop table if exists scans")
            fields = ", ".join(f"'f{i}': 'varchar'" for i in range(1, len(cols) + 1))
            self.con.execute(
                f"create table file_rows as select * from read_csv('{quoted}', header = true, auto_detect = false, hive_partitioning = false, "
                f"columns = {{{fields}}}, delim = ',', quote = '\"', escape = '\"', ignore_errors = true, "
                f"store_rejects = true, rejects_table = 'rejects', rejects_scan = 'scans')")
            rejected = self.con.execute("select count(distinct line) from rejects").fetchone()[0]
            if rejected:
                nulls = ", ".join(f"cast(null as varchar) as f{i}" for i in range(1, len(cols) + 1))
                self.con.execute(f"insert into file_rows select {nulls} from range({int(rejected)})")
        names = [c.strip().lower() for c in cols]
        if not self.position:
            self.con.execute("create table rows (_row_present boolean)")
        own: dict[str, str] = {}
        for i, name in enumerate(names, 1):
            if name in own:
                continue
            own[name] = f"f{i}"
            if name not in self.position:
                self.position[name] = f"c{len(self.position) + 1}"
                self.con.execute(f"alter table rows add column {self.position[name]} varchar")
        targets = ", ".join(["_row_present"] + [self.position[n] for n in own])
        values = ", ".join(["true"] + list(own.values()))
        self.con.execute(f"insert into rows ({targets}) select {values} from file_rows")
        self.con.execute("drop table file_rows")
        return names

    def text_columns(self, names: list[str]) -> pd.DataFrame:
        """The named columns (contract names) as text; absent ones are all null."""
        select = ", ".join(f"{self.position[n]} as {_quote(n)}" if n in self.position else f"cast(null as varchar) as {_quote(n)}"
                           for n in names)
        return self.con.execute(f"select {select} from rows").fetch_df()

    def source(self) -> QuerySource:
        return QuerySource(self.con, "select _row_present from rows")


def raw_suites(con, raw_dir: Path, erasure=None) -> list[Suite]:
    suites = []
    tolerance = project_vars().get("future_date_tolerance_days", 1)
    latest = None if tolerance is None else (
        _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None) + _dt.timedelta(days=float(tolerance)))
    for table in contract.tables().values():
        paths = gdpr.raw_files(raw_dir, table.name)
        staged = _scalar(con, f"select count(*) from staging.stg_shop__{table.name}") if _exists(con, "staging", f"stg_shop__{table.name}") else None
        quarantined = _scalar(con, f"select count(*) from quarantine.quarantine_shop__{table.name}") if _exists(con, "quarantine", f"quarantine_shop__{table.name}") else None
        if not paths:
            if table.required_file:
                suites.append(Suite(f"raw.{table.name}", "raw", FrameValue(pd.DataFrame({"file": []})), [
                    expectation("expect_table_row_count_to_equal", "contract", f"{table.name} is a required file", value=1)],
                    description=f"required file {table.name}.parquet/.csv is missing from {raw_dir}"))
            continue
        raw = RawFile(paths)
        shown = paths[0].name if len(paths) == 1 else f"{table.name}/ ({len(paths)} files)"
        names_frame = _schema_frame({n: "text" for n in dict.fromkeys(raw.names)})
        required_columns = [c.name for c in table.columns if not c.optional_column]
        suites.append(Suite(f"raw.{table.name}.schema", "raw", FrameValue(names_frame),
            schema_expectations(required_columns, "contract", exact=False, typed=False),
            description=f"columns of {shown}"))
        if staged is None or quarantined is None:
            continue
        erased = 0
        if erasure is not None and erasure.hashes:
            frame = raw.text_columns(table.column_names)
            erased = int(gdpr.erased_mask(table.name, frame, erasure).sum())
        superseded = superseded_versions(con, table.name)
        suites.append(Suite(f"raw.{table.name}", "raw", raw.source(), [
            expectation("expect_table_row_count_to_equal", "contract",
                        f"file records = staged {staged} + superseded versions {superseded} + quarantined {quarantined}"
                        f" + erased {erased}: nothing lost or invented",
                        value=int(staged + superseded + quarantined + erased))],
            description=f"records of {shown} reconcile with staging and quarantine"))
        if _exists(con, "staging", f"base_shop__{table.name}"):
            suites.append(accepted_rows_suite(con, table, latest))
    return suites


def superseded_versions(con, table_name: str) -> int:
    """Valid raw rows of an entity superseded by a later delivery (docs/raw-data-contract.md, "Facts and
    entities"): the earlier deliveries of an order, a customer or a product (stg_shop__<entity>_versions),
    and the lines of an order delivered again with lines in a later file; 0 for every other table."""
    versions = {"orders": "stg_shop__order_versions", "customers": "stg_shop__customer_versions",
                "products": "stg_shop__product_versions"}.get(table_name)
    if versions is not None and _exists(con, "staging", versions):
        return int(_scalar(con, f"select count(*) from staging.{versions} where not is_latest"))
    if table_name == "order_items" and _exists(con, "staging", "base_shop__order_items"):
        return int(_scalar(con, (
            "select count(*) from staging.base_shop__order_items as b where b.quarantine_reason is null "
            "and exists (select 1 from staging.base_shop__order_items as l where l.order_id = b.order_id "
            "and l.quarantine_reason is null and (l._load_id, l._source_file) > (b._load_id, b._source_file))")))
    return 0


def accepted_rows_suite(con, table: contract.Table, latest: _dt.datetime | None) -> Suite:
    """The raw rows the quarantine let through honour the contract.

    base_shop__<table> holds each raw row once, parsed and normalised (its
    contract columns typed, text cleaned): the checks read those values as
    text (a typed value as the warehouse writes it, e.g. '2024-01-01
    10:00:00'), the very values staging reads."""
    select = []
    exps = []
    origin = "contract"
    for col in table.columns:
        text = contract.normalise_text_sql(f"cast({col.name} as varchar)")
        if col.contract_type != "text" and not col.required:
            # an unreadable optional value is kept as null and flagged (unreadable_columns), not quarantined
            text = (f"(case when list_contains(string_split(coalesce(unreadable_columns, ''), ','), '{col.name}') "
                    f"then null else {text} end)")
        select.append(f"{text} as {col.name}")
        if col.required:
            exps.append(expectation("expect_column_values_to_not_be_null", origin, "a required value", column=col.name))
        if col.pii:
            continue  # values of personal data must not be shown in reports
        if col.contract_type in RAW_PATTERNS:
            exps.append(expectation("expect_column_values_to_match_regex", origin, f"parses as {col.contract_type}",
                                    column=col.name, regex=RAW_PATTERNS[col.contract_type]))
        if col.contract_type == "boolean":
            select.append(f"lower({text}) as {col.name}__lower")
            exps.append(expectation("expect_column_values_to_be_in_set", origin, "a boolean", column=f"{col.name}__lower",
                                    value_set=RAW_BOOLEANS))
        if col.contract_type in ("timestamp", "date"):
            parsed = f"cast(try_cast({text} as timestamptz) as timestamp)"
            select.append(f"extract(year from {parsed}) as {col.name}__year")
            exps.append(expectation("expect_column_values_to_be_between", origin, "a year within 1900-2100",
                                    column=f"{col.name}__year", min_value=contract.YEAR_RANGE[0],
                                    max_value=contract.YEAR_RANGE[1]))
            if latest is not None:  # var future_date_tolerance_days null: the check is off
                select.append(f"{parsed} > timestamp '{latest:%Y-%m-%d %H:%M:%S}' as {col.name}__in_future")
                exps.append(expectation("expect_column_values_to_be_in_set", origin,
                                        "not in the future (var future_date_tolerance_days)",
                                        column=f"{col.name}__in_future", value_set=[False]))
        if col.accepted_values is not None:
            select.append(f"lower({text}) as {col.name}__lower")
            exps.append(expectation("expect_column_values_to_be_in_set", origin, "the contract's value set",
                                    column=f"{col.name}__lower", value_set=list(col.accepted_values)))
        if col.length is not None:
            select.append(f"length({text}) as {col.name}__length")
            exps.append(expectation("expect_column_values_to_be_between", origin, "the contract's length",
                                    column=f"{col.name}__length", min_value=col.length, max_value=col.length))
        if col.range is not None:
            select.append(f"try_cast({text} as double) as {col.name}__number")
            exps.append(expectation("expect_column_values_to_be_between", origin, "the contract's range",
                                    column=f"{col.name}__number", **range_arguments(col.range)))
    key = list(table.primary_key)
    if key and table.kind == "entity":
        # an entity's key delivered again in a later file is a new version (docs/raw-data-contract.md,
        # "Facts and entities"): unique within each file
        select.append("_source_file")
        exps.append(expectation("expect_compound_columns_to_be_unique", origin,
                                "the primary key within each file (an entity: a later file's row is a new version)",
                                column_list=key + ["_source_file"], ignore_row_if="any_value_is_missing"))
    elif len(key) == 1:
        exps.append(expectation("expect_column_values_to_be_unique", origin, "the primary key", column=key[0]))
    elif key:
        exps.append(expectation("expect_compound_columns_to_be_unique", origin, "the primary key (when given)",
                                column_list=key, ignore_row_if="any_value_is_missing"))
    select = list(dict.fromkeys(select))
    source_sql = f"select {', '.join(select)} from staging.base_shop__{table.name} where quarantine_reason is null"
    if table.name in RAW_NEEDS_KNOWN_ORDER:
        source_sql = (f"select accepted.*, orders.order_id is not null as is_known_order from ({source_sql}) as accepted "
                      f"left join staging.stg_shop__orders as orders on accepted.order_id = orders.order_id")
        exps.append(expectation("expect_column_values_to_be_in_set", origin, "the line's order is a valid order",
                                column="is_known_order", value_set=[True]))
    return Suite(f"raw.{table.name}.accepted", "raw", QuerySource(con, source_sql), _dedupe(exps),
                 description=f"raw {table.name} rows that passed the quarantine honour the contract")

