"""Compare the models one dbt project built on DuckDB and on Spark.

For every model of a dbt manifest under ``models/marts/`` (or a given list of
model names) both warehouses are asked for:

- the row count;
- the sum of every numeric column: integers and decimals must agree exactly,
  doubles (and floats) to a relative 1e-6 (absolute 1e-9 near zero), because
  the engines add doubles in different orders;
- the number of true values of every boolean column;
- the set of primary-key values (the column with both a ``unique`` and a
  ``not_null`` test in the manifest), compared as text.

The relation of a model is ``<schema>.<alias>`` from the manifest on both
engines (the project names schemas after folders, not targets; see
macros/generate_schema_name.sql). Column names and types come from DuckDB.

DuckDB is opened read-only; Spark is reached over the Thrift server with
PyHive, as dbt-spark does (docs/spark.md). ``compare`` returns a list of
``ModelComparison``; ``format_report`` renders them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from ecomseg.manifest import load_manifest, primary_key, relation_name

__all__ = ["load_manifest", "primary_key", "relation_name", "select_models", "compare", "compare_model",
           "format_report", "DuckDBSide", "SparkSide"]

INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "UHUGEINT", "INT", "LONG", "SHORT", "BYTE")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
REL_TOL = 1e-6
ABS_TOL = 1e-9
MAX_EXAMPLES = 10


@dataclass
class Check:
    """One compared figure of one model."""

    name: str
    duckdb: Any
    spark: Any
    ok: bool
    note: str = ""


@dataclass
class ModelComparison:
    model: str
    relation: str
    checks: list[Check] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(check.ok for check in self.checks)


# --------------------------------------------------------------------------- manifest

def select_models(manifest: dict, names: Sequence[str] | None = None,
                  folder: str = "models/marts/") -> list[dict]:
    """Model nodes by name (in the order given) or every enabled model under ``folder``."""
    models = {node["name"]: node for node in manifest["nodes"].values()
              if node.get("resource_type") == "model"}
    if names:
        unknown = [name for name in names if name not in models]
        if unknown:
            raise ValueError("not models of the manifest: " + ", ".join(unknown))
        return [models[name] for name in names]
    chosen = [node for node in models.values()
              if node.get("original_file_path", "").startswith(folder)
              and node.get("config", {}).get("enabled", True)
              and node.get("config", {}).get("materialized") not in ("ephemeral",)]
    return sorted(chosen, key=lambda node: node["name"])


# --------------------------------------------------------------------------- engines

class DuckDBSide:
    def __init__(self, path: str | Path):
        import duckdb

        self.connection = duckdb.connect(str(path), read_only=True)

    def columns(self, relation: str) -> list[tuple[str, str]]:
        rows = self.connection.execute(f"describe select * from {relation}").fetchall()
        return [(row[0], str(row[1]).upper()) for row in rows]

    def one(self, sql: str) -> tuple:
        return self.connection.execute(sql).fetchone()

    def values(self, sql: str) -> list:
        return [row[0] for row in self.connection.execute(sql).fetchall()]

    def close(self) -> None:
        self.connection.close()


class SparkSide:
    def __init__(self, host: str = "127.0.0.1", port: int = 10000, user: str = "dbt"):
        from pyhive import hive

        self.connection = hive.connect(host=host, port=port, username=user)

    def _rows(self, sql: str) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            cursor.close()

    def one(self, sql: str) -> tuple:
        return self._rows(sql)[0]

    def values(self, sql: str) -> list:
        return [row[0] for row in self._rows(sql)]

    def close(self) -> None:
        self.connection.close()


def quote_duckdb(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_spark(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def column_kind(data_type: str) -> str | None:
    base = data_type.split("(")[0].strip().upper()
    if base in INTEGER_TYPES:
        return "integer"
    if base in ("DECIMAL", "NUMERIC"):
        return "decimal"
    if base in FLOAT_TYPES:
        return "double"
    if base in ("BOOLEAN", "BOOL"):
        return "boolean"
    return None


def _aggregate(name: str, kind: str, quote) -> str:
    column = quote(name)
    if kind == "double":
        return f"sum(cast({column} as double))"
    if kind == "boolean":
        return f"sum(case when {column} then 1 else 0 end)"
    return f"sum({column})"


def _same(kind: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if kind == "double":
        return math.isclose(float(left), float(right), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return Decimal(str(left)) == Decimal(str(right))


def _as_key(value: Any) -> str:
    if value is None:
        return "<null>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- comparison

def compare_model(manifest: dict, model: dict, duck: DuckDBSide, spark: SparkSide) -> ModelComparison:
    relation = relation_name(model)
    result = ModelComparison(model=model["name"], relation=relation)
    try:
        columns = duck.columns(relation)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        result.error = f"DuckDB: {str(error).splitlines()[0]}"
        return result

    numeric = [(name, kind) for name, data_type in columns
               if (kind := column_kind(data_type)) is not None]
    duck_sql = "select count(*)" + "".join(
        ", " + _aggregate(name, kind, quote_duckdb) for name, kind in numeric) + f" from {relation}"
    spark_sql = "select count(*)" + "".join(
        ", " + _aggregate(name, kind, quote_spark) for name, kind in numeric) + f" from {relation}"
    try:
        duck_row = duck.one(duck_sql)
    except Exception as error:  # noqa: BLE001
        result.error = f"DuckDB: {str(error).splitlines()[0]}"
        return result
    try:
        spark_row = spark.one(spark_sql)
    except Exception as error:  # noqa: BLE001
        result.error = f"Spark: {str(error).splitlines()[0][:300]}"
        return result

    result.checks.append(Check("row count", duck_row[0], spark_row[0], duck_row[0] == spark_row[0]))
    for index, (name, kind) in enumerate(numeric, start=1):
        label = f"true count({name})" if kind == "boolean" else f"sum({name}) [{kind}]"
        result.checks.append(Check(label, duck_row[index], spark_row[index],
                                   _same(kind, duck_row[index], spark_row[index])))

    key = primary_key(manifest, model)
    if key is None:
        result.checks.append(Check("primary key", None, None, True, "no column with unique + not_null"))
        return result
    try:
        duck_keys = {_as_key(value) for value in duck.values(
            f"select cast({quote_duckdb(key)} as varchar) from {relation}")}
        spark_keys = {_as_key(value) for value in spark.values(
            f"select cast({quote_spark(key)} as string) from {relation}")}
    except Exception as error:  # noqa: BLE001
        result.error = f"primary key {key}: {str(error).splitlines()[0][:300]}"
        return result
    only_duck = sorted(duck_keys - spark_keys)
    only_spark = sorted(spark_keys - duck_keys)
    note = ""
    if only_duck or only_spark:
        note = (f"only on DuckDB: {len(only_duck)} {only_duck[:MAX_EXAMPLES]}; "
                f"only on Spark: {len(only_spark)} {only_spark[:MAX_EXAMPLES]}")
    result.checks.append(Check(f"key set ({key})", len(duck_keys), len(spark_keys),
                               not only_duck and not only_spark, note))
    return result


def compare(manifest: dict, models: Iterable[dict], duck: DuckDBSide, spark: SparkSide) -> list[ModelComparison]:
    return [compare_model(manifest, model, duck, spark) for model in models]


def format_report(results: Sequence[ModelComparison], verbose: bool = False) -> str:
    lines = []
    for result in results:
        status = "OK  " if result.ok else "DIFF"
        lines.append(f"{status} {result.model} ({result.relation})")
        if result.error:
            lines.append(f"     error: {result.error}")
        for check in result.checks:
            if verbose or not check.ok:
                mark = "=" if check.ok else "!"
                text = f"   {mark} {check.name}: duckdb={check.duckdb} spark={check.spark}"
                if check.note:
                    text += f"  ({check.note})"
                lines.append(text)
    differing = sum(not result.ok for result in results)
    lines.append(f"{len(results)} model(s) compared, {len(results) - differing} agree, {differing} differ")
    return "\n".join(lines)
