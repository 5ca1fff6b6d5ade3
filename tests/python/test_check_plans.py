"""scripts/check_plans.py (ecomseg.cli.check_plans): a model whose DuckDB plan compares every row of one
input with every row of the other fails the check; the same join on the key with the rest as a filter passes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ecomseg.cli import check_plans

# a left join whose condition is an expression of both sides: DuckDB plans a BLOCKWISE_NL_JOIN
WINDOW_IN_THE_CONDITION = """
select sends.send_id, count(orders.order_id) as orders_in_window
from shop.main.sends as sends
left join shop.main.orders as orders
    on sends.customer_id = orders.customer_id
    and date_diff('second', sends.sent_at, orders.ordered_at) <= 604800
group by sends.send_id
"""

# the same on the key, the window as a filter (what int_campaign_send_outcomes does)
WINDOW_AS_A_FILTER = """
select sends.send_id, count(*) as orders_in_window
from shop.main.sends as sends
inner join shop.main.orders as orders
    on sends.customer_id = orders.customer_id
where date_diff('second', sends.sent_at, orders.ordered_at) <= 604800
group by sends.send_id
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    con = duckdb.connect(str(tmp_path / "shop.duckdb"))
    con.execute("create table sends (send_id int, customer_id int, sent_at timestamp)")
    con.execute("create table orders (order_id int, customer_id int, ordered_at timestamp)")
    con.close()
    return tmp_path


def write_models(root: Path, models: dict[str, str]) -> tuple[Path, Path]:
    compiled = root / "target" / "compiled"
    nodes = {}
    for name, sql in models.items():
        original = f"models/intermediate/{name}.sql"
        path = compiled / "shop_project" / original
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
        nodes[f"model.shop_project.{name}"] = {"resource_type": "model", "package_name": "shop_project",
                                               "original_file_path": original}
    # a compiled file of a model no longer in the project is not read
    stale = compiled / "shop_project" / "models" / "old" / "moved_away.sql"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(WINDOW_IN_THE_CONDITION)
    manifest = root / "target" / "manifest.json"
    manifest.write_text(json.dumps({"nodes": nodes}))
    return compiled, manifest


def test_a_join_condition_of_both_sides_fails_and_a_filter_passes(project: Path, capsys):
    compiled, manifest = write_models(project, {"int_send_outcomes": WINDOW_IN_THE_CONDITION,
                                                "int_send_outcomes_fixed": WINDOW_AS_A_FILTER})
    problems, checked = check_plans.check(project / "shop.duckdb", compiled, manifest)
    assert checked == 2
    assert len(problems) == 1 and problems[0].startswith("int_send_outcomes: BLOCKWISE_NL_JOIN (1x)")
    assert check_plans.main(["--duckdb", str(project / "shop.duckdb"), "--compiled", str(compiled),
                             "--manifest", str(manifest)]) == 1
    assert "FAIL int_send_outcomes:" in capsys.readouterr().out


def test_allowed_models_pass_and_sql_that_does_not_bind_fails(project: Path, monkeypatch):
    compiled, manifest = write_models(project, {"int_send_outcomes": WINDOW_IN_THE_CONDITION,
                                                "int_reads_nothing": "select * from shop.main.no_such_table"})
    monkeypatch.setitem(check_plans.ALLOWED, "int_send_outcomes", "a test's allowance")
    problems, _ = check_plans.check(project / "shop.duckdb", compiled, manifest)
    assert [p.split(":")[0] for p in problems] == ["int_reads_nothing"]
    assert "does not bind" in problems[0]


def test_no_compiled_model_is_an_error(project: Path):
    compiled, manifest = write_models(project, {})
    with pytest.raises(FileNotFoundError):
        check_plans.check(project / "shop.duckdb", compiled, manifest)
    assert check_plans.main(["--duckdb", str(project / "shop.duckdb"), "--compiled", str(compiled),
                             "--manifest", str(manifest)]) == 2
