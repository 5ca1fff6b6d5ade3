"""scripts/validate.py: green on a freshly built generated shop, red on corrupted data.

One small dirty shop is generated and built once for the module (models and
seeds; the dbt data tests run in other suites). The green run validates every
layer. The red run validates a copy of the same warehouse in which a few
things were broken by hand, each of which must be reported by the expectation
that guards it, with the observed value - including a defect in a late batch
of a table validated batch by batch (--max-rows below its size).
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from conftest import Warehouse
from ecomseg import REPO_ROOT
from ecomseg.generator import generate

BUILD = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def _validate_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the validate command (scripts/validate.py wraps it) in this process (GX imports once)."""
    from ecomseg.cli import validate

    code = validate.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    raw = tmp_path_factory.mktemp("validation_shop")
    generate(raw, customers=300, days=120, seed=11, fmt="parquet", dirt_rate=0.03)
    wh = Warehouse(tmp_path_factory.mktemp("validation_wh"), raw)
    wh.write_json = True  # the tests read target/manifest.json
    wh.dbt(*BUILD)
    return wh


@pytest.fixture(scope="module")
def green(shop, tmp_path_factory):
    docs = tmp_path_factory.mktemp("gx_docs")
    from ecomseg.validation import render, validate

    report = validate(shop.path, shop.target / "manifest.json", raw_dir=shop.raw_dir, docs_dir=docs)
    return report, render(report), docs


def test_fresh_build_honours_every_contract(green):
    report, text, _ = green
    assert report.success, text
    assert "RESULT: the data honours its contracts" in text
    passed, failed = report.totals()
    assert failed == 0 and passed > 500


def test_every_layer_and_every_mart_has_suites(green, shop):
    report, _, _ = green
    names = {r.suite.name for r in report.results}
    for table in ("orders", "order_items", "events"):
        assert {f"raw.{table}", f"raw.{table}.schema", f"raw.{table}.accepted"} <= names
    assert "quarantine.quarantine_shop__orders" in names and "staging.stg_shop__orders" in names
    marts = {r[0] for r in shop.query("select table_name from information_schema.tables where table_schema = 'marts'")}
    assert marts  # the marts that exist now; any later mart gets the same generic suites from the manifest
    for mart in marts:
        assert {f"marts.{mart}", f"marts.{mart}.schema"} <= names, mart
    assert "privacy" in names


def test_generic_mart_suite_is_derived_from_the_manifest(green):
    report, _, _ = green
    suite = next(r for r in report.results if r.suite.name == "marts.dim_customers")
    kinds = {(o.expectation_type, o.kwargs.get("column"), o.origin) for o in suite.outcomes}
    assert ("expect_column_values_to_be_unique", "customer_id", "dbt test unique") in kinds
    assert ("expect_column_values_to_not_be_null", "customer_id", "dbt test not_null") in kinds
    assert ("expect_column_values_to_be_between", "item_count", "name rule") in kinds
    assert any(k[:2] == ("expect_column_values_to_be_between", "lifetime_net_revenue") for k in kinds)
    # the mart's invariants, read from the dbt tests in the marts' YAML (no list of marts in Python)
    assert ("expect_column_sum_to_be_between", "lifetime_net_revenue", "dbt test sums_reconcile") in kinds
    assert (("expect_table_row_count_to_be_between", None, "dbt test row_count") in kinds)
    schema = next(r for r in report.results if r.suite.name == "marts.dim_customers.schema")
    expected = next(o for o in schema.outcomes if o.expectation_type == "expect_column_distinct_values_to_contain_set")
    assert "lifetime_net_revenue: DECIMAL(38,2)" in expected.kwargs["value_set"]


def test_raw_rows_reconcile_with_staged_quarantined_and_erased(green, shop):
    report, _, _ = green
    raw_orders = next(r for r in report.results if r.suite.name == "raw.orders")
    (outcome,) = raw_orders.outcomes
    staged = shop.scalar("select count(*) from staging.stg_shop__orders")
    quarantined = shop.scalar("select count(*) from quarantine.quarantine_shop__orders")
    assert outcome.kwargs["value"] == staged + quarantined
    assert quarantined > 0  # the generated dirt is really there


def test_data_docs_are_written(green):
    _, text, docs = green
    assert (docs / "index.html").exists()
    assert list((docs / "validations").rglob("*.html"))
    assert str(docs / "index.html") in text


# --- red ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def red(shop, tmp_path_factory):
    """A copy of the warehouse with hand-made corruption, validated through the CLI."""
    folder = tmp_path_factory.mktemp("red")
    broken = folder / "broken.duckdb"
    shutil.copy(shop.path, broken)
    con = duckdb.connect(str(broken))
    # 1. a duplicated primary key
    con.execute("insert into marts.dim_customers select * from marts.dim_customers "
                "where customer_id = (select min(customer_id) from marts.dim_customers)")
    # 2. a negative revenue
    con.execute("update marts.fct_orders set net_revenue = -12.34 "
                "where order_id = (select min(order_id) from marts.fct_orders)")
    # 3. a required (contract) column dropped
    con.execute("alter table marts.fct_customer_quarterly_spend drop column net_revenue")
    # 4. a staged row lost: raw no longer reconciles
    con.execute("delete from staging.stg_shop__orders where order_id = (select max(order_id) from staging.stg_shop__orders)")
    # 5. a negative count in the last row of a table validated in batches
    con.execute("update marts.fct_sessions set event_count = -1 "
                "where session_id = (select max(session_id) from marts.fct_sessions)")
    rows = con.execute("select count(*) from marts.fct_sessions").fetchone()[0]
    con.close()
    return broken, rows


def test_corrupted_data_fails_with_observed_values(shop, red, capsys, tmp_path):
    broken, session_rows = red
    max_rows = 1000
    assert session_rows > max_rows  # so fct_sessions is validated batch by batch
    code, out, _ = _validate_cli(
        capsys, "--duckdb", str(broken), "--raw-dir", str(shop.raw_dir), "--manifest", str(shop.target / "manifest.json"),
        "--docs-dir", str(tmp_path / "docs"), "--layers", "raw,marts", "--max-rows", str(max_rows), "--batch-rows", "500",
        "--select", "raw.orders,raw.events,marts.dim_customers*,marts.fct_orders*,marts.fct_customer_quarterly_spend*,"
                    "marts.fct_sessions,marts.dim_products")
    assert code == 1, out
    assert "RESULT: CONTRACT VIOLATIONS" in out
    lines = out.splitlines()

    def block(suite: str) -> str:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("FAIL  " + suite + " "))
        end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("      ")), len(lines))
        return "\n".join(lines[start:end])

    dim = block("marts.dim_customers")
    assert "expect_column_values_to_be_unique(column=customer_id" in dim
    assert "2 of 301 rows unexpected" in dim
    orders = block("marts.fct_orders")
    assert "expect_column_values_to_be_between(column=net_revenue, min_value=0" in orders
    assert "-12.34" in orders
    # the staged order deleted below breaks fct_orders' YAML invariant rows = stg_shop__orders
    assert "expect_table_row_count_to_equal(value=" in orders
    spend = block("marts.fct_customer_quarterly_spend.schema")
    assert "net_revenue: DECIMAL(38,2)" in spend and "missing values" in spend
    raw = block("raw.orders")
    assert "expect_table_row_count_to_equal" in raw and "file records = staged" in raw
    sessions = block("marts.fct_sessions")
    assert "batches" in sessions and "event_count" in sessions and "-1" in sessions
    # what was not broken still passes
    assert any(ln.startswith("PASS  marts.dim_products ") for ln in lines)
    assert any(ln.startswith("PASS  raw.events ") for ln in lines)


def test_missing_inputs_exit_2(capsys, tmp_path):
    code, _, err = _validate_cli(capsys, "--duckdb", str(tmp_path / "none.duckdb"), "--manifest", str(tmp_path / "m.json"))
    assert code == 2
    assert "no warehouse" in err


def test_cli_help():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "validate.py"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in ("--duckdb", "--raw-dir", "--manifest", "--docs-dir"):
        assert option in out


def test_the_quarantine_limit_checks_get_their_dbt_tests_not_the_quarantine_rules():
    """quarantine.quarantine_limits sits beside the quarantine tables but is no contract table."""
    import subprocess as _subprocess
    import duckdb as _duckdb
    from ecomseg import REPO_ROOT
    from ecomseg.manifest import load_manifest
    from ecomseg.validation import staging_suites
    target = REPO_ROOT / "target" / "validation-parse"
    _subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "dbt"), "parse", "--profiles-dir", str(REPO_ROOT),
                     "--project-dir", str(REPO_ROOT), "--target-path", str(target), "--quiet"], check=True)
    manifest = load_manifest(target / "manifest.json")
    node = next(n for n in manifest["nodes"].values() if n.get("name") == "quarantine_limits")
    con = _duckdb.connect()
    con.execute(f'create schema "{node["schema"]}"')
    con.execute(f'create table "{node["schema"]}".quarantine_limits as select \'orders\' as check_id, '
                "'ok' as check_level")
    suites = staging_suites(con, manifest)
    assert [s.layer for s in suites] == ["quarantine", "quarantine"]


def test_raw_file_reads_a_folder_table_by_column_name(tmp_path):
    """A table given as a folder (Parquet and CSV, columns in different orders,
    one extra column in one file) is read as the loader reads it: every file's
    records, matched by name; names are those present in every file; a CSV
    record DuckDB cannot read counts as a row of nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ecomseg import gdpr
    from ecomseg.validation import RawFile

    folder = tmp_path / "orders" / "date=2026-11-28"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"order_id": ["o1", "o2"], "Ordered_At": ["2026-11-28T10:00:00Z", None]}),
                   folder / "part-0001.parquet")
    (tmp_path / "orders" / "date=2026-11-29").mkdir()
    (tmp_path / "orders" / "date=2026-11-29" / "part-0001.csv").write_bytes(
        b'ordered_at,order_id,status\n2026-11-29,o3,paid\n2026-11-29,"o4\n')
    (tmp_path / "orders" / "_SUCCESS").write_text("")
    paths = gdpr.raw_files(tmp_path, "orders")
    assert [p.suffix for p in paths] == [".parquet", ".csv"]
    raw = RawFile(paths)
    assert sorted(raw.names) == ["order_id", "ordered_at"]
    frame = raw.text_columns(["order_id", "ordered_at", "status"])
    assert frame["order_id"].tolist()[:3] == ["o1", "o2", "o3"]
    frame = frame.astype(object).where(frame.notna(), None)
    assert frame["ordered_at"].tolist()[:3] == ["2026-11-28T10:00:00Z", None, "2026-11-29"]
    assert frame["status"].tolist()[:3] == [None, None, "paid"]
    assert len(frame) == 4 and frame.iloc[3].tolist() == [None, None, None]
    assert raw.con.execute("select count(*) from rows").fetchone()[0] == 4
