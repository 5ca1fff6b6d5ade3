"""scripts/build_warehouse.py with a user's own data (issue #11, items 11, 12 and 13).

* A warehouse knows which data it was built from: building another raw
  folder into it stops with an error naming both folders and the ways out,
  before anything is written; --full-refresh starts it over from the new
  data, segment history included (macro check_warehouse_identity).
  A first build that failed before building any model binds nothing
  (the tester's s6 without its dialect, then s5 with it).
* Sample data is never generated into a folder the user named, and table
  files are found whatever the case of their names (Orders.csv).
* The summary states the as-of date and prints a query command that works.
* --vars passes dbt vars to the build (a dict, else a clear error).
* A failed dbt run is reported shortly: failing nodes and their messages.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from ecomseg.dbt_runner import run_dbt
from ecomseg.summary import collect, render

HISTORY = ["build", "--select", "+customer_segment_history", "--exclude-resource-type", "test",
           "--exclude-resource-type", "unit_test"]


def _script():
    """The build command (scripts/build_warehouse.py is a thin wrapper of it)."""
    from ecomseg.cli import build

    return build


def _shop(folder, customers: list[str], orders_name: str = "orders.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    orders = ["order_id,customer_id,ordered_at"]
    items = ["order_id,line_number,product_id,quantity,unit_price"]
    for i, customer in enumerate(customers, start=1):
        orders.append(f"O{i},{customer},2025-06-{10 + i:02d}T10:00:00Z")
        items.append(f"O{i},1,P1,1,10.00")
    (folder / orders_name).write_text("\n".join(orders) + "\n")
    (folder / "order_items.csv").write_text("\n".join(items) + "\n")
    return folder


def _history_customers(path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("select customer_id from marts.customer_segment_history").fetchall()}
    finally:
        con.close()


def _built_from(path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select built_from from raw._warehouse_identity").fetchone()[0]
    finally:
        con.close()


# --- item 12: never generate into a named folder; file names in any case -------------------

def test_table_files_are_found_whatever_the_case_of_their_names(tmp_path):
    script = _script()
    assert not script.has_raw_data(tmp_path / "missing")
    assert not script.has_raw_data(tmp_path)
    (tmp_path / "Orders.csv").write_text("order_id,customer_id,ordered_at\n")
    assert script.has_raw_data(tmp_path)


def test_no_sample_data_is_written_into_a_folder_the_user_named(tmp_path, monkeypatch, capsys):
    script = _script()
    calls = []
    monkeypatch.setattr(script, "run_dbt", lambda *a, **k: calls.append(("dbt", a, k)))
    monkeypatch.setattr("ecomseg.cli.generate.main", lambda argv: calls.append(("generate", argv, {})) or 0)
    monkeypatch.setattr(script, "collect", lambda path: {"counts": {}, "quarantine_reasons": []})

    # a folder without an orders file: a clear error, nothing written
    mine = tmp_path / "my_shop"
    mine.mkdir()
    (mine / "customers.csv").write_text("customer_id\nC1\n")
    with pytest.raises(SystemExit) as stop:
        script.main(["--raw-dir", str(mine), "--duckdb", str(tmp_path / "w.duckdb")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "no orders.parquet or orders.csv" in err and str(mine) in err and "never written to" in err
    assert sorted(p.name for p in mine.iterdir()) == ["customers.csv"] and calls == []

    # --regenerate never writes into a named folder either
    (mine / "Orders.csv").write_text("order_id,customer_id,ordered_at\nO1,C1,2025-01-01T00:00:00Z\n")
    with pytest.raises(SystemExit):
        script.main(["--raw-dir", str(mine), "--regenerate", "--duckdb", str(tmp_path / "w.duckdb")])
    assert "only into the sample folder" in capsys.readouterr().err and calls == []

    # Orders.csv (capital O) is the orders file: the user's data is built, nothing generated
    assert script.main(["--raw-dir", str(mine), "--duckdb", str(tmp_path / "w.duckdb")]) == 0
    assert [c[0] for c in calls] == ["dbt"] and calls[0][2]["raw_dir"] == mine.resolve()
    assert sorted(p.name for p in mine.iterdir()) == ["Orders.csv", "customers.csv"]


# --- item 11: a warehouse knows its data; --full-refresh starts over -----------------------

def test_other_data_is_refused_and_a_full_refresh_starts_over(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("WAREHOUSE_IDENTITY", raising=False)
    demo = _shop(tmp_path / "demo", ["CD1", "CD2"])
    mine = _shop(tmp_path / "my_shop", ["CM1"])
    warehouse = tmp_path / "w.duckdb"
    run_dbt(HISTORY, raw_dir=demo, duckdb_path=warehouse)
    assert _history_customers(warehouse) == {"CD1", "CD2"}
    assert _built_from(warehouse) == str(demo.resolve())

    # the user's folder into the demo's warehouse: refused before anything is written
    script = _script()
    assert script.main(["--raw-dir", str(mine), "--duckdb", str(warehouse), "--no-generate",
                        "--select", "+customer_segment_history"]) == 1
    err = capsys.readouterr().err
    assert f"was built from '{demo.resolve()}'" in err and f"this run reads '{mine.resolve()}'" in err
    assert "--duckdb" in err and "--full-refresh" in err
    assert _history_customers(warehouse) == {"CD1", "CD2"} and _built_from(warehouse) == str(demo.resolve())

    # plain dbt with a relative RAW_DATA_DIR (as `dbt build` from a shell) is caught too
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    refused = run_dbt(["run", "--select", "base_shop__orders"], duckdb_path=warehouse, check=False,
                      env={"RAW_DATA_DIR": "./my_shop/../my_shop/"})
    assert not refused.success and f"this run reads '{mine.resolve()}'" in "\n".join(refused.failures)
    # ... while the same folder, written another way, is the same data
    assert run_dbt(["run", "--select", "base_shop__orders"], duckdb_path=warehouse,
                   env={"RAW_DATA_DIR": "demo/"}).success

    # --full-refresh: the warehouse starts over from the user's data, history included
    # (the history reads the int_ models; the public marts with the as-of date the summary names are
    # selected beside it)
    assert script.main(["--raw-dir", str(mine), "--duckdb", str(warehouse), "--no-generate", "--full-refresh",
                        "--select", "+customer_segment_history customer_lifecycle customer_rfm"]) == 0
    out = capsys.readouterr().out
    assert _history_customers(warehouse) == {"CM1"}
    assert _built_from(warehouse) == str(mine.resolve())

    # item 13: the summary names the as-of date, and its query command works as printed
    assert "Customer facts and segments computed as of 2025-06-11" in out
    command = out.strip().splitlines()[-1].strip()
    shown = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "CM1" in shown.stdout

    # a full refresh onto other data that does not select the history still drops it
    run_dbt(["run", "--select", "base_shop__orders", "--full-refresh"], raw_dir=demo, duckdb_path=warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from information_schema.tables "
                           "where table_name = 'customer_segment_history'").fetchone()[0] == 0
    finally:
        con.close()
    assert _built_from(warehouse) == str(demo.resolve())


# --- item 13: the summary -------------------------------------------------------------------

def test_the_summary_states_the_as_of_date_and_a_working_query_command(tmp_path, monkeypatch):
    path = tmp_path / "my warehouse.duckdb"  # a space in the path, too
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema quarantine")
    con.execute("create table marts.customer_rfm as select 'C7' as customer_id, date '2025-06-30' as as_of_date")
    con.execute("create table marts.customer_lifecycle as select 'C7' as customer_id, date '2025-06-30' as as_of_date")
    con.execute("create table marts.customer_segment_history as select * from (values "
                "('C7', date '2025-05-31'), ('C7', date '2025-06-30')) as t(customer_id, as_of_date)")
    con.execute("create table quarantine.quarantine_shop__orders as select 'orders' as source_table, "
                "'missing:customer_id' as quarantine_reason")
    con.close()
    summary = collect(path)
    assert summary["as_of_dates"] == {dt.date(2025, 6, 30): ["customer_lifecycle", "customer_rfm"]}
    assert summary["history_dates"] == [dt.date(2025, 5, 31), dt.date(2025, 6, 30)]
    text = render(summary)
    assert "Customer facts and segments computed as of 2025-06-30" in text
    assert "Segment history: 2 as-of date(s), 2025-05-31 to 2025-06-30" in text

    monkeypatch.chdir(tmp_path)
    command = _script().query_command(path, "customer_rfm")
    assert "python" in command and "marts.customer_rfm" in command
    shown = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=tmp_path,
                           env={"PATH": "/usr/bin:/bin"})  # no virtualenv on PATH: the command names its python
    assert shown.returncode == 0, shown.stderr
    assert "C7" in shown.stdout and "2025-06-30" in shown.stdout


# --- a failed first build binds nothing (tester's shops s6, then s5) -----------------------

ORDERS_ONLY = ["--select", "+stg_shop__orders,resource_type:model"]

# A Polish export (";", decimal commas, Windows-1250, DD.MM.YYYY), as the tester's shops s6 / s5
POLISH_FILES = {
    "orders.csv": "order_id;customer_id;ordered_at;status;discount_amount;shipping_city\n"
                  "O1;K1;31.12.2024 10:00;delivered;1,50;Łódź\n"
                  "O2;K2;01.01.2025;delivered;;Kraków\n"
                  "O3;K3;2025-01-02T10:00:00Z;delivered;;Gdańsk\n"
                  "O4;K4;02.01.2025 10:00;delivered;NULL;Zażółć gęślą jaźń\n",
    "order_items.csv": "order_id;product_id;quantity;unit_price\n"
                       "O1;A;2;49,99\nO1;B;1;1 234,50\nO2;A;1;0,005678\nO3;C;1;1 000,00\nO4;A;1;10\n",
    "customers.csv": "customer_id;email;birth_date;city\nK1;a@b.pl;15.05.1980;Łódź\nK2;b@b.pl;;Kraków\n",
}
POLISH_DIALECT = ('delimiter: ";"\nencoding: windows-1250\ndecimal_separator: ","\nthousands_separator: " "\n'
                  'date_format: "%d.%m.%Y"\ntimestamp_format: "%d.%m.%Y %H:%M"\n')


def _polish_shop(folder: Path, with_dialect: bool) -> Path:
    folder.mkdir()
    for name, text in POLISH_FILES.items():
        (folder / name).write_bytes(text.encode("cp1250"))
    if with_dialect:
        (folder / "_dialect.yml").write_text(POLISH_DIALECT)
    return folder


def test_a_failed_first_build_binds_nothing_and_says_why_shortly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("WAREHOUSE_IDENTITY", raising=False)
    # s6: Polish files without a _dialect.yml; s5: the same shop with its dialect
    s6 = _polish_shop(tmp_path / "s6", with_dialect=False)
    s5 = _polish_shop(tmp_path / "s5", with_dialect=True)
    warehouse = tmp_path / "s6.duckdb"
    script = _script()

    # the first build fails while loading the raw tables, before any model is built
    assert script.main(["--raw-dir", str(s6), "--duckdb", str(warehouse), "--no-generate"] + ORDERS_ONLY) == 1
    err = capsys.readouterr().err
    report = err[err.index("dbt build"):]  # the short report, after dbt's own log
    assert "lacks the column(s) order_id, customer_id, ordered_at" in report
    assert "set delimiter: ';'" in report
    assert "> in macro" not in report and len(report.splitlines()) <= 6, report

    # nothing was built from s6: the corrected folder may take the warehouse
    assert script.main(["--raw-dir", str(s5), "--duckdb", str(warehouse), "--no-generate"] + ORDERS_ONLY) == 0
    assert _built_from(warehouse) == str(s5.resolve())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from staging.stg_shop__orders").fetchone()[0] > 0
    finally:
        con.close()

    # ... and, now that s5's data is built in it, another folder is refused
    assert script.main(["--raw-dir", str(s6), "--duckdb", str(warehouse), "--no-generate"] + ORDERS_ONLY) == 1
    err = capsys.readouterr().err
    assert f"was built from '{s5.resolve()}'" in err and f"this run reads '{s6.resolve()}'" in err


# --- --vars: dbt vars for a build -------------------------------------------------------------

def test_vars_parse_to_a_dict_or_stop_with_a_clear_error(capsys):
    script = _script()
    assert script.parse_vars("{shop_timezone: Europe/Warsaw, shop_currency: EUR}") == {
        "shop_timezone": "Europe/Warsaw", "shop_currency": "EUR"}
    assert script.parse_vars('{"quarantine_fail_share": 0.5}') == {"quarantine_fail_share": 0.5}
    for bad in ["shop_timezone", "[1, 2]", "{shop_timezone: [", ""]:
        with pytest.raises(SystemExit) as stop:
            script.build_parser().parse_args(["--vars", bad])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "argument --vars" in err and "{shop_timezone: Europe/Warsaw, shop_currency: EUR}" in err


def test_a_var_given_with_vars_reaches_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.delenv("WAREHOUSE_IDENTITY", raising=False)
    shop = tmp_path / "warsaw"
    shop.mkdir()
    # 23:30 UTC on 10 June is 01:30 on 11 June in Warsaw (CEST, UTC+2)
    (shop / "orders.csv").write_text("order_id,customer_id,ordered_at\nO1,C1,2025-06-10T23:30:00Z\n")
    (shop / "order_items.csv").write_text("order_id,line_number,product_id,quantity,unit_price\nO1,1,P1,1,10.00\n")
    script = _script()

    def order_date(warehouse):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return con.execute("select order_date from staging.stg_shop__orders").fetchone()[0]
        finally:
            con.close()

    utc, warsaw = tmp_path / "utc.duckdb", tmp_path / "warsaw.duckdb"
    assert script.main(["--raw-dir", str(shop), "--duckdb", str(utc), "--no-generate"] + ORDERS_ONLY) == 0
    assert order_date(utc) == dt.date(2025, 6, 10)
    assert script.main(["--raw-dir", str(shop), "--duckdb", str(warsaw), "--no-generate",
                        "--vars", "{shop_timezone: Europe/Warsaw}"] + ORDERS_ONLY) == 0
    assert order_date(warsaw) == dt.date(2025, 6, 11)


def test_a_failing_node_is_reported_shortly_with_its_message(monkeypatch):
    """A failed data test and a model error are named with their messages (no
    macro call trace); skipped nodes are counted, not listed one by one."""
    from types import SimpleNamespace

    import dbt.cli.main

    from ecomseg.dbt_runner import DbtCommandFailed

    def node(unique_id, status, message):
        return SimpleNamespace(node=SimpleNamespace(unique_id=unique_id), status=status, message=message)

    results = [node("model.p.stg_shop__orders", "success", "OK"),
               node("test.p.rows_reconcile_orders", "fail", "Got 3 results, configured to fail if != 0"),
               node("model.p.fct_orders", "error", "Runtime Error in model fct_orders\n  Conversion Error: "
                    "Could not convert string 'x' to INT32\n  > in macro cast (macros/x.sql)\n")]
    results += [node(f"model.p.downstream_{i}", "skipped", "SKIP") for i in range(40)]

    class FakeRunner:
        def __init__(self, manifest=None):  # run_dbt passes a parsed manifest (ecomseg stream) or None
            self.manifest = manifest

        def invoke(self, args):
            return SimpleNamespace(success=False, exception=None, result=SimpleNamespace(results=results))

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", FakeRunner)
    with pytest.raises(DbtCommandFailed) as failed:
        run_dbt(["build"], target_path=None)
    report = str(failed.value)
    assert report.splitlines() == [
        "dbt build failed:",
        "  test.p.rows_reconcile_orders: fail: Got 3 results, configured to fail if != 0",
        "  model.p.fct_orders: error: Runtime Error in model fct_orders",
        "    Conversion Error: Could not convert string 'x' to INT32",
        "  (40 node(s) skipped because something they depend on failed)",
    ]


def test_the_summary_counts_quarantine_tables_not_the_limit_checks(tmp_path):
    """quarantine.quarantine_limits (one row per check, no quarantine_reason) is not a quarantine table."""
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema quarantine")
    con.execute("create table quarantine.quarantine_shop__orders as select 'orders' as source_table, "
                "'missing:customer_id' as quarantine_reason")
    con.execute("create table quarantine.quarantine_limits as select 'orders' as check_id, 'ok' as check_level")
    con.close()
    summary = collect(path)
    assert summary["quarantine_reasons"] == [("orders", "missing:customer_id", 1)]
    assert "Quarantined rows: 1" in render(summary)


def test_skip_unit_tests_leaves_dbt_unit_tests_out_of_both_builds(tmp_path, monkeypatch):
    """--skip-unit-tests: the build and the CLV fit's second build exclude dbt's unit tests; without it neither does."""
    script = _script()
    shop = _shop(tmp_path / "shop", ["C1"])
    for flag, expected in ((["--skip-unit-tests"], ["--exclude-resource-type", "unit_test"]), ([], [])):
        calls = []
        monkeypatch.setattr(script, "run_dbt", lambda args, **k: calls.append(list(args)))
        monkeypatch.setattr("ecomseg.dbt_runner.run_dbt", lambda args, **k: calls.append(list(args)))
        monkeypatch.setattr("ecomseg.clv.fit_warehouse", lambda path: {"bgnbd": {}})
        monkeypatch.setattr(script, "collect", lambda path: {"counts": {}, "quarantine_reasons": []})
        warehouse = tmp_path / "w.duckdb"
        con = duckdb.connect(str(warehouse))  # the calibration tables fit_and_rebuild looks for
        con.execute("create schema if not exists intermediate")
        con.execute("create table if not exists intermediate.int_clv_fit_inputs (x int)")
        con.execute("create table if not exists intermediate.int_clv_fits (x int)")
        con.close()
        assert script.main(["--raw-dir", str(shop), "--duckdb", str(warehouse), "--no-publish", *flag]) == 0
        assert len(calls) == 2 and calls[0][0] == "build" and calls[1][:2] == ["build", "--select"]
        for args in calls:
            assert (args[-2:] == expected) if expected else ("--exclude-resource-type" not in args)
