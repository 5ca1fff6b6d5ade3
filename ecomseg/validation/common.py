"""The building blocks of every suite: GX expectations with their origin,
the sources of a suite's rows (a DuckDB query or a small frame), suites and
their results, and the DuckDB helpers every layer uses."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

from ecomseg import contract  # noqa: E402

DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_BATCH_ROWS = 500_000

# Contract types of the marts (the portable subset) -> DuckDB's type names.
DUCKDB_TYPES = {
    "string": "VARCHAR", "text": "VARCHAR", "varchar": "VARCHAR",
    "int": "INTEGER", "integer": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
}



def range_arguments(rng: contract.Range) -> dict:
    """A contract range as arguments of expect_column_values_to_be_between."""
    args = {}
    if rng.min is not None:
        args.update(min_value=rng.min, strict_min=rng.min_exclusive)
    if rng.max is not None:
        args.update(max_value=rng.max, strict_max=rng.max_exclusive)
    return args



# --------------------------------------------------------------------------
# Expectations: GX objects plus where they come from
# --------------------------------------------------------------------------

def expectation(name: str, origin: str, why: str = "", **kwargs):
    """A GX expectation by its snake_case name, e.g. expectation(
    'expect_column_values_to_be_between', 'hand-written', column='x', min_value=0)."""
    from great_expectations.expectations.registry import get_expectation_impl

    cls = get_expectation_impl(name)
    meta = {"origin": origin}
    if why:
        meta["why"] = why
    return cls(meta=meta, **kwargs)


def _columns_of(exp) -> list[str]:
    cols: list[str] = []
    for attr in ("column", "column_A", "column_B"):
        value = getattr(exp, attr, None)
        if isinstance(value, str):
            cols.append(value)
    for attr in ("column_list",):
        value = getattr(exp, attr, None)
        if value:
            cols.extend(value)
    return cols


def _is_row_wise(exp) -> bool:
    """True when the expectation judges each row on its own (so it may run batch by batch)."""
    from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation

    if exp.expectation_type in ("expect_column_values_to_be_unique",):
        return False
    return isinstance(exp, (ColumnMapExpectation, ColumnPairMapExpectation))


# --------------------------------------------------------------------------
# Frame sources: where a suite's rows come from
# --------------------------------------------------------------------------

class FrameSource:
    """Rows for one suite: their count, their columns, and pandas frames."""

    def count(self) -> int:
        raise NotImplementedError

    def columns(self) -> list[str]:
        raise NotImplementedError

    def frames(self, columns: list[str] | None, batch_rows: int | None) -> Iterator[pd.DataFrame]:
        raise NotImplementedError


class QuerySource(FrameSource):
    """A SELECT on a DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: str):
        self.con = con
        self.sql = sql
        self._count: int | None = None
        self._columns: list[str] | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = int(self.con.execute(f"select count(*) from ({self.sql}) as q").fetchone()[0])
        return self._count

    def columns(self) -> list[str]:
        if self._columns is None:
            self._columns = [r[0] for r in self.con.execute(f"describe {self.sql}").fetchall()]
        return self._columns

    def frames(self, columns, batch_rows):
        cols = columns if columns else self.columns()
        select = ", ".join(_quote(c) for c in cols)
        cursor = self.con.execute(f"select {select} from ({self.sql}) as q")
        if not batch_rows:
            yield _normalise(cursor.fetch_df())
            return
        reader = cursor.fetch_record_batch(batch_rows)
        for record_batch in reader:
            yield _normalise(record_batch.to_pandas())


class FrameValue(FrameSource):
    """A small frame built in memory (schema frames, privacy findings)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def count(self):
        return len(self.frame)

    def columns(self):
        return list(self.frame.columns)

    def frames(self, columns, batch_rows):
        yield self.frame if not columns else self.frame[columns]


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimals as floats (GX compares numbers), everything else as DuckDB gives it."""
    import decimal

    for name in frame.columns:
        if frame[name].dtype == object:
            sample = frame[name].dropna()
            if len(sample) and isinstance(sample.iloc[0], decimal.Decimal):
                frame[name] = frame[name].astype(float)
    return frame


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------
# Suites
# --------------------------------------------------------------------------

@dataclass
class Suite:
    name: str  # e.g. marts.dim_customers, marts.dim_customers.schema, raw.orders.accepted
    layer: str  # raw, quarantine, staging, marts, privacy
    source: FrameSource
    expectations: list = field(default_factory=list)
    description: str = ""


@dataclass
class Outcome:
    """One expectation's result, merged over the batches it ran on."""

    suite: str
    expectation_type: str
    kwargs: dict
    origin: str
    why: str
    success: bool
    observed: str

    def label(self) -> str:
        shown = {k: v for k, v in self.kwargs.items() if k not in ("batch_id",)}
        args = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
        return f"{self.expectation_type}({args})"


@dataclass
class SuiteResult:
    suite: Suite
    outcomes: list[Outcome]
    rows: int
    batches: int
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None and all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]


@dataclass
class ValidationReport:
    results: list[SuiteResult]
    warnings: list[str]
    docs_index: Path | None

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def totals(self) -> tuple[int, int]:
        passed = sum(1 for r in self.results for o in r.outcomes if o.success)
        failed = sum(1 for r in self.results for o in r.outcomes if not o.success) + sum(
            1 for r in self.results if r.error)
        return passed, failed


def _short(value, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def project_vars() -> dict:
    """dbt_project.yml vars with plain (non-Jinja) values."""
    return {k: v for k, v in contract.project_vars().items() if not (isinstance(v, str) and "{{" in v)}


def _scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def _exists(con, schema: str, name: str) -> bool:
    return bool(_scalar(con, f"select count(*) from information_schema.tables where table_schema = '{schema}' and table_name = '{name}'"))

def _columns_and_types(con, schema: str, name: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    return {r[0]: r[1] for r in rows}


def _schema_frame(columns: dict[str, str]) -> pd.DataFrame:
    """One row per column of a relation: its name, and "name: TYPE" (DuckDB's type name)."""
    return pd.DataFrame({"column_name": list(columns), "column_type": [f"{c}: {t}" for c, t in columns.items()]})


def schema_expectations(expected: list[str], origin: str, exact: bool, typed: bool) -> list:
    """Columns (and types) of a relation, on its _schema_frame. typed: expected
    holds "name: TYPE" and is compared with column_type, else names with column_name."""
    column = "column_type" if typed else "column_name"
    exps = [expectation("expect_column_distinct_values_to_contain_set", origin,
                        "every expected column is there" + (" with the contract's type" if typed else "")
                        + " (missing ones are listed)", column=column, value_set=expected)]
    if exact:
        exps.append(expectation("expect_column_values_to_be_in_set", origin,
                                "no column outside the contract and no other type (the offending ones are listed)",
                                column=column, value_set=expected))
    return exps


def duckdb_type(contract_type: str) -> str:
    t = contract_type.replace(" ", "").lower()
    if t.startswith("decimal") or t.startswith("numeric"):
        return t.replace("numeric", "decimal").upper()
    return DUCKDB_TYPES.get(t, t.upper())
def _dedupe(exps: list) -> list:
    seen, out = set(), []
    for e in exps:
        key = (e.expectation_type, json.dumps({k: v for k, v in e.configuration.kwargs.items()}, sort_keys=True, default=str))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out

