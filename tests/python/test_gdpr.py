"""Personal data: the right to be forgotten, no personal data in marts,
consent on activation outputs (docs/privacy.md).

The forget test builds a small generated shop, picks a customer who has
orders, returns, sessions (also anonymous ones of their visitor), events,
campaign sends and a quarantined raw row, adds exports and a history table
that a rebuild would not touch, erases them, and then scans every text
column of every table and view of the warehouse, the raw files, the exports
and the erasure log: nothing may refer to them - not after the erasure, not
after a rebuild, and not after the shop delivers its old files again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import NO_DATA_TESTS, Warehouse
from ecomseg import gdpr
from ecomseg.dbt_runner import run_dbt
from ecomseg.generator import generate

BUILD = ["build", *NO_DATA_TESTS, "--exclude-resource-type", "unit_test"]


def _pick_subject(wh: Warehouse) -> str:
    """The customer present in the most kinds of data (ties: smallest id); in the
    quarantine means a quarantined raw row holds their id or one of their visitor ids."""
    rows = wh.query("""
        with raw_sessions as (select * from raw.sessions),
        known_visitors as (
            select distinct trim(customer_id) as customer_id, trim(visitor_id) as visitor_id
            from raw_sessions where nullif(trim(customer_id), '') is not null and visitor_id is not null
        ),
        scores as (
            select c.customer_id,
                (select count(*) > 0 from staging.stg_shop__orders o where o.customer_id = c.customer_id) as has_orders,
                (select count(*) > 0 from staging.stg_shop__returns r join staging.stg_shop__orders o using (order_id)
                    where o.customer_id = c.customer_id) as has_returns,
                (select count(*) > 0 from staging.stg_shop__campaign_sends s where s.customer_id = c.customer_id) as has_sends,
                (select count(*) > 0 from staging.stg_shop__events e where e.customer_id = c.customer_id) as has_events,
                (select count(*) > 0 from raw_sessions s join known_visitors v on trim(s.visitor_id) = v.visitor_id
                    where v.customer_id = c.customer_id and nullif(trim(s.customer_id), '') is null) as has_anonymous_sessions,
                (select count(*) > 0 from (
                    select raw_record from quarantine.quarantine_shop__orders
                    union all select raw_record from quarantine.quarantine_shop__events
                ) q where contains(q.raw_record, '"' || c.customer_id || '"')
                    or exists (select 1 from known_visitors v where v.customer_id = c.customer_id
                               and contains(q.raw_record, '"' || v.visitor_id || '"'))) as in_quarantine
            from staging.stg_shop__customers c
        )
        select customer_id, has_orders, has_returns, has_sends, has_events, has_anonymous_sessions, in_quarantine
        from scores
        order by (cast(has_orders as int) + cast(has_returns as int) + cast(has_sends as int) + cast(has_events as int)
                  + cast(has_anonymous_sessions as int) + cast(in_quarantine as int)) desc, customer_id
        limit 1
    """)
    customer_id, *flags = rows[0]
    assert all(flags), f"no customer with every kind of data in this shop: {rows}"
    return customer_id


def _raw_references(raw_dir: Path, needles: list[str]) -> dict[str, int]:
    con = duckdb.connect()
    found = {}
    for path in sorted(raw_dir.glob("*.parquet")) + sorted(raw_dir.glob("*.csv")):
        reader = f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', all_varchar = true)"
        columns = [r[0] for r in con.execute(f"describe select * from {reader}").fetchall()]
        condition = " or ".join(f'contains(cast("{c}" as varchar), \'{n}\')' for c in columns for n in needles)
        n = con.execute(f"select count(*) from {reader} where {condition}").fetchone()[0]
        if n:
            found[path.name] = n
    return found


@pytest.fixture(scope="module")
def forgotten(tmp_path_factory):
    root = tmp_path_factory.mktemp("gdpr")
    raw = root / "raw"
    generate(raw, customers=300, days=120, seed=11, fmt="parquet", dirt_rate=0.03)
    pristine = root / "delivered_again"
    shutil.copytree(raw, pristine)
    wh = Warehouse(root / "wh", raw)
    wh.write_json = True  # the tests read target/manifest.json
    wh.dbt(*BUILD)
    subject = gdpr.find_subject(_pick_subject(wh), raw, wh.path)
    email = next(iter(subject.emails))
    needles = [subject.customer_id, email, *sorted(subject.visitor_ids)]
    before = {t: wh.scalar(f"select count(*) from staging.stg_shop__{t}") for t in ("customers", "orders", "sessions")}

    # outputs a rebuild would not touch: exported files and a history table
    exports = root / "exports"
    (exports / "audiences").mkdir(parents=True)
    wh_con = duckdb.connect(str(wh.path))
    audience = wh_con.execute("select customer_id, customer_key, age_band from marts.dim_customers order by customer_id").df()
    wh_con.execute("create schema if not exists snapshots")
    wh_con.execute("create table snapshots.customer_history as "
                   "select *, current_date as dbt_valid_from from marts.dim_customers")
    wh_con.close()
    audience.to_csv(exports / "audiences" / "newsletter.csv", index=False)
    audience.to_parquet(exports / "audience.parquet", index=False)
    (exports / "sends.jsonl").write_text("".join(json.dumps({"customer_id": c, "email": f"{c}@example.com"}) + "\n"
                                                 for c in [c for c in audience.customer_id.tolist()
                                                           if c != subject.customer_id][:20]
                                                 + [subject.customer_id]))
    (exports / "notes.txt").write_text("a file of a format the erasure cannot read\n")

    clv_inputs = ("select count(*), count(*) filter (where customer_id = '{}') "
                  "from intermediate.int_clv_fit_inputs where fit_name = 'current'").format(subject.customer_id)
    clv = {"inputs_before": wh.query(clv_inputs)[0]}
    result = gdpr.forget_customer(subject.customer_id, raw, duckdb_path=wh.path, exports=exports,
                                  target_path=wh.target, rebuild_args=BUILD)
    # the CLV as the erasure left it (a later test rebuilds with plain dbt, which empties its marts)
    clv.update(inputs_after=wh.query(clv_inputs)[0],
               mart=wh.query("select count(*), count(expected_average_order_value), count(customer_lifetime_value), "
                             f"count(*) filter (where customer_id = '{subject.customer_id}') "
                             "from marts.customer_lifetime_value")[0],
               fitted_customers=wh.scalar("select customers from marts.clv_model_parameters where fit_name = 'current'"))
    return {"wh": wh, "raw": raw, "pristine": pristine, "subject": subject, "needles": needles,
            "result": result, "before": before, "exports": exports, "audience_rows": len(audience), "clv": clv}


def test_the_subject_was_everywhere_before(forgotten):
    s = forgotten["subject"]
    assert s.order_ids and s.visitor_ids and s.session_ids and s.emails
    assert _raw_references(forgotten["pristine"], forgotten["needles"])  # present in the delivered files


def test_nothing_in_the_warehouse_refers_to_them(forgotten):
    result = forgotten["result"]
    assert result.rebuilt, result.rebuild_error
    assert gdpr.find_references(forgotten["wh"].path, forgotten["needles"]) == []


def test_the_clv_is_refitted_without_them(forgotten):
    """The erasure's rebuild empties the CLV marts (plain dbt has no fitted parameters); the erasure
    then fits again on the data without the customer and rebuilds them, as `ecomseg build` does."""
    clv = forgotten["clv"]
    customers_before, subject_before = clv["inputs_before"]
    assert subject_before == 1  # the subject was one of the customers the CLV models count
    assert clv["inputs_after"] == (customers_before - 1, 0)
    rows, with_value, with_clv, subject_rows = clv["mart"]
    assert rows == customers_before - 1 and subject_rows == 0
    assert clv["fitted_customers"] == customers_before - 1  # fitted on the data without them
    assert with_value > 0 and with_clv == with_value


def test_raw_files_no_longer_hold_them_and_others_are_kept(forgotten):
    wh, s, before = forgotten["wh"], forgotten["subject"], forgotten["before"]
    assert _raw_references(forgotten["raw"], forgotten["needles"]) == {}
    removed = forgotten["result"].raw_rows_removed
    assert removed["customers"] == 1 and removed["orders"] >= len(s.order_ids) - 1 and removed["sessions"] >= 1
    assert {"order_items", "events", "campaign_sends", "returns"} <= set(removed)
    assert wh.scalar("select count(*) from staging.stg_shop__customers") == before["customers"] - 1
    assert wh.scalar("select count(*) from staging.stg_shop__orders") > before["orders"] - len(s.order_ids) - 1
    # raw rows = staged + superseded order versions + quarantined still holds after the erasure; these
    # tables are loaded incrementally, so their raw rows are the manifest's (raw.<table> holds only new files)
    superseded = {"orders": "select count(*) from staging.stg_shop__order_versions where not is_latest",
                  "order_items": "select count(*) from staging.base_shop__order_items b where quarantine_reason is null "
                                 "and exists (select 1 from staging.base_shop__order_items l where l.order_id = b.order_id "
                                 "and l.quarantine_reason is null and (l._load_id, l._source_file) > (b._load_id, b._source_file))"}
    for table in ("orders", "order_items", "sessions", "events"):
        raw_rows = wh.scalar(f"select sum(row_count) from raw._file_manifest where table_name = '{table}'")
        staged = wh.scalar(f"select count(*) from staging.stg_shop__{table}")
        quarantined = wh.scalar(f"select count(*) from quarantine.quarantine_shop__{table}")
        assert raw_rows == staged + (wh.scalar(superseded[table]) if table in superseded else 0) + quarantined, table


def test_history_tables_and_exports_are_cleaned(forgotten):
    wh, s, result = forgotten["wh"], forgotten["subject"], forgotten["result"]
    assert result.warehouse_rows_removed["snapshots.customer_history"] == 1
    assert wh.scalar("select count(*) from snapshots.customer_history") == forgotten["audience_rows"] - 1
    exports = forgotten["exports"]
    newsletter = pd.read_csv(exports / "audiences" / "newsletter.csv", dtype=str)
    assert s.customer_id not in set(newsletter.customer_id) and len(newsletter) == forgotten["audience_rows"] - 1
    assert s.customer_id not in set(pd.read_parquet(exports / "audience.parquet").customer_id)
    lines = (exports / "sends.jsonl").read_text().splitlines()
    assert len(lines) == 20 and s.customer_id not in "".join(lines)
    assert result.export_rows_removed == {"audiences/newsletter.csv": 1, "audience.parquet": 1, "sends.jsonl": 1}
    assert result.unchecked_exports == ["notes.txt"]  # reported, to be handled by hand


def test_erasure_log_and_list_hold_no_personal_data(forgotten):
    result, needles, s = forgotten["result"], forgotten["needles"], forgotten["subject"]
    log_text = result.log_path.read_text()
    list_text = result.list_path.read_text()
    for secret in needles + sorted(s.order_ids) + sorted(s.session_ids):
        assert secret not in log_text and secret not in list_text
    entry = json.loads(log_text.splitlines()[-1])
    assert entry["subject"] == gdpr.subject_hash(gdpr.erasure_salt(), s.customer_id)
    assert entry["raw_rows_removed"] == result.raw_rows_removed
    assert entry["warehouse_rows_removed"] == result.warehouse_rows_removed
    assert entry["erased_at"] and entry["rebuilt"] is True
    listed = pd.read_csv(result.list_path, dtype=str)
    assert list(listed.columns) == gdpr.LIST_COLUMNS
    assert listed.value_hash.str.fullmatch(r"[0-9a-f]{64}").all()
    assert set(listed.kind) == {"customer_id", "order_id", "visitor_id", "session_id"}


def test_the_rebuild_after_the_erasure_was_incremental(forgotten):
    """forget_customer rewrote the raw files and their manifest entries: its rebuild read no file
    again (raw.events is empty: an incremental build), and another build neither errs nor brings
    the customer back."""
    wh = forgotten["wh"]
    assert wh.scalar("select count(*) from raw._file_manifest where table_name = 'events'") == 1
    assert wh.scalar("select count(*) from raw.events") == 0
    wh.dbt(*BUILD)
    assert wh.scalar("select count(*) from raw.events") == 0
    assert gdpr.find_references(wh.path, forgotten["needles"]) == []


def test_files_delivered_again_do_not_bring_them_back(forgotten):
    """The shop sends its old files (with the customer) again: a processed file of a table loaded
    incrementally changed, so the build stops naming it; the --full-refresh that reads them again
    keeps the customer out (the erasure list)."""
    wh, raw = forgotten["wh"], forgotten["raw"]
    for path in forgotten["pristine"].glob("*.parquet"):
        shutil.copy(path, raw / path.name)
    assert _raw_references(raw, forgotten["needles"])  # they are in the files again
    with pytest.raises(Exception, match="was already processed"):
        wh.dbt(*BUILD)
    wh.dbt(*BUILD, "--full-refresh")
    assert gdpr.find_references(wh.path, forgotten["needles"]) == []
    assert wh.scalar("select count(*) from staging.stg_shop__customers") == forgotten["before"]["customers"] - 1


def test_an_erasure_list_with_another_salt_stops_the_build(forgotten, monkeypatch):
    monkeypatch.setenv("ERASURE_SALT", "another-salt")
    result = forgotten["wh"].dbt("run", "--select", "base_shop__orders", check=False)
    assert not result.success
    assert "was written with a different salt" in "\n".join(result.failures)
    with pytest.raises(gdpr.ErasureError, match="different salt"):
        gdpr.ErasureList.load(gdpr.erasure_dir(forgotten["raw"]))


def test_forget_cli_help_and_bad_input(tmp_path, capsys):
    from ecomseg.cli import forget

    module = {"main": forget.main}
    with pytest.raises(SystemExit):
        module["main"](["--help"])
    out = capsys.readouterr().out
    for option in ("customer_id", "--raw-dir", "--duckdb", "--exports-dir", "--erasure-dir", "--no-rebuild"):
        assert option in out
    assert module["main"](["C1", "--raw-dir", str(tmp_path)]) == 2
    assert "no raw orders file" in capsys.readouterr().err


# --- personal data in marts ------------------------------------------------------

def test_built_marts_hold_no_personal_data(forgotten):
    wh = forgotten["wh"]
    from ecomseg.manifest import load_manifest

    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        findings, _ = gdpr.privacy_findings(con, load_manifest(wh.target / "manifest.json"))
    finally:
        con.close()
    assert findings and [f for f in findings if f.violations] == []
    checked = {f.check_id.split(":")[0] for f in findings}
    assert {"pii_column_names", "email_values", "birth_dates", "unsalted_key"} <= checked


def _mart_node(name: str, columns: list[str], meta: dict | None = None) -> dict:
    return {"resource_type": "model", "package_name": "ecommerce_segmentation", "name": name, "alias": name,
            "schema": "marts", "unique_id": f"model.ecommerce_segmentation.{name}", "version": None,
            "original_file_path": f"models/marts/x/{name}.sql", "config": {"meta": meta or {}}, "meta": {},
            "columns": {c: {"name": c} for c in columns}}


def test_privacy_check_catches_leaks(tmp_path):
    """A tiny warehouse whose marts leak: every kind of leak is found."""
    path = tmp_path / "leaky.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema staging; create schema marts")
    con.execute("create table staging.stg_shop__customers as select * from (values "
                "('C1', 'anna@example.com', date '1990-05-17', true), ('C2', 'bob(at)example', date '1985-01-02', false)) "
                "as t(customer_id, email, birth_date, has_marketing_consent)")
    con.execute("create table marts.named_leak as select 'C1' as customer_id, 'x' as contact_email, date '2000-01-01' as date_of_birth")
    con.execute("create table marts.value_leak as select * from (values ('C1', 'write to anna@example.com'), "
                "('C2', 'bob(at)example')) as t(customer_id, note)")
    con.execute("create table marts.birthday_leak as select 'C1' as customer_id, date '1990-05-17' as some_date")
    con.execute("create table marts.unsalted as select 'C1' as customer_id, md5('C1') as customer_key")
    con.execute("create table marts.audience as select * from (values ('C1'), ('C2')) as t(customer_id)")
    manifest = {"nodes": {n["unique_id"]: n for n in [
        _mart_node("named_leak", ["customer_id", "contact_email", "date_of_birth"]),
        _mart_node("value_leak", ["customer_id", "note"]),
        _mart_node("birthday_leak", ["customer_id", "some_date"]),
        _mart_node("unsalted", ["customer_id", "customer_key"]),
        _mart_node("audience", ["customer_id"], meta={"activation": True}),
    ]}}
    findings, _ = gdpr.privacy_findings(con, manifest)
    con.close()
    bad = {f.check_id: f.violations for f in findings if f.violations}
    assert bad == {
        "pii_column_names:marts.named_leak": 2,
        "email_values:marts.value_leak": 3,  # anna's address looks like one and is a customer's; bob's only matches as a customer's
        "birth_dates:marts.birthday_leak": 1,
        "unsalted_key:marts.unsalted.customer_key": 1,
        "consent_test:model.ecommerce_segmentation.audience": 1,  # activation model without the test
        "consent_rows:marts.audience": 1,  # C2 did not consent
    }


def test_a_non_development_target_refuses_the_public_salt(tmp_path, monkeypatch):
    """The public development salt stands in for PSEUDONYMISATION_SALT only on the
    development targets (var development_targets); the `prod` target stops with a
    message naming the variable, and compiles with the secret salt once it is set."""
    monkeypatch.delenv("PSEUDONYMISATION_SALT", raising=False)
    monkeypatch.delenv("ERASURE_SALT", raising=False)
    # the customer facts' key is computed in int_customers (dim_customers selects it)
    args = ["compile", "--target", "prod", "--select", "int_customers"]
    refused = run_dbt(args, target_path=tmp_path / "t1", duckdb_path=tmp_path / "prod.duckdb", check=False)
    assert not refused.success
    message = "\n".join(refused.failures)
    assert "PSEUDONYMISATION_SALT is not set" in message and "target 'prod'" in message
    compiled = run_dbt(args, target_path=tmp_path / "t2", duckdb_path=tmp_path / "prod.duckdb",
                       env={"PSEUDONYMISATION_SALT": "a-secret-salt-4711"})
    assert compiled.success
    sql = next((tmp_path / "t2").rglob("int_customers.sql")).read_text()
    assert "a-secret-salt-4711|" in sql and gdpr.DEV_SALT not in sql
    # the development target keeps working without a salt
    dev = run_dbt(["compile", "--select", "int_customers"], target_path=tmp_path / "t3",
                  duckdb_path=tmp_path / "dev.duckdb")
    assert gdpr.DEV_SALT in next((tmp_path / "t3").rglob("int_customers.sql")).read_text()
    assert dev.success


def test_a_shop_marking_city_personal_keeps_it_out_of_marts(monkeypatch):
    """Columns the contract marks pii (e.g. city, if a shop marks it so) may not appear in marts."""
    monkeypatch.setattr(gdpr, "pii_contract_columns", lambda: {"email", "birth_date", "city"})
    assert gdpr.pii_column_names(["customer_id", "age_band", "city", "shipping_city", "velocity"]) == ["city", "shipping_city"]
    monkeypatch.undo()
    assert gdpr.pii_column_names(["customer_id", "age_band", "region"]) == []


# --- consent ----------------------------------------------------------------------

def test_every_activation_model_carries_the_consent_test(forgotten):
    """Project rule over this project's manifest: a model marked config.meta.activation =
    true must carry only_consenting_customers (the dbt test itself is proven to fail on a
    non-consenting customer in test_generic_tests.py)."""
    from ecomseg.manifest import load_manifest

    manifest = load_manifest(forgotten["wh"].target / "manifest.json")
    assert gdpr.activation_models_without_consent_test(manifest) == []


def test_the_consent_rule_flags_an_untested_activation_model():
    audience = _mart_node("audience", ["customer_id"], meta={"activation": True})
    plain = _mart_node("report", ["customer_id"])
    manifest = {"nodes": {audience["unique_id"]: audience, plain["unique_id"]: plain}}
    assert gdpr.activation_models_without_consent_test(manifest) == ["model.ecommerce_segmentation.audience"]
    manifest["nodes"]["test.x"] = {"resource_type": "test", "attached_node": audience["unique_id"],
                                   "test_metadata": {"name": "only_consenting_customers", "kwargs": {}}}
    assert gdpr.activation_models_without_consent_test(manifest) == []


# --- unknown ids, the log of each erasure, no id in clear (issue #11, items 15 and 16) ----

TINY_ORDERS = "order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\nO2,C2,2025-01-11T10:00:00Z\nO3,C2,2025-01-12T10:00:00Z\n"
TINY_ITEMS = "order_id,line_number,product_id,quantity,unit_price\nO1,1,P1,1,10\nO2,1,P1,2,10\nO3,1,P2,1,5\nO3,2,P1,1,10\n"
TINY_SESSIONS = ("session_id,visitor_id,customer_id,started_at\n"
                 "S1,V1,,2025-01-10T09:00:00Z\nS2,V1,C1,2025-01-10T09:30:00Z\nS3,V2,C2,2025-01-11T09:00:00Z\n")


def _tiny_shop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.csv").write_text(TINY_ORDERS)
    (folder / "order_items.csv").write_text(TINY_ITEMS)
    (folder / "sessions.csv").write_text(TINY_SESSIONS)
    return folder


def _forget_cli():
    from ecomseg.cli import forget

    return forget.main


def test_an_unknown_id_is_not_found_and_changes_nothing(tmp_path, capsys):
    """A typo (C3 is nobody) exits 3 with "not found" and writes no erasure list
    or log entry; --force records it (to keep a future delivery out), logged as not found."""
    raw = _tiny_shop(tmp_path / "raw")
    common = ["--raw-dir", str(raw), "--duckdb", str(tmp_path / "none.duckdb"),
              "--exports-dir", str(tmp_path / "exports"), "--no-rebuild"]
    main = _forget_cli()
    assert main(["C3", *common]) == 3
    err = capsys.readouterr().err
    assert "not found" in err and "--force" in err
    assert not (raw / "_erasure").exists()
    assert (raw / "orders.csv").read_text() == TINY_ORDERS
    # the same id with surrounding spaces, as found in the files, is known
    assert main([" C1 ", *common]) == 0
    capsys.readouterr()
    # erased before: not found again, and said so
    assert main(["C1", *common]) == 3
    assert "erased before" in capsys.readouterr().err
    assert main(["C3", "--force", *common]) == 0
    lines = [json.loads(x) for x in (raw / "_erasure" / gdpr.LOG_FILE).read_text().splitlines()]
    assert [(e["found"], e["identifiers_recorded"]["customer_id"], e["raw_rows_removed"]) for e in lines] == [
        (True, 1, {"orders": 1, "order_items": 1, "sessions": 2}),
        (False, 1, {}),
    ]


def test_each_log_line_describes_what_its_erasure_removed(tmp_path):
    """C1 is erased, the shop delivers its old files again, then C2 is erased:
    C2's line counts C2's rows only (2 orders, 3 lines, 1 session); C1's rows
    that came back are removed too and credited to C1's erasure."""
    raw = _tiny_shop(tmp_path / "raw")
    kw = {"exports": tmp_path / "exports", "rebuild": False}
    first = gdpr.forget_customer("C1", raw, **kw)
    assert first.raw_rows_removed == {"orders": 1, "order_items": 1, "sessions": 2}
    _tiny_shop(raw)  # the old files, delivered again
    second = gdpr.forget_customer("C2", raw, **kw)
    assert second.raw_rows_removed == {"orders": 2, "order_items": 3, "sessions": 1}
    assert second.earlier_erasures_raw_rows_removed == {
        "orders": {first.erasure_id: 1}, "order_items": {first.erasure_id: 1}, "sessions": {first.erasure_id: 2}}
    log = [json.loads(x) for x in second.log_path.read_text().splitlines()]
    assert [e["erasure_id"] for e in log] == [first.erasure_id, second.erasure_id]
    assert log[1]["raw_rows_removed"] == {"orders": 2, "order_items": 3, "sessions": 1}
    assert log[1]["earlier_erasures_raw_rows_removed"]["orders"] == {first.erasure_id: 1}
    assert (raw / "orders.csv").read_text() == "order_id,customer_id,ordered_at\n"


def test_the_erased_id_is_written_nowhere_in_clear(tmp_path, monkeypatch):
    """Run as the script is (the id on its command line), with the rebuild:
    no file the erasure or dbt wrote (dbt.log, run_results.json, manifest,
    compiled SQL, the erasure list and log, the raw files) holds the id."""
    secret = "CUST-ZQX-4711"
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_text(TINY_ORDERS.replace("C2", secret))
    (raw / "order_items.csv").write_text(TINY_ITEMS)
    logs, target = tmp_path / "logs", tmp_path / "target"
    monkeypatch.setenv("DBT_LOG_PATH", str(logs))
    monkeypatch.setattr("sys.argv", ["scripts/forget_customer.py", secret, "--raw-dir", str(raw)])
    result = gdpr.forget_customer(secret, raw, duckdb_path=tmp_path / "wh.duckdb", exports=tmp_path / "exports",
                                  target_path=target, rebuild_args=["run", "--select", "+base_shop__orders"])
    assert result.rebuilt, result.rebuild_error
    assert result.raw_rows_removed == {"orders": 2, "order_items": 3}
    written = [p for folder in (logs, target, raw) for p in folder.rglob("*") if p.is_file() and p.suffix != ".duckdb"]
    assert logs / "dbt.log" in written and target / "run_results.json" in written
    assert [str(p) for p in written if secret.encode() in p.read_bytes()] == []
    assert json.loads((target / "run_results.json").read_text())["args"]["invocation_command"].startswith("dbt run ")
