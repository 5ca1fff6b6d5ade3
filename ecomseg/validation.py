"""Great Expectations suites for every layer of the warehouse, and their runner.

What is validated (docs/quality.md explains each check and how to add one):

raw         per contract table, against the raw file itself (read here, not
            through dbt): the file has every column the contract requires;
            file records = staged + quarantined + erased rows (nothing lost,
            nothing invented); and the raw rows the quarantine let through
            (base_ view, quarantine_reason null) honour the contract: required
            values present, typed values parse (regular expressions), value
            sets, ranges, no future or pre-1900 dates, unique keys, order
            lines of known orders. So dirt appears only where the quarantine
            says it is.
quarantine  reasons are documented codes naming contract columns; ids unique.
staging     every stg_ model: declared columns exist, and the model's dbt
            tests (unique, not_null, accepted_values, ranges) re-checked.
marts       every mart, derived from target/manifest.json: exactly the
            contract's columns with the contract's types, the primary key and
            the dbt tests, name rules (counts >= 0, rates and shares in 0-1,
            lift > 0, revenue >= 0, RFM scores 1-5 (every score present for
            recency and monetary value),
            pseudonymous keys are hashes), expectations written in the model's
            YAML meta, and hand-written ones for the marts that exist
            (row-count relations between layers, sums that must reconcile).
privacy     no mart column named like personal data, no e-mail address or
            exact birth date in any mart, every activation model tested for
            consent (ecomseg.gdpr).

How it validates: GX's SQL datasource over duckdb-engine returns empty metric
results (upstream bug, see docs/quality.md), so every relation is read from
DuckDB into pandas and validated with GX's pandas datasource in an ephemeral
context. A relation of up to ``max_rows`` rows is one batch. A larger one is
validated exactly, never sampled: the row-wise expectations batch by batch
(``batch_rows`` rows each, streamed from DuckDB) and the table-wide ones
(uniqueness, row counts, distinct values, sums) once, on a frame holding only
the columns they need.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from ecomseg import REPO_ROOT, contract  # noqa: E402

DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_BATCH_ROWS = 500_000
REASON_CODES = ("missing_required", "unparseable", "out_of_range", "invalid_value", "unknown_exchange_rate",
                "unknown_order", "duplicate_key")

# Contract types of the marts (the portable subset) -> DuckDB's type names.
DUCKDB_TYPES = {
    "string": "VARCHAR", "text": "VARCHAR", "varchar": "VARCHAR",
    "int": "INTEGER", "integer": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
    "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
}

# Raw text that parses as the contract type (after the contract's text
# normalisation). Deliberately as strict as the raw data contract (the ISO-8601
# profile of docs/raw-data-contract.md "Timestamps", plain numbers).
# Field ranges as the contract: year 0001-9999, hour 00-23, offsets -18:00..+18:00.
_ISO_TIMESTAMP = (r"^(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
                  r"(?:[Tt ](?:[01][0-9]|2[0-3])(?::[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?)?"
                  r"(?: ?(?:[Zz]|[+-](?:(?:0[0-9]|1[0-7])(?::?[0-5][0-9])?|18(?::?00)?)))?)?$")
RAW_PATTERNS = {
    "integer": r"^[+-]?[0-9]+(?:\.0*)?$",
    "decimal": r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$",
    "timestamp": _ISO_TIMESTAMP,
    "date": _ISO_TIMESTAMP,
}
RAW_BOOLEANS = ["true", "false", "t", "f", "1", "0", "yes", "no", "y", "n"]

# Value sets, lengths and ranges come from the raw data contract's column meta
# (ecomseg.contract: accepted_values, length, range). Cross-table rules:
RAW_NEEDS_KNOWN_ORDER = ("order_items", "returns")
# A raw column staged under another name (stg_shop__<table>), for the contract's
# ranges re-checked on staging; every other checked column keeps its name.
STAGED_COLUMN_NAMES = {("returns", "quantity"): "returned_quantity"}


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


# --------------------------------------------------------------------------
# The manifest
# --------------------------------------------------------------------------

PROJECT = "ecommerce_segmentation"


def load_manifest(path: Path | str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def model_nodes(manifest: dict, layer: str) -> list[dict]:
    """The project's models under models/<layer>/ (all versions), sorted by name."""
    nodes = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["package_name"] == PROJECT
             and Path(n["original_file_path"]).parts[1:2] == (layer,)]
    return sorted(nodes, key=lambda n: (n["name"], str(n.get("version") or "")))


def node_meta(node: dict) -> dict:
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def tests_of(manifest: dict, node: dict) -> list[dict]:
    """Generic data tests attached to the node: [{name, column, kwargs, where}]."""
    out = []
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or test.get("attached_node") != node["unique_id"]:
            continue
        meta = test.get("test_metadata") or {}
        if not meta:
            continue
        out.append({"name": meta.get("name"), "column": test.get("column_name"),
                    "kwargs": meta.get("kwargs") or {}, "where": (test.get("config") or {}).get("where")})
    return out


def relation_of(node: dict) -> str:
    return f"{_quote(node['schema'])}.{_quote(node.get('alias') or node['name'])}"


def display_name(node: dict) -> str:
    return f"{node['schema']}.{node.get('alias') or node['name']}"


def project_vars() -> dict:
    """dbt_project.yml vars with plain (non-Jinja) values."""
    doc = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return {k: v for k, v in (doc.get("vars") or {}).items() if not (isinstance(v, str) and "{{" in v)}


def _dbt_test_expectations(manifest: dict, node: dict, pii: set[str]) -> list:
    """GX expectations for the node's dbt tests that judge one relation."""
    exps = []
    tests = tests_of(manifest, node)
    for t in tests:
        col, kw, name = t["column"], t["kwargs"], t["name"]
        if t["where"] or col is None or col in pii:
            continue  # a filtered test, a model-level test, or personal data (values would land in the docs)
        origin = f"dbt test {name}"
        if name == "unique":
            exps.append(expectation("expect_column_values_to_be_unique", origin, column=col))
        elif name == "not_null":
            exps.append(expectation("expect_column_values_to_not_be_null", origin, column=col))
        elif name == "accepted_values":
            values = list(kw.get("values") or [])
            exps.append(expectation("expect_column_values_to_be_in_set", origin, column=col, value_set=values))
        elif name == "contract_values":  # macros/generic_tests/contract_values.sql
            rule = contract.column(kw["table"], kw["column"])
            if rule.accepted_values is not None or rule.known_values is not None:
                exps.append(expectation("expect_column_values_to_be_in_set", origin, column=col,
                                        value_set=contract.staged_values(kw["table"], kw["column"])))
            if rule.range is not None:
                exps.append(expectation("expect_column_values_to_be_between", origin, column=col,
                                        **range_arguments(rule.range)))
        elif name == "values_in_range":
            strict = name == "values_in_range" and kw.get("inclusive") is False
            args = {}
            if kw.get("min_value") is not None:
                args.update(min_value=kw["min_value"], strict_min=strict)
            if kw.get("max_value") is not None:
                args.update(max_value=kw["max_value"], strict_max=strict)
            if args:
                exps.append(expectation("expect_column_values_to_be_between", origin, column=col, **args))
    return exps


def _primary_key(manifest: dict, node: dict) -> str | None:
    by_column: dict[str, set[str]] = {}
    for t in tests_of(manifest, node):
        if t["column"] and not t["where"]:
            by_column.setdefault(t["column"], set()).add(t["name"])
    keys = [c for c, names in by_column.items() if {"unique", "not_null"} <= names]
    return keys[0] if keys else None


def _meta_expectations(node: dict) -> list:
    """Expectations written in the model's YAML: config.meta.expectations (model level)
    and columns.<col>.meta.expectations, each {expect_...: {kwargs}}."""
    exps = []
    for item in node_meta(node).get("expectations") or []:
        for name, kwargs in item.items():
            exps.append(expectation(name, "YAML meta", **(kwargs or {})))
    for col_name, col in (node.get("columns") or {}).items():
        meta = {**(col.get("meta") or {}), **((col.get("config") or {}).get("meta") or {})}
        for item in meta.get("expectations") or []:
            for name, kwargs in item.items():
                exps.append(expectation(name, "YAML meta", column=col_name, **(kwargs or {})))
    return exps


# --------------------------------------------------------------------------
# Name rules for marts: conventions every mart follows
# --------------------------------------------------------------------------

NUMERIC = {"INTEGER", "BIGINT", "SMALLINT", "DOUBLE", "FLOAT"}
RFM_SCORE = re.compile(r"^(r|f|m|recency|frequency|monetary)_score$")


def name_rule_expectations(columns: dict[str, str]) -> list:
    """columns: name -> DuckDB type. Conventions of this project's marts:
    *_count >= 0; *_rate, support, confidence, *_support, *_share in [0, 1];
    lift > 0; revenue columns >= 0; RFM scores 1-5 with every score present;
    *_key of a customer is a 32-hex-digit hash."""
    exps = []
    for name, dtype in columns.items():
        numeric = dtype in NUMERIC or dtype.startswith("DECIMAL")
        origin = "name rule"
        if RFM_SCORE.match(name):
            exps.append(expectation("expect_column_values_to_be_in_set", origin, "RFM scores are 1-5",
                                    column=name, value_set=[1, 2, 3, 4, 5]))
            if name.startswith("f"):
                # order counts tie heavily (most customers order once) and tied
                # customers share a quintile, so not every frequency score need occur
                exps.append(expectation("expect_column_unique_value_count_to_be_between", origin,
                                        "frequency scores separate customers (at least 2 scores occur)",
                                        column=name, min_value=2))
            else:
                exps.append(expectation("expect_column_distinct_values_to_equal_set", origin,
                                        "every score 1-5 occurs (quintiles)", column=name, value_set=[1, 2, 3, 4, 5]))
        elif not numeric:
            if name.endswith("customer_key"):
                exps.append(expectation("expect_column_values_to_match_regex", origin,
                                        "a salted pseudonymous key is an md5 hash", column=name, regex=r"^[0-9a-f]{32}$"))
            continue
        elif name.endswith("_count"):
            exps.append(expectation("expect_column_values_to_be_between", origin, "a count is >= 0", column=name, min_value=0))
        elif name.endswith("_rate") or name.endswith("_share") or name in ("support", "confidence") \
                or name.endswith("_support") or name.endswith("_confidence"):
            exps.append(expectation("expect_column_values_to_be_between", origin, "a share is within 0-1",
                                    column=name, min_value=0, max_value=1))
        elif name == "lift" or name.endswith("_lift"):
            exps.append(expectation("expect_column_values_to_be_between", origin, "lift is > 0",
                                    column=name, min_value=0, strict_min=True))
        elif re.search(r"(^|_)revenue(_|$)", name) and not re.search(r"delta|change|diff|growth", name):
            exps.append(expectation("expect_column_values_to_be_between", origin, "revenue is >= 0", column=name, min_value=0))
    return exps


# --------------------------------------------------------------------------
# Hand-written expectations for the marts that exist (relations between layers)
# --------------------------------------------------------------------------

def _scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def _exists(con, schema: str, name: str) -> bool:
    return bool(_scalar(con, f"select count(*) from information_schema.tables where table_schema = '{schema}' and table_name = '{name}'"))


def hand_written_mart_expectations(con, mart: str, columns: dict[str, str]) -> list:
    """Relations that must hold between a mart and other layers, for the marts
    that exist when this was written. A mart not listed gets only the generic
    suites. Values are computed in DuckDB and compared by GX."""
    hw = "hand-written"
    v = project_vars()
    exps = []

    def rows_equal(other: str, why: str):
        schema, name = other.split(".")
        if _exists(con, schema, name):
            exps.append(expectation("expect_table_row_count_to_equal", hw, why, value=int(_scalar(con, f"select count(*) from {other}"))))

    def rows_at_least(sql: str, why: str):
        exps.append(expectation("expect_table_row_count_to_be_between", hw, why, min_value=int(_scalar(con, sql))))

    def sum_equals(column: str, sql: str, why: str):
        total = _scalar(con, sql)
        total = float(total or 0)
        exps.append(expectation("expect_column_sum_to_be_between", hw, why, column=column,
                                min_value=round(total - 0.005, 3), max_value=round(total + 0.005, 3)))

    if mart == "fct_orders":
        rows_equal("staging.stg_shop__orders", "one row per valid order: rows = staging.stg_shop__orders")
        exps.append(expectation("expect_column_pair_values_a_to_be_greater_than_b", hw,
                                "net revenue never exceeds gross revenue", column_A="gross_revenue",
                                column_B="net_revenue", or_equal=True))
    elif mart == "fct_order_items":
        rows_equal("staging.stg_shop__order_items", "one row per valid order line: rows = staging.stg_shop__order_items")
    elif mart == "fct_sessions":
        rows_at_least("select count(*) from staging.stg_shop__sessions",
                      "every valid session is here (plus sessions seen only in events or orders)")
    elif mart == "dim_customers":
        rows_at_least("select count(*) from staging.stg_shop__customers", "every registered customer is here")
        rows_at_least("select count(distinct customer_id) from staging.stg_shop__orders", "every ordering customer is here")
        sum_equals("lifetime_net_revenue", "select sum(net_revenue) from marts.fct_orders where not is_guest_order",
                   "lifetime net revenue reconciles with fct_orders.net_revenue (guest orders belong to no customer)")
        exps.append(expectation("expect_column_values_to_be_in_set", hw, "age bands, never a birth date",
                                column="age_band", value_set=["under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown"]))
    elif mart == "fct_customer_quarterly_spend":
        sum_equals("net_revenue", "select sum(lifetime_net_revenue) from marts.dim_customers",
                   "quarterly spend sums to lifetime net revenue")
    elif mart == "dim_products":
        rows_at_least("select count(*) from staging.stg_shop__products", "every catalogue product is here")
    elif mart == "customer_profile_overall":
        exps.append(expectation("expect_table_row_count_to_equal", hw, "one row for all customers", value=1))
    elif mart in ("product_association_rules", "category_association_rules"):
        for column, var in (("support", "association_min_support"), ("confidence", "association_min_confidence"),
                            ("lift", "association_min_lift")):
            if v.get(var) is not None:
                exps.append(expectation("expect_column_values_to_be_between", hw, f"rules pass var {var}",
                                        column=column, min_value=float(v[var]) - 1e-12))
        exps.append(expectation("expect_column_values_to_be_in_set", hw, "antecedents of 1 or 2 items",
                                column="antecedent_size", value_set=[1, 2]))
        exps.append(expectation("expect_column_unique_value_count_to_be_between", hw,
                                "all rules mined from one set of transactions", column="total_transactions", max_value=1))
        exps.append(expectation("expect_column_pair_values_a_to_be_greater_than_b", hw,
                                "support <= confidence (support = s(A u C), confidence = s(A u C) / s(A))",
                                column_A="confidence", column_B="support", or_equal=True))
    elif mart == "frequently_bought_together":
        n = v.get("frequently_bought_together_top_n")
        if n:
            exps.append(expectation("expect_column_values_to_be_between", hw, "ranks 1..top_n",
                                    column="companion_rank", min_value=1, max_value=int(n)))
    elif mart == "customer_product_recommendations":
        n = v.get("customer_recommendations_top_n")
        if n:
            exps.append(expectation("expect_column_values_to_be_between", hw, "ranks 1..top_n",
                                    column="recommendation_rank", min_value=1, max_value=int(n)))
    elif mart == "accessory_recommendations":
        if v.get("accessory_min_lift") is not None:
            exps.append(expectation("expect_column_values_to_be_between", hw, "rules pass var accessory_min_lift",
                                    column="lift", min_value=float(v["accessory_min_lift"]) - 1e-12))
    return [e for e in exps if all(c in columns for c in _columns_of(e))]


# --------------------------------------------------------------------------
# Building the suites
# --------------------------------------------------------------------------

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


def mart_suites(con, manifest: dict) -> list[Suite]:
    suites = []
    for node in model_nodes(manifest, "marts"):
        schema, name = node["schema"], node.get("alias") or node["name"]
        label = display_name(node)
        if not _exists(con, schema, name):
            suites.append(Suite(label, "marts", FrameValue(pd.DataFrame({"relation": []})), [
                expectation("expect_table_row_count_to_equal", "manifest", "the mart was built", value=1)],
                description="mart in the manifest but not in the warehouse"))
            continue
        actual = _columns_and_types(con, schema, name)
        declared = {c: (col.get("data_type") or "") for c, col in (node.get("columns") or {}).items()}
        pii = {c for c, col in (node.get("columns") or {}).items() if (col.get("meta") or {}).get("pii")}
        schema_exps = schema_expectations([f"{c}: {duckdb_type(t)}" for c, t in declared.items()], "contract",
                                          exact=True, typed=True)
        suites.append(Suite(label + ".schema", "marts", FrameValue(_schema_frame(actual)), schema_exps,
                            description=f"columns and types of {label} against its dbt contract"))

        exps = []
        key = _primary_key(manifest, node)
        exps += _dbt_test_expectations(manifest, node, pii)
        exps += name_rule_expectations({c: t for c, t in actual.items() if c not in pii})
        exps += hand_written_mart_expectations(con, node["name"], actual)
        exps += _meta_expectations(node)
        exps = [e for e in exps if all(c in actual for c in _columns_of(e))]
        description = f"{label}: primary key {key}" if key else f"{label}: no primary key test"
        suites.append(Suite(label, "marts", QuerySource(con, f"select * from {relation_of(node)}"),
                            _dedupe(exps), description=description))
    return suites


def staging_suites(con, manifest: dict) -> list[Suite]:
    suites = []
    for node in model_nodes(manifest, "staging"):
        schema, name = node["schema"], node.get("alias") or node["name"]
        if not (name.startswith("stg_") or name.startswith("quarantine_")):
            continue  # base_ views are checked through the raw suites
        label = display_name(node)
        layer = "quarantine" if name.startswith("quarantine_") else "staging"
        if not _exists(con, schema, name):
            continue
        actual = _columns_and_types(con, schema, name)
        declared = sorted((node.get("columns") or {}).keys())
        pii = {c for c, col in (node.get("columns") or {}).items() if (col.get("meta") or {}).get("pii")}
        suites.append(Suite(label + ".schema", layer, FrameValue(_schema_frame(actual)),
            schema_expectations(declared, "YAML", exact=False, typed=False),
            description=f"documented columns of {label}"))
        exps = _dbt_test_expectations(manifest, node, pii)
        if layer == "quarantine":
            if name.startswith("quarantine_shop__"):  # not quarantine_limits: its rows are checks
                exps += quarantine_expectations(name.removeprefix("quarantine_shop__"))
        else:
            exps += staging_extra_expectations(name)
        exps = [e for e in exps if all(c in actual for c in _columns_of(e))]
        suites.append(Suite(label, layer, QuerySource(con, f"select * from {relation_of(node)}"), _dedupe(exps),
                            description=f"{label}: its dbt tests and contract rules"))
    return suites


def staging_extra_expectations(name: str) -> list:
    """The raw data contract's ranges (column meta range) re-checked on the
    stg_shop__<table> model, plus ranges that follow from them."""
    exps = []
    table_name = name.removeprefix("stg_shop__")
    if name.startswith("stg_shop__") and table_name in contract.tables():
        for col in contract.table(table_name).columns:
            if col.range is not None:
                exps.append(expectation("expect_column_values_to_be_between", "contract", "raw data contract range",
                                        column=STAGED_COLUMN_NAMES.get((table_name, col.name), col.name),
                                        **range_arguments(col.range)))
    if name == "stg_shop__order_items":  # quantity > 0 and unit_price >= 0
        exps.append(expectation("expect_column_values_to_be_between", "hand-written", "quantity x unit price",
                                column="gross_amount", min_value=0, strict_min=False))
    return exps


def quarantine_expectations(table: str) -> list:
    columns = contract.table(table).column_names + ["csv_record"]
    pattern = (r"^(?:(?:missing_required|unparseable|out_of_range|invalid_value):(?:" + "|".join(columns)
               + r"))$|^(?:unknown_order|duplicate_key|unknown_exchange_rate:currency)$")
    return [
        expectation("expect_column_values_to_match_regex", "contract",
                    "a documented reason naming a contract column", column="quarantine_reason", regex=pattern),
        expectation("expect_column_values_to_be_in_set", "contract", "documented reason codes",
                    column="reason_code", value_set=list(REASON_CODES)),
        expectation("expect_column_values_to_be_in_set", "contract", "rows of this table only",
                    column="source_table", value_set=[table]),
        expectation("expect_column_values_to_not_be_null", "contract", "the raw row is kept", column="raw_record"),
        expectation("expect_column_values_to_be_unique", "contract", "quarantine_id is the key", column="quarantine_id"),
    ]


# --- raw ------------------------------------------------------------------

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
    from ecomseg import gdpr

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
                                    column=f"{col.name}__year", min_value=1900, max_value=2100))
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


def privacy_suites(con, manifest: dict) -> tuple[list[Suite], list[str]]:
    """Personal data and consent checks (ecomseg.gdpr) as one suite: one
    column per check holding its violation count, expected 0."""
    from ecomseg import gdpr

    findings, warnings = gdpr.privacy_findings(con, manifest)
    frame = pd.DataFrame({f.check_id: [f.violations] for f in findings}) if findings else pd.DataFrame({"none": [0]})
    exps = [expectation("expect_column_values_to_be_in_set", "privacy", f.explanation, column=f.check_id, value_set=[0])
            for f in findings]
    return [Suite("privacy", "privacy", FrameValue(frame), exps,
                  description="no personal data in marts; consent on every activation output")], warnings


def _dedupe(exps: list) -> list:
    seen, out = set(), []
    for e in exps:
        key = (e.expectation_type, json.dumps({k: v for k, v in e.configuration.kwargs.items()}, sort_keys=True, default=str))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


# --------------------------------------------------------------------------
# Running with GX
# --------------------------------------------------------------------------

class Runner:
    def __init__(self, docs_dir: Path | None, max_rows: int = DEFAULT_MAX_ROWS, batch_rows: int = DEFAULT_BATCH_ROWS):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_dir = docs_dir
        for site in list(self.context.list_data_docs_sites()):  # the default site writes to a temp folder
            self.context.delete_data_docs_site(site)
        if docs_dir is not None:
            self.context.add_data_docs_site("ecomseg", {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(Path(docs_dir).resolve())},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
        self.datasource = self.context.data_sources.add_pandas("warehouse")
        self.max_rows = max_rows
        self.batch_rows = batch_rows

    def _definition(self, name: str, exps: list):
        """A GX validation definition for the expectations, and {GX expectation id: original}."""
        gx = self.gx
        asset = self.datasource.add_dataframe_asset(name)
        batch_definition = asset.add_batch_definition_whole_dataframe(name)
        # the whole suite at once: add_expectation() re-serialises the suite every time
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=[copy.deepcopy(e) for e in exps]))
        assert len(suite.expectations) == len(exps)
        originals = {added.id: e for added, e in zip(suite.expectations, exps)}
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite))
        return definition, originals

    def run(self, spec: Suite) -> SuiteResult:
        try:
            rows = spec.source.count()
            if not spec.expectations:
                return SuiteResult(spec, [], rows, 0)
            if rows <= self.max_rows:
                groups = [(spec.name, spec.expectations, None, None)]
            else:
                row_wise = [e for e in spec.expectations if _is_row_wise(e)]
                table_wide = [e for e in spec.expectations if not _is_row_wise(e)]
                groups = []
                if table_wide:
                    needed = list(dict.fromkeys(c for e in table_wide for c in _columns_of(e))) or spec.source.columns()[:1]
                    groups.append((spec.name, table_wide, needed, None))
                if row_wise:
                    needed = list(dict.fromkeys(c for e in row_wise for c in _columns_of(e)))
                    groups.append((spec.name + ".rows", row_wise, needed, self.batch_rows))
            merged: dict[int, Outcome] = {}
            batches = 0
            for gx_name, exps, columns, batch_rows in groups:
                definition, originals = self._definition(gx_name, exps)
                for frame in spec.source.frames(columns, batch_rows):
                    batches += 1
                    result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
                    for res in result.results:
                        exp = originals[res.expectation_config.id]
                        _merge(merged, id(exp), spec.name, exp, res)
            outcomes = [merged[id(e)] for e in spec.expectations if id(e) in merged]
            return SuiteResult(spec, outcomes, rows, batches)
        except Exception as exc:  # a suite that cannot run is a failure, with its reason
            return SuiteResult(spec, [], 0, 0, error=f"{type(exc).__name__}: {exc}")

    def build_docs(self) -> Path | None:
        if self.docs_dir is None:
            return None
        self.context.build_data_docs()
        return Path(self.docs_dir).resolve() / "index.html"


def _merge(merged: dict, key: int, suite: str, exp, res) -> None:
    r = res.result or {}
    info = res.exception_info or {}
    if info.get("raised_exception"):
        observed = f"error: {info.get('exception_message')}"
    elif r.get("unexpected_count"):
        observed = f"{r['unexpected_count']} of {r.get('element_count')} rows unexpected, e.g. {_short(r.get('partial_unexpected_list', [])[:5], 160)}"
    elif r.get("partial_missing_list"):
        observed = f"missing values {_short(r['partial_missing_list'][:10], 160)}"
    elif "details" in r and (r["details"] or {}).get("mismatched"):
        observed = f"observed {_short(r.get('observed_value'), 120)}; mismatched {_short(r['details']['mismatched'], 160)}"
    else:
        observed = f"observed {_short(r.get('observed_value'), 160)}"
    meta = exp.meta or {}
    kwargs = {k: v for k, v in exp.configuration.kwargs.items() if k != "batch_id"}
    if key not in merged:
        merged[key] = Outcome(suite, exp.expectation_type, kwargs, meta.get("origin", ""), meta.get("why", ""),
                              bool(res.success), observed)
    else:  # a later batch of a row-wise expectation: failing wins, observations add up
        previous = merged[key]
        if not res.success:
            previous.observed = observed if previous.success else previous.observed + " | " + observed
            previous.success = False


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

LAYERS = ("raw", "staging", "marts", "privacy")


def build_suites(con, manifest: dict, raw_dir: Path | None, layers: Iterable[str] = LAYERS) -> tuple[list[Suite], list[str]]:
    from ecomseg import gdpr

    layers = set(layers)
    suites: list[Suite] = []
    warnings: list[str] = []
    if "raw" in layers and raw_dir is not None:
        erasure = gdpr.ErasureList.load(gdpr.erasure_dir(raw_dir))
        suites += raw_suites(con, raw_dir, erasure)
    if "staging" in layers:
        suites += staging_suites(con, manifest)
    if "marts" in layers:
        suites += mart_suites(con, manifest)
    if "privacy" in layers:
        privacy, privacy_warnings = privacy_suites(con, manifest)
        suites += privacy
        warnings += privacy_warnings
    return suites, warnings


def validate(duckdb_path: Path | str, manifest_path: Path | str, raw_dir: Path | str | None = None,
             docs_dir: Path | str | None = None, layers: Iterable[str] = LAYERS,
             max_rows: int = DEFAULT_MAX_ROWS, batch_rows: int = DEFAULT_BATCH_ROWS,
             select: Iterable[str] | None = None,
             progress: Callable[[SuiteResult], None] | None = None) -> ValidationReport:
    """Run every suite against a built warehouse; write data docs to docs_dir.
    select: shell-style patterns of suite names (e.g. 'marts.fct_*'); default all."""
    duckdb_path = Path(duckdb_path)
    if not duckdb_path.exists():
        raise FileNotFoundError(f"no warehouse at {duckdb_path}: build it first (dbt build)")
    manifest_path = Path(manifest_path)
    if not manifest_path.exists():
        raise FileNotFoundError(f"no dbt manifest at {manifest_path}: run dbt build (or dbt parse) first")
    manifest = load_manifest(manifest_path)
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        suites, warnings = build_suites(con, manifest, Path(raw_dir) if raw_dir else None, layers)
        patterns = [p for p in (select or []) if p]
        if patterns:
            import fnmatch

            suites = [s for s in suites if any(fnmatch.fnmatchcase(s.name, p) for p in patterns)]
        runner = Runner(Path(docs_dir) if docs_dir else None, max_rows=max_rows, batch_rows=batch_rows)
        results = []
        for suite in suites:
            result = runner.run(suite)
            results.append(result)
            if progress:
                progress(result)
        index = runner.build_docs()
    finally:
        con.close()
    return ValidationReport(results, warnings, index)


def render(report: ValidationReport, verbose: bool = False) -> str:
    lines = []
    width = max((len(r.suite.name) for r in report.results), default=10)
    for r in report.results:
        passed = sum(1 for o in r.outcomes if o.success)
        status = "PASS" if r.success else "FAIL"
        batches = f", {r.batches} batches" if r.batches > 1 else ""
        lines.append(f"{status}  {r.suite.name:<{width}}  {passed}/{len(r.outcomes)} expectations passed"
                     f"  ({r.rows:,} rows{batches})")
        if r.error:
            lines.append(f"      suite could not run: {r.error}")
        for o in (r.outcomes if verbose else r.failed):
            mark = "ok  " if o.success else "FAIL"
            lines.append(f"      {mark} {o.label()}")
            if o.why:
                lines.append(f"           why: {o.why} [{o.origin}]")
            lines.append(f"           {o.observed}")
    passed, failed = report.totals()
    lines.append("")
    for w in report.warnings:
        lines.append(f"WARNING: {w}")
    lines.append(f"{len(report.results)} suites, {passed} expectations passed, {failed} failed"
                 + (f"; data docs: {report.docs_index}" if report.docs_index else ""))
    lines.append("RESULT: " + ("the data honours its contracts" if report.success else "CONTRACT VIOLATIONS (see FAIL above)"))
    return "\n".join(lines)
