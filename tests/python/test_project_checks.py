"""The dbt-project-evaluator rules (ecomseg.project_checks) on the real manifest,
and on copies broken on purpose: every rule must fire on its own defect."""

from __future__ import annotations

import copy

import pytest

from ecomseg.dbt_runner import run_dbt
from ecomseg.manifest import load_manifest
from ecomseg.project_checks import check_manifest

P = "ecommerce_segmentation"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    target = tmp_path_factory.mktemp("parse")
    run_dbt(["parse"], target_path=target, duckdb_path=target / "parse.duckdb")
    return load_manifest(target / "manifest.json")


def rules(manifest) -> set[str]:
    return {v.rule for v in check_manifest(manifest)}


def model(manifest, name):
    node = manifest["nodes"].get(f"model.{P}.{name}")
    if node is None:  # a versioned mart: its latest version
        (node,) = [n for n in manifest["nodes"].values()
                   if n["resource_type"] == "model" and n["name"] == name
                   and n.get("version") is not None and n["version"] == n.get("latest_version")]
    return node


def test_the_project_honours_every_rule(manifest):
    assert [str(v) for v in check_manifest(manifest)] == []


def test_a_model_reading_a_source_outside_base_is_caught(manifest):
    m = copy.deepcopy(manifest)
    model(m, "stg_shop__orders")["depends_on"]["nodes"].append(f"source.{P}.shop.orders")
    assert {"sources-only-in-base", "source-fanout"} <= rules(m)


def test_a_root_model_and_bad_names_are_caught(manifest):
    m = copy.deepcopy(manifest)
    model(m, "stg_shop__orders")["original_file_path"] = "models/stg_shop__orders.sql"
    model(m, "stg_shop__products")["name"] = "products_clean"
    found = {(v.rule, v.node.split(".")[-1]) for v in check_manifest(m)}
    assert ("root-models", "stg_shop__orders") in found
    assert ("layer-naming", "stg_shop__products") in found


def test_a_model_without_primary_key_test_is_caught(manifest):
    m = copy.deepcopy(manifest)
    uid = f"model.{P}.stg_shop__products"
    for test in m["nodes"].values():
        if test.get("attached_node") == uid and (test.get("test_metadata") or {}).get("name") == "unique":
            test["attached_node"] = "nowhere"
    assert "primary-key-test" in rules(m)


def test_unique_in_new_loads_is_a_primary_key_test(manifest):
    """stg_shop__events' key is tested by unique_in_new_loads (incremental data tests), not unique."""
    uid = f"model.{P}.stg_shop__events"
    names = {(t.get("test_metadata") or {}).get("name") for t in manifest["nodes"].values() if t.get("attached_node") == uid}
    assert "unique_in_new_loads" in names and "unique" not in names
    assert "primary-key-test" not in {v.rule for v in check_manifest(manifest) if v.node == uid}
    m = copy.deepcopy(manifest)
    for test in m["nodes"].values():
        if test.get("attached_node") == uid and (test.get("test_metadata") or {}).get("name") == "unique_in_new_loads":
            test["attached_node"] = "nowhere"
    assert "primary-key-test" in {v.rule for v in check_manifest(m) if v.node == uid}


def test_an_exemption_must_give_a_reason(manifest):
    m = copy.deepcopy(manifest)
    model(m, "base_shop__orders")["config"]["meta"]["primary_key_exempt"] = "no"
    assert "primary-key-test" in rules(m)


def test_missing_descriptions_are_caught(manifest):
    m = copy.deepcopy(manifest)
    model(m, "stg_shop__orders")["columns"]["order_id"]["description"] = ""
    m["sources"][f"source.{P}.shop.events"]["description"] = " "
    assert sum(v.rule == "descriptions" for v in check_manifest(m)) == 2


def test_source_without_freshness_is_caught(manifest):
    m = copy.deepcopy(manifest)
    m["sources"][f"source.{P}.shop.orders"]["freshness"] = None
    assert "source-freshness" in rules(m)


def test_marts_need_public_access_and_enforced_typed_contracts(manifest):
    m = copy.deepcopy(manifest)
    node = copy.deepcopy(model(m, "stg_shop__orders"))
    node.update(unique_id=f"model.{P}.fct_example", name="fct_example",
                original_file_path="models/marts/core/fct_example.sql", access="protected",
                raw_code="with o as (select * from {{ ref('stg_shop__orders') }})\nselect * from o")
    node["config"]["contract"] = {"enforced": False}
    m["nodes"][node["unique_id"]] = node
    messages = [v.message for v in check_manifest(m) if v.node.endswith("fct_example")]
    assert "mart contract is not enforced" in messages
    assert "mart access is not public" in messages
    assert any(msg.startswith("columns without data_type") for msg in messages)
    assert any("select * from o" in msg for msg in messages)


def test_marts_must_be_versioned_at_a_stable_address(manifest):
    m = copy.deepcopy(manifest)
    unversioned = copy.deepcopy(model(m, "dim_customers"))
    unversioned.update(unique_id=f"model.{P}.dim_unversioned", name="dim_unversioned",
                       alias="dim_unversioned", version=None, latest_version=None)
    moved = copy.deepcopy(model(m, "dim_customers"))
    moved.update(unique_id=f"model.{P}.dim_moved.v1", name="dim_moved", alias="dim_moved_v1")
    m["nodes"][unversioned["unique_id"]] = unversioned
    m["nodes"][moved["unique_id"]] = moved
    found = {(v.rule, v.node): v.message for v in check_manifest(m) if v.rule == "mart-versions"}
    assert found[("mart-versions", f"model.{P}.dim_unversioned")] == "mart is not versioned (latest_version and versions)"
    assert "alias dim_moved, not dim_moved_v1" in found[("mart-versions", f"model.{P}.dim_moved.v1")]
    assert len(found) == 2


def test_marts_must_not_read_base_models(manifest):
    m = copy.deepcopy(manifest)
    node = copy.deepcopy(model(m, "stg_shop__orders"))
    node.update(unique_id=f"model.{P}.dim_example", name="dim_example",
                original_file_path="models/marts/core/dim_example.sql")
    m["nodes"][node["unique_id"]] = node
    assert ("layer-dependencies", f"model.{P}.dim_example") in {(v.rule, v.node) for v in check_manifest(m)}


def test_hard_coded_table_names_are_caught(manifest):
    m = copy.deepcopy(manifest)
    model(m, "stg_shop__products")["raw_code"] += (
        "\nunion all select extract(year from x), trim(both ' ' from y) from raw.products")
    found = [v for v in check_manifest(m) if v.rule == "hard-coded-references"]
    assert len(found) == 1 and "raw.products" in found[0].message


def test_calendar_values_read_off_utc_timestamps_are_caught(manifest):
    m = copy.deepcopy(manifest)
    model(m, "stg_shop__orders")["raw_code"] += (
        "\nselect cast(orders.ordered_at as date), extract(hour from ordered_at),"
        " {{ iso_day_of_week('ordered_at') }}, {{ shop_date('ordered_at') }},"
        " extract(hour from {{ to_shop_time('ordered_at') }}) from final")
    found = [v.message for v in check_manifest(m) if v.rule == "shop-time"]
    assert len(found) == 3
    for snippet in ("cast(orders.ordered_at as date)", "extract(hour from ordered_at)", "iso_day_of_week('ordered_at'"):
        assert sum(snippet in message for message in found) == 1, (snippet, found)


def test_a_base_model_reading_a_staging_model_is_caught(manifest):
    m = copy.deepcopy(manifest)
    model(m, "base_shop__order_items")["depends_on"]["nodes"].append(f"model.{P}.stg_shop__orders")
    found = [v for v in check_manifest(m) if v.rule == "layer-dependencies"]
    assert [(v.node, v.message) for v in found] == [
        (f"model.{P}.base_shop__order_items", "base_ model reads stg_shop__orders; read sources and base_ models only")]


def test_the_real_base_models_read_only_sources_and_base_models(manifest):
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"].startswith("base_"):
            deps = node["depends_on"]["nodes"]
            assert all(d.startswith(("source.", f"model.{P}.base_")) for d in deps), (node["name"], deps)
    assert f"model.{P}.base_shop__orders" in model(manifest, "base_shop__order_items")["depends_on"]["nodes"]
    assert f"model.{P}.base_shop__orders" in model(manifest, "base_shop__returns")["depends_on"]["nodes"]


def test_parsing_again_in_staging_or_quarantine_is_caught(manifest):
    m = copy.deepcopy(manifest)
    # in the model's own code
    model(m, "stg_shop__products")["raw_code"] += "\n{# clean_text(x) in a comment is fine #} select {{ clean_text('brand') }}"
    # through a macro that calls a parsing macro (followed to the end)
    helper = f"macro.{P}.helper_that_parses"
    m["macros"][helper] = {"depends_on": {"macros": [f"macro.{P}.try_parse_date"]}}
    model(m, "quarantine_shop__orders")["depends_on"]["macros"].append(helper)
    found = {(v.node.split(".")[-1], v.message.split(":")[0]) for v in check_manifest(m) if v.rule == "parse-once"}
    assert {node for node, _ in found} == {"stg_shop__products", "quarantine_shop__orders"}
    assert ("stg_shop__products", "calls clean_text") in found
    # try_parse_date, and what it calls in turn (try_parse_timestamp, its engine's variant, clean_text)
    assert {("quarantine_shop__orders", "calls try_parse_date"), ("quarantine_shop__orders", "calls try_parse_timestamp"),
            ("quarantine_shop__orders", "calls clean_text")} <= found
    # a base_ model parses: that is where it belongs
    model(m, "base_shop__products")["raw_code"] += "\nselect {{ try_parse_decimal('list_price') }}"
    assert not any(v.node.endswith("base_shop__products") for v in check_manifest(m) if v.rule == "parse-once")


def test_ctes_written_by_a_ctes_macro_are_ctes_and_nothing_else_is(manifest):
    m = copy.deepcopy(manifest)
    node = model(m, "base_shop__products")
    assert "from deduplicated" in node["raw_code"]  # a CTE that quarantine_reason_ctes writes
    node["raw_code"] += "\nunion all select * from undeclared\nunion all select * from {{ other_macro('declared') }} declared"
    found = [v.message for v in check_manifest(m) if v.rule == "hard-coded-references"]
    assert found == ["reads 'undeclared' directly; use ref() or source()"]


def test_a_mart_reading_another_mart_is_caught_unless_exempt_with_a_reason(manifest):
    m = copy.deepcopy(manifest)
    reader = model(m, "customer_profile_overall")
    reader["depends_on"]["nodes"].append(model(m, "dim_customers")["unique_id"])
    found = [v for v in check_manifest(m) if v.rule == "marts-read-no-marts"]
    assert [(v.node, "dim_customers" in v.message) for v in found] == [(reader["unique_id"], True)]
    reader["config"].setdefault("meta", {})["mart_dependency_exempt"] = "short"
    assert any(v.rule == "marts-read-no-marts" for v in check_manifest(m))
    reader["config"]["meta"]["mart_dependency_exempt"] = "the record itself, kept for a stated reason"
    assert not any(v.rule == "marts-read-no-marts" for v in check_manifest(m))


def test_the_as_of_date_macro_outside_int_as_of_date_is_caught(manifest):
    m = copy.deepcopy(manifest)
    node = model(m, "int_customer_rfm_metrics")
    node["raw_code"] += "\n-- as_of_date() in a comment is fine\n{# and as_of_date() here #}\n"
    assert not any(v.rule == "as-of-date-visible" for v in check_manifest(m))
    node["raw_code"] += "\nselect {{ as_of_date('x') }} as d\n"
    found = [v.node for v in check_manifest(m) if v.rule == "as-of-date-visible"]
    assert found == [node["unique_id"]]


def test_a_yaml_file_name_used_in_two_folders_is_caught(manifest):
    m = copy.deepcopy(manifest)
    node = model(m, "int_customer_rfm_metrics")
    node["patch_path"] = f"{P}://models/intermediate/segments/_segments__models.yml"
    found = [v for v in check_manifest(m) if v.rule == "yaml-names-unique"]
    assert [v.node for v in found] == ["_segments__models.yml"]
    assert "models/intermediate/segments" in found[0].message and "models/marts/segments" in found[0].message


def test_an_adapter_variant_outside_its_dispatchers_file_is_caught(manifest):
    from ecomseg.project_checks import DISPATCH_RULE_PENDING
    m = copy.deepcopy(manifest)
    variant = m["macros"][f"macro.{P}.spark__days_between"]
    assert variant["original_file_path"] == "macros/cross_db/date_and_integer_math.sql"
    variant["original_file_path"] = "macros/spark/days_between.sql"
    # a variant with no dispatcher anywhere, and one overriding a dbt macro (dispatched in dbt's package: fine)
    for name in ("duckdb__orphan_helper", "spark__type_string"):
        m["macros"][f"macro.{P}.{name}"] = dict(copy.deepcopy(variant), name=name, unique_id=f"macro.{P}.{name}",
                                                 original_file_path="macros/cross_db/text.sql")
    found = sorted((v.node.split(".")[-1], v.message) for v in check_manifest(m) if v.rule == "dispatch-variants")
    assert found == [
        ("duckdb__orphan_helper", "is named like a variant of orphan_helper, but nothing dispatches orphan_helper: "
                                  "call it through a dispatcher or rename it"),
        ("spark__days_between", "lives in macros/spark/days_between.sql, its dispatcher days_between in "
                                "macros/cross_db/date_and_integer_math.sql: put every variant in the dispatcher's file"),
    ]
    # the raw loader is checked too (it was exempt until its variants moved beside their dispatchers)
    m = copy.deepcopy(manifest)
    m["macros"][f"macro.{P}.spark__find_raw_files"]["original_file_path"] = "macros/loading/spark_files.sql"
    found = [(v.node.split(".")[-1], v.message) for v in check_manifest(m) if v.rule == "dispatch-variants"]
    assert found == [("spark__find_raw_files", "lives in macros/loading/spark_files.sql, its dispatcher find_raw_files "
                                               "in macros/loading/raw_files.sql: put every variant in the dispatcher's file")]
    # files not checked yet: each entry must still be needed (remove it once its files pass)
    for folder in DISPATCH_RULE_PENDING:
        m = copy.deepcopy(manifest)
        saved = dict(DISPATCH_RULE_PENDING)
        try:
            del DISPATCH_RULE_PENDING[folder]
            still = [v for v in check_manifest(m) if v.rule == "dispatch-variants"]
        finally:
            DISPATCH_RULE_PENDING.clear()
            DISPATCH_RULE_PENDING.update(saved)
        assert still, f"{folder} passes dispatch-variants now: remove it from DISPATCH_RULE_PENDING"


def test_undocumented_macros_and_arguments_are_caught(manifest):
    m = copy.deepcopy(manifest)
    m["macros"][f"macro.{P}.share"]["description"] = ""
    m["macros"][f"macro.{P}.csv_parts"]["arguments"][0]["description"] = ""   # the loader is documented too
    days = m["macros"][f"macro.{P}.days_between"]
    assert [a["name"] for a in days["arguments"]] == ["start_date", "end_date"]
    days["arguments"] = [days["arguments"][0], {"name": "end_day", "description": "not an argument"}]
    found = sorted((v.node.split(".")[-1], v.message) for v in check_manifest(m) if v.rule == "macro-docs")
    assert found == [
        ("csv_parts", "argument files has no description (macros/_macros.yml)"),
        ("days_between", "argument end_date has no description (macros/_macros.yml)"),
        ("days_between", "documents an argument end_day that the macro does not have"),
        ("share", "no description (macros/_macros.yml)"),
    ]


def test_macro_signatures_with_brackets_in_defaults_are_read_whole():
    from ecomseg.project_checks import _macro_params
    assert _macro_params("{% test row_count(model, expr='count(*)', value=none, how='equal') %}") == [
        "model", "expr", "value", "how"]
    assert _macro_params("{%- macro pair(a, b=(1, 2), c={'x': 'y,z'}) -%}") == ["a", "b", "c"]
    assert _macro_params("{% macro bare() %}") == []
    assert _macro_params("{% macro no_brackets %}") == []
