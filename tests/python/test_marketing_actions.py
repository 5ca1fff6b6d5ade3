"""Marketing actions (issue #14, point 4; docs/scoring.md "Actions").

A small generated shop is built for two as-of dates three days apart, then
again for the second date: the outbox log must never decide a key twice
(and must have refused some on the second date: occasions that last, such as
an at-risk spell, come back as candidates), keep to one action per person and
as-of date and to the frequency cap, and a same-day rebuild must publish the
same rows. The control buckets are checked against an independent Python
implementation of the hash (md5, first 8 hex digits, modulo 100), the consent
guard on every e-mail, SMS and push row, and the right to be forgotten on the
outbox log (an incremental table a rebuild would not clean).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pytest

from conftest import NO_DATA_TESTS, Warehouse
from ecomseg import contract, gdpr
from ecomseg.generator import generate

END = dt.date(2026, 6, 30)
FIRST_AS_OF = (END - dt.timedelta(days=3)).isoformat()
SECOND_AS_OF = END.isoformat()
BUILD = ["build", *NO_DATA_TESTS, "--exclude-resource-type", "unit_test"]
ACTIONS = "+marketing_actions int_action_decisions"
CAP, CAP_DAYS = 2, 7


def _bucket(text: str, buckets: int = 100) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) % buckets


def _mart(wh: Warehouse) -> list[tuple]:
    return wh.query("select * from marts.marketing_actions order by idempotency_key")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("actions")
    raw = root / "raw"
    generate(raw, customers=300, days=120, seed=11, end_date=END, fmt="parquet", dirt_rate=0.03)
    wh = Warehouse(root / "wh", raw)
    wh.default_vars = {"action_cap_max_actions": CAP, "action_cap_window_days": CAP_DAYS}
    wh.dbt(*BUILD, dbt_vars={"as_of_date": FIRST_AS_OF})
    first = _mart(wh)
    # the data tests on the build after it (same as-of date, the state "again" reads: equal to this one)
    wh.dbt("build", "--select", ACTIONS, "--exclude-resource-type", "unit_test", *NO_DATA_TESTS,
           dbt_vars={"as_of_date": SECOND_AS_OF})
    second = _mart(wh)
    decisions = dict(wh.query("select outcome, count(*) from intermediate.int_action_decisions group by outcome"))
    wh.dbt("build", "--select", ACTIONS, "--exclude-resource-type", "unit_test", dbt_vars={"as_of_date": SECOND_AS_OF})
    again = _mart(wh)
    return {"wh": wh, "raw": raw, "first": first, "second": second, "again": again, "decisions": decisions}


def test_both_builds_decided_actions(shop):
    assert len(shop["first"]) > 50 and len(shop["second"]) > 0
    wh = shop["wh"]
    assert [r[0] for r in wh.query("select distinct as_of_date from intermediate.int_action_outbox_log order by 1")] == [
        dt.date.fromisoformat(FIRST_AS_OF), dt.date.fromisoformat(SECOND_AS_OF)]


def test_no_key_is_emitted_twice(shop):
    first_keys = {r[0] for r in shop["first"]}
    second_keys = {r[0] for r in shop["second"]}
    assert first_keys and second_keys and not first_keys & second_keys
    wh = shop["wh"]
    assert wh.scalar("select count(*) - count(distinct idempotency_key) from intermediate.int_action_outbox_log") == 0
    # the guard did work: occasions decided on the first date came back as candidates and were refused
    assert shop["decisions"].get("already_emitted", 0) > 0


def test_a_same_day_rebuild_publishes_the_same_rows(shop):
    assert shop["again"] == shop["second"]


def test_one_action_per_person_and_day_and_the_frequency_cap(shop):
    wh = shop["wh"]
    assert wh.scalar("""select count(*) from (select person_id, as_of_date from intermediate.int_action_outbox_log
                        group by 1, 2 having count(*) > 1)""") == 0
    assert wh.scalar(f"""select count(*) from (select person_id from intermediate.int_action_outbox_log
                         where as_of_date > date '{SECOND_AS_OF}' - {CAP_DAYS} group by 1 having count(*) > {CAP})""") == 0


def test_control_buckets_match_an_independent_hash(shop):
    rows = shop["wh"].query("select person_id, action_type, control_bucket, is_control from intermediate.int_action_candidates")
    assert len(rows) > 100
    assert [r for r in rows if r[2] != _bucket(f"{r[0]}|{r[1]}")] == []
    assert [r for r in rows if r[3] != (r[2] < 10)] == []
    share = sum(r[3] for r in rows) / len(rows)
    assert 0.03 < share < 0.2  # about 10 %


def test_messages_only_to_consenting_customers(shop):
    wh = shop["wh"]
    assert wh.scalar("""select count(*) from marts.marketing_actions m
                        left join staging.stg_shop__customers c on m.customer_id = c.customer_id
                        where m.channel <> 'onsite' and not coalesce(c.has_marketing_consent, false)""") == 0
    assert wh.scalar("select count(*) from marts.marketing_actions where person_type = 'visitor' and channel <> 'onsite'") == 0
    channels = {r[0] for r in wh.query("select distinct channel from intermediate.int_action_outbox_log")}
    assert "onsite" in channels and channels & set(contract.staged_values("customers", "preferred_channel"))


def test_welcome_only_for_lifecycle_new(shop):
    """The issue: RFM "New Customers" who bought long ago (lifecycle at_risk) were told "welcome"."""
    wh = shop["wh"]
    assert wh.scalar("select count(*) from intermediate.int_action_outbox_log "
                     "where action_type = 'welcome' and lifecycle_stage <> 'new'") == 0
    assert wh.scalar("select count(*) from intermediate.int_action_outbox_log "
                     "where action_type = 'loyalty_reward' and lifecycle_stage in ('at_risk', 'churned')") == 0


def test_the_consent_scope_of_an_activation_model():
    """validate.py's consent count covers the rows the model's consent test covers (its where)."""
    def test_node(uid, where):
        return {"resource_type": "test", "attached_node": uid, "config": {"where": where},
                "test_metadata": {"name": "only_consenting_customers", "kwargs": {}}}
    manifest = {"nodes": {"t1": test_node("m.a", "channel <> 'onsite'"), "t2": test_node("m.b", None)}}
    assert gdpr.consent_test_scope(manifest, "m.a") == "(channel <> 'onsite')"
    assert gdpr.consent_test_scope(manifest, "m.b") is None
    assert gdpr.consent_test_scope(manifest, "m.c") is None
    con = duckdb.connect()
    con.execute("create schema staging; create schema marts")
    con.execute("create table staging.stg_shop__customers as select * from (values ('C1', 'a@example.com', null, true), "
                "('C2', 'b@example.com', null, false)) as t(customer_id, email, birth_date, has_marketing_consent)")
    con.execute("create table marts.outbox as select * from (values ('C1', 'email'), ('C2', 'onsite'), "
                "(null, 'onsite'), ('C2', 'sms')) as t(customer_id, channel)")
    node = {"resource_type": "model", "package_name": "ecommerce_segmentation", "name": "outbox", "alias": "outbox",
            "schema": "marts", "unique_id": "model.ecommerce_segmentation.outbox", "version": None,
            "original_file_path": "models/marts/x/outbox.sql", "config": {"meta": {"activation": True}}, "meta": {},
            "columns": {"customer_id": {"name": "customer_id"}, "channel": {"name": "channel"}}}
    manifest = {"nodes": {node["unique_id"]: node, "t": test_node(node["unique_id"], "channel <> 'onsite'")}}
    findings, _ = gdpr.privacy_findings(con, manifest)
    assert {f.check_id: f.violations for f in findings if f.check_id.startswith("consent")} == {
        "consent_rows:marts.outbox": 1}  # C2's sms; the onsite rows are out of the test's scope


def test_forget_removes_the_person_from_the_outbox_log(shop):
    """The outbox log is incremental: a rebuild would keep an erased person's rows, so the
    erasure must delete them (by customer_id, and by visitor_id for their anonymous rows)."""
    wh = shop["wh"]
    customer_id = wh.scalar("""select customer_id from intermediate.int_action_outbox_log
                               where customer_id is not null order by customer_id limit 1""")
    subject = gdpr.find_subject(customer_id, shop["raw"], wh.path)
    assert wh.scalar(f"select count(*) from intermediate.int_action_outbox_log where customer_id = '{customer_id}'") > 0
    gdpr.forget_customer(customer_id, shop["raw"], duckdb_path=wh.path, rebuild=False,
                         exports=shop["raw"].parent / "exports")
    visitors = ", ".join(f"'{v}'" for v in sorted(subject.visitor_ids)) or "''"
    assert wh.scalar(f"""select count(*) from intermediate.int_action_outbox_log
                         where customer_id = '{customer_id}' or visitor_id in ({visitors})
                            or person_id = '{customer_id}'""") == 0
    assert wh.scalar(f"select count(*) from marts.marketing_actions where customer_id = '{customer_id}'") == 0
    # the next build (same as-of date) does not bring them back
    wh.dbt("build", "--select", ACTIONS, "--exclude-resource-type", "unit_test", dbt_vars={"as_of_date": SECOND_AS_OF})
    assert wh.scalar(f"select count(*) from intermediate.int_action_outbox_log where customer_id = '{customer_id}'") == 0
    assert gdpr.find_references(wh.path, [customer_id]) == []
