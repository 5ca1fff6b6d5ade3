"""ecomseg.manifest: one reader of dbt's manifest, one primary-key rule, used by
every consumer; and GX reading a mart's invariants (its YAML data tests) from it."""

from __future__ import annotations

import json

import duckdb
import pytest

from ecomseg import engine_compare, manifest, project_checks
from ecomseg.validation import dbt_tests, marts


def _test(uid, node, column, name, kwargs=None, where=None, attached=True):
    test = {"resource_type": "test", "unique_id": uid, "column_name": column,
            "test_metadata": {"name": name, "kwargs": kwargs or {}}, "config": {"where": where},
            "depends_on": {"nodes": [node]}}
    if attached:
        test["attached_node"] = node
    return test


def _model(name, columns=(), schema="marts", folder="marts", version=None, latest=None):
    uid = f"model.ecommerce_segmentation.{name}" + (f".v{version}" if version else "")
    return {"resource_type": "model", "unique_id": uid, "name": name, "package_name": "ecommerce_segmentation",
            "schema": schema, "alias": name, "original_file_path": f"models/{folder}/{name}.sql",
            "columns": {c: {"name": c} for c in columns}, "config": {"enabled": True},
            "version": version, "latest_version": latest}


def _manifest(*nodes):
    return {"nodes": {n["unique_id"]: n for n in nodes}, "sources": {}}


M = _model("m", columns=["z_id", "a_id", "amount"])
UID = M["unique_id"]


def test_the_primary_key_is_the_first_declared_column_tested_unique_and_not_null():
    m = _manifest(M, _test("t1", UID, "a_id", "unique"), _test("t2", UID, "a_id", "not_null"),
                  _test("t3", UID, "z_id", "not_null"), _test("t4", UID, "z_id", "unique"),
                  _test("t5", UID, "amount", "not_null"))
    # z_id is declared first, though a_id sorts first and its tests come first
    assert manifest.primary_key_columns(m, M) == ["z_id", "a_id"]
    assert manifest.primary_key(m, M) == "z_id"


def test_unique_in_new_loads_makes_a_key_like_unique():
    m = _manifest(M, _test("t1", UID, "a_id", "unique_in_new_loads"), _test("t2", UID, "a_id", "not_null"),
                  _test("t3", UID, "z_id", "unique_in_new_loads"))
    assert manifest.primary_key_columns(m, M) == ["a_id"]


def test_a_filtered_test_does_not_make_a_key_and_a_test_found_by_its_dependency_counts():
    m = _manifest(M, _test("t1", UID, "a_id", "unique", where="a_id > 0"), _test("t2", UID, "a_id", "not_null"),
                  _test("t3", UID, "amount", "unique", attached=False), _test("t4", UID, "amount", "not_null"))
    assert manifest.primary_key(m, M) == "amount"


def test_every_consumer_uses_the_one_manifest_reader_and_key_rule():
    assert engine_compare.load_manifest is manifest.load_manifest
    assert project_checks.load_manifest is manifest.load_manifest
    assert engine_compare.primary_key is manifest.primary_key
    assert marts.primary_key is manifest.primary_key
    # project checks count only unfiltered key tests, as the others do
    m = _manifest({**M, "description": "d", "columns": {}, "depends_on": {"nodes": []}},
                  _test("t1", UID, "a_id", "unique", where="a_id > 0"), _test("t2", UID, "a_id", "not_null"))
    assert [v.rule for v in project_checks.check_manifest(m) if v.rule == "primary-key-test"] == ["primary-key-test"]


def test_load_manifest_reads_json(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(_manifest(M)), encoding="utf-8")
    assert manifest.load_manifest(path)["nodes"][UID]["name"] == "m"


def test_resolve_ref_finds_the_latest_version_or_the_one_named():
    v1 = _model("mart", version=1, latest=2)
    v2 = _model("mart", version=2, latest=2)
    m = _manifest(v1, v2, M)
    assert manifest.resolve_ref(m, "ref('mart')")["unique_id"] == v2["unique_id"]
    assert manifest.resolve_ref(m, "{{ ref('mart', v=1) }}")["unique_id"] == v1["unique_id"]
    assert manifest.resolve_ref(m, "ref(\"m\")")["name"] == "m"
    assert manifest.resolve_ref(m, "not a ref") is None
    assert manifest.model_nodes(m, "marts") == [M, v1, v2]


# --- GX reads a mart's invariants from its YAML tests -------------------------------

@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts; create schema staging")
    con.execute("create table staging.stg (id varchar, customer_id varchar)")
    con.execute("insert into staging.stg values ('1', 'a'), ('2', 'a'), ('3', 'b')")
    con.execute("create table marts.orders (id varchar, net decimal(18,2), guest boolean)")
    con.execute("insert into marts.orders values ('1', 10.00, false), ('2', 5.50, true), ('3', 2.25, false)")
    con.execute("create table marts.customers (customer_id varchar, lifetime decimal(18,2))")
    con.execute("insert into marts.customers values ('a', 10.00), ('b', 2.25)")
    yield con
    con.close()


def _gx(exps):
    return sorted((e.expectation_type, json.dumps({k: v for k, v in e.configuration.kwargs.items()
                                                   if k != "batch_id"}, sort_keys=True)) for e in exps)


def test_gx_expectations_from_the_yaml_invariants(warehouse, monkeypatch):
    monkeypatch.setattr(dbt_tests, "project_vars", lambda: {"min_lift": 1.5, "top_n": 5})
    stg = _model("stg", schema="staging", folder="staging")
    orders = _model("orders", columns=["id", "net", "guest"])
    customers = _model("customers", columns=["customer_id", "lifetime"])
    o, c = orders["unique_id"], customers["unique_id"]
    m = _manifest(stg, orders, customers,
                  _test("r1", o, None, "row_count", {"compare_model": "ref('stg')"}),
                  _test("r2", c, None, "row_count", {"compare_model": "ref('stg')", "comparison": "at_least",
                                                     "compare_expression": "count(distinct customer_id)"}),
                  _test("r3", c, None, "row_count", {"value": 2}),
                  _test("s1", o, "net", "sums_reconcile", {"compare_model": "ref('customers')",
                                                           "compare_column": "lifetime"}, where="not guest"),
                  _test("v1", o, "net", "values_in_range", {"min_value": "{{ var('min_lift') }}",
                                                            "max_value": "{{ var('top_n') }}"}),
                  _test("v2", o, "net", "values_in_range", {"min_value": "{{ var('not_a_var') }}"}),
                  _test("a1", o, "net", "column_at_most", {"other_column": "gross"}),
                  _test("d1", c, "customer_id", "one_distinct_value"))
    assert _gx(dbt_tests.dbt_test_expectations(m, orders, set(), warehouse)) == _gx([
        dbt_tests.expectation("expect_table_row_count_to_equal", "x", value=3),
        dbt_tests.expectation("expect_column_values_to_be_between", "x", column="net", min_value=1.5,
                              strict_min=False, max_value=5, strict_max=False),
        dbt_tests.expectation("expect_column_pair_values_a_to_be_greater_than_b", "x", column_A="gross",
                              column_B="net", or_equal=True),
    ])
    assert _gx(dbt_tests.dbt_test_expectations(m, customers, set(), warehouse)
               + dbt_tests.reconciled_sums_into(m, customers, warehouse)) == _gx([
        dbt_tests.expectation("expect_table_row_count_to_be_between", "x", min_value=2),
        dbt_tests.expectation("expect_table_row_count_to_equal", "x", value=2),
        dbt_tests.expectation("expect_column_unique_value_count_to_be_between", "x", column="customer_id",
                              max_value=1),
        # sum(net) of orders where not guest = 12.25, checked on the other side
        dbt_tests.expectation("expect_column_sum_to_be_between", "x", column="lifetime", min_value=12.245,
                              max_value=12.255),
    ])
