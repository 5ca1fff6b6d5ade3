"""ecomseg.engine_compare without Spark: the "Spark" side is a second DuckDB database."""

from __future__ import annotations

import duckdb
import pytest

from ecomseg import engine_compare


class FakeSpark:
    """Answers like SparkSide, from DuckDB (backtick quotes turned into double quotes)."""

    def __init__(self, path):
        self.connection = duckdb.connect(str(path), read_only=True)

    def one(self, sql):
        return self.connection.execute(sql.replace("`", '"').replace(" as string)", " as varchar)")).fetchone()

    def values(self, sql):
        sql = sql.replace("`", '"').replace(" as string)", " as varchar)")
        return [row[0] for row in self.connection.execute(sql).fetchall()]

    def close(self):
        self.connection.close()


MANIFEST = {
    "nodes": {
        "model.p.m": {"resource_type": "model", "unique_id": "model.p.m", "name": "m", "schema": "marts",
                      "alias": "m", "original_file_path": "models/marts/m.sql", "config": {"enabled": True}},
        "model.p.s": {"resource_type": "model", "unique_id": "model.p.s", "name": "s", "schema": "staging",
                      "alias": "s", "original_file_path": "models/staging/s.sql", "config": {"enabled": True}},
        "test.p.u": {"resource_type": "test", "attached_node": "model.p.m", "column_name": "id",
                     "test_metadata": {"name": "unique"}},
        "test.p.n": {"resource_type": "test", "attached_node": "model.p.m", "column_name": "id",
                     "test_metadata": {"name": "not_null"}},
        "test.p.n2": {"resource_type": "test", "attached_node": "model.p.m", "column_name": "amount",
                      "test_metadata": {"name": "not_null"}},
    }
}


def _warehouse(path, rows):
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    connection.execute("create table marts.m (id varchar, n bigint, amount decimal(18,2), share double, flag boolean)")
    connection.executemany("insert into marts.m values (?, ?, ?, ?, ?)", rows)
    connection.close()


ROWS = [("a", 1, "1.10", 0.1, True), ("b", 2, "2.20", 0.2, False)]


def _compare(tmp_path, spark_rows):
    _warehouse(tmp_path / "duck.duckdb", ROWS)
    _warehouse(tmp_path / "spark.duckdb", spark_rows)
    duck = engine_compare.DuckDBSide(tmp_path / "duck.duckdb")
    spark = FakeSpark(tmp_path / "spark.duckdb")
    try:
        models = engine_compare.select_models(MANIFEST)
        return engine_compare.compare(MANIFEST, models, duck, spark)
    finally:
        duck.close()
        spark.close()


def test_selects_marts_and_finds_the_primary_key():
    models = engine_compare.select_models(MANIFEST)
    assert [model["name"] for model in models] == ["m"]
    assert engine_compare.primary_key(MANIFEST, models[0]) == "id"
    with pytest.raises(ValueError):
        engine_compare.select_models(MANIFEST, ["nope"])


def test_equal_warehouses_agree_with_double_rounding(tmp_path):
    results = _compare(tmp_path, [("a", 1, "1.10", 0.1 + 1e-12, True), ("b", 2, "2.20", 0.2, False)])
    assert all(result.ok for result in results), engine_compare.format_report(results, verbose=True)


def test_differences_are_reported(tmp_path):
    results = _compare(tmp_path, [("a", 1, "1.11", 0.1, True), ("c", 2, "2.20", 0.2, True)])
    report = engine_compare.format_report(results)
    assert not results[0].ok
    failed = {check.name for check in results[0].checks if not check.ok}
    assert failed == {"sum(amount) [decimal]", "true count(flag)", "key set (id)"}
    assert "only on DuckDB: 1 ['b']" in report
