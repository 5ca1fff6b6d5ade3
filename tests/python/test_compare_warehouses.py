"""ecomseg compare-warehouses (scripts/compare_warehouses.py): two warehouses compared relation by relation, rows as multisets."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ecomseg.cli import compare_warehouses


@pytest.fixture()
def compare():
    return compare_warehouses.compare


def _warehouse(path: Path, rows: list[tuple], extra_sql: str = "") -> str:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create table marts.m (k varchar, v decimal(18, 2), recorded_at timestamp)")
    con.executemany("insert into marts.m values (?, ?, ?)", rows)
    if extra_sql:
        con.execute(extra_sql)
    con.close()
    return str(path)


def test_identical_warehouses_differ_in_nothing_but_the_ignored_build_time(tmp_path, compare):
    left = _warehouse(tmp_path / "l.duckdb", [("a", 1, "2026-01-01"), ("b", 2, "2026-01-01")])
    right = _warehouse(tmp_path / "r.duckdb", [("b", 2, "2026-02-02"), ("a", 1, "2026-02-02")])
    assert compare(left, right, ["marts"], [], ["recorded_at"]) == []
    # the build time is a difference when it is not ignored
    assert len(compare(left, right, ["marts"], [], [])) == 2


def test_a_changed_value_a_lost_copy_and_a_missing_relation_are_reported(tmp_path, compare):
    left = _warehouse(tmp_path / "l.duckdb", [("a", 1, None), ("a", 1, None), ("b", 2, None)],
                      "create table marts.only_left (x int)")
    right = _warehouse(tmp_path / "r.duckdb", [("a", 1, None), ("b", 3, None)])
    problems = compare(left, right, ["marts"], [], [])
    # the second copy of ('a', 1) and the old ('b', 2): rows compare as multisets
    assert problems[0].startswith("marts.m: 2 of 3 rows only in the left warehouse, e.g. [")
    assert "('a', Decimal('1.00'), None)" in problems[0] and "('b', Decimal('2.00'), None)" in problems[0]
    assert problems[1].startswith("marts.m: 1 of 2 rows only in the right warehouse, e.g. [('b', Decimal('3.00'), None)]")
    assert problems[2] == "marts.only_left: only in the left warehouse"
    assert len(problems) == 3
    # --skip leaves a relation out
    assert compare(left, right, ["marts"], ["m", "only_*"], []) == []


def test_the_cli_exits_1_on_a_difference(tmp_path, capsys):
    left = _warehouse(tmp_path / "l.duckdb", [("a", 1, None)])
    right = _warehouse(tmp_path / "r.duckdb", [("a", 2, None)])
    main = compare_warehouses.main
    assert main([left, left]) == 0
    assert "identical" in capsys.readouterr().out
    assert main([left, right]) == 1
    assert "marts.m: 1 of 1 rows only in the left warehouse" in capsys.readouterr().out
