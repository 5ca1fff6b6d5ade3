"""The project's own generic tests, dbt model contracts and model versions,
each proven on tiny hand-made fixtures in a throw-away dbt project.

Every generic test is shown to pass on good data and to fail on bad data
(with the failing rows it reports), so a test that can never fail would be
caught here. The sandbox uses this repository's macros folder (see
dbt_sandbox.py), so these are the very macros the warehouse runs.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from dbt_sandbox import Sandbox
from ecomseg import REPO_ROOT

SEEDS = {
    # sums_reconcile: a and b_good both sum to 10.00 (and per group: x 6.00, y 4.00)
    "amounts_a": "grp,amount\nx,1.50\nx,4.50\ny,4.00\n",
    "amounts_b_good": "grp,amount\nx,6.00\ny,1.00\ny,3.00\n",
    "amounts_b_bad": "grp,amount\nx,6.00\ny,3.99\n",  # one cent short in group y
    "amounts_b_extra_group": "grp,amount\nx,6.00\ny,4.00\nz,0.01\n",  # a group only on one side
    # values_in_range
    "scores": "score_id,score,lift,share\n1,1,0.5,0.0\n2,3,2.0,0.5\n3,5,9.0,1.0\n4,,,\n",
    # only_consenting_customers: the consent source under the name the test reads by default
    "stg_shop__customers": "customer_id,has_marketing_consent\nC1,true\nC2,false\nC3,true\n",
    "activation_good": "customer_id,product_id\nC1,P1\nC3,P2\nC1,P3\n",
    "activation_no_consent": "customer_id,product_id\nC1,P1\nC2,P2\n",  # C2 said no
    "activation_unknown_customer": "customer_id,product_id\nC1,P1\nC9,P2\n",  # C9 not in customers
    "activation_null_customer": "customer_id,product_id\nC1,P1\n,P2\n",
    # relationships and null foreign keys
    "parents": "parent_id\nA\nB\n",
    "children_with_null_fk": "child_id,parent_id\n1,A\n2,\n3,B\n",
    "children_with_orphan": "child_id,parent_id\n1,A\n2,Z\n",
    # column_at_most, one_distinct_value and not_null_columns: small <= big on every row, n one value, small two
    "pairs": "pair_id,small,big,n\n1,1,2,7\n2,3,3,7\n3,,1,\n",
}

SCHEMA = """
version: 2

seeds:
  - name: amounts_a
    columns:
      - name: amount
        data_tests:
          - sums_reconcile:
              name: sums_total_pass
              arguments: {compare_model: ref('amounts_b_good'), compare_column: amount}
          - sums_reconcile:
              name: sums_grouped_pass
              arguments: {compare_model: ref('amounts_b_good'), compare_column: amount, group_by: grp}
          - sums_reconcile:
              name: sums_total_fail
              arguments: {compare_model: ref('amounts_b_bad'), compare_column: amount}
          - sums_reconcile:
              name: sums_grouped_fail
              arguments: {compare_model: ref('amounts_b_bad'), compare_column: amount, group_by: grp}
          - sums_reconcile:
              name: sums_group_on_one_side_fail
              arguments: {compare_model: ref('amounts_b_extra_group'), compare_column: amount, group_by: grp}

  - name: scores
    columns:
      - name: score
        data_tests:
          - values_in_range:
              name: range_inclusive_bounds_pass
              arguments: {min_value: 1, max_value: 5}
          - values_in_range:
              name: range_exclusive_bounds_fail
              arguments: {min_value: 1, max_value: 5, inclusive: false}
          - values_in_range:
              name: range_above_max_fail
              arguments: {max_value: 4}
      - name: lift
        data_tests:
          - values_in_range:
              name: range_lift_positive_pass
              arguments: {min_value: 0, inclusive: false}
          - values_in_range:
              name: range_lift_min_only_fail
              arguments: {min_value: 1}
      - name: share
        data_tests:
          - values_in_range:
              name: range_share_pass
              arguments: {min_value: 0, max_value: 1}

  - name: activation_good
    columns:
      - name: customer_id
        data_tests:
          - only_consenting_customers:
              name: consent_all_consenting_pass
  - name: activation_no_consent
    columns:
      - name: customer_id
        data_tests:
          - only_consenting_customers:
              name: consent_refused_fail
  - name: activation_unknown_customer
    columns:
      - name: customer_id
        data_tests:
          - only_consenting_customers:
              name: consent_missing_customer_fail
  - name: activation_null_customer
    columns:
      - name: customer_id
        data_tests:
          - only_consenting_customers:
              name: consent_null_customer_fail

  - name: children_with_null_fk
    columns:
      - name: parent_id
        data_tests:
          - relationships:
              name: relationships_null_fk_pass
              arguments: {to: ref('parents'), field: parent_id}
  - name: children_with_orphan
    columns:
      - name: parent_id
        data_tests:
          - relationships:
              name: relationships_orphan_fail
              arguments: {to: ref('parents'), field: parent_id}

  - name: pairs
    data_tests:
      - not_null_columns:
          name: not_null_columns_pass
          arguments: {columns: [pair_id, big]}
      - not_null_columns:
          name: not_null_columns_fail
          arguments: {columns: [pair_id, small, big, n]}
    columns:
      - name: small
        data_tests:
          - column_at_most:
              name: at_most_pass
              arguments: {other_column: big}
          - one_distinct_value:
              name: one_value_two_values_fail
      - name: big
        data_tests:
          - column_at_most:
              name: at_most_fail
              arguments: {other_column: small}
      - name: n
        data_tests:
          - one_distinct_value:
              name: one_value_pass

  - name: amounts_b_bad
    data_tests:
      - row_count:
          name: row_count_at_least_fail
          arguments: {compare_model: ref('amounts_a'), comparison: at_least}

models:
  - name: empty_mart
    data_tests:
      - not_empty:
          name: not_empty_on_empty_fail
  - name: filled_mart
    data_tests:
      - not_empty:
          name: not_empty_on_rows_pass
      - not_empty:
          name: not_empty_where_nothing_matches_fail
          config: {where: "id > 100"}
      - row_count:
          name: row_count_value_pass
          arguments: {value: 2}
      - row_count:
          name: row_count_value_fail
          arguments: {value: 1}
      - row_count:
          name: row_count_equal_pass
          arguments: {compare_model: ref('parents')}
      - row_count:
          name: row_count_equal_fail
          arguments: {compare_model: ref('amounts_a')}
      - row_count:
          name: row_count_at_least_pass
          arguments: {compare_model: ref('amounts_a'), compare_expression: count(distinct grp), comparison: at_least}
      - row_count:
          name: row_count_where_fail
          arguments: {compare_model: ref('parents')}
          config: {where: "id > 1"}
"""

EXPECTED = {
    "sums_total_pass": "pass",
    "sums_grouped_pass": "pass",
    "sums_total_fail": "fail",
    "sums_grouped_fail": "fail",
    "sums_group_on_one_side_fail": "fail",
    "range_inclusive_bounds_pass": "pass",
    "range_exclusive_bounds_fail": "fail",
    "range_above_max_fail": "fail",
    "range_lift_positive_pass": "pass",
    "range_lift_min_only_fail": "fail",
    "range_share_pass": "pass",
    "consent_all_consenting_pass": "pass",
    "consent_refused_fail": "fail",
    "consent_missing_customer_fail": "fail",
    "consent_null_customer_fail": "fail",
    "relationships_null_fk_pass": "pass",
    "relationships_orphan_fail": "fail",
    "not_empty_on_empty_fail": "fail",
    "not_empty_on_rows_pass": "pass",
    "not_empty_where_nothing_matches_fail": "fail",
    "at_most_pass": "pass",
    "at_most_fail": "fail",
    "one_value_pass": "pass",
    "one_value_two_values_fail": "fail",
    "row_count_value_pass": "pass",
    "row_count_value_fail": "fail",
    "row_count_equal_pass": "pass",
    "row_count_equal_fail": "fail",
    "row_count_at_least_pass": "pass",
    "row_count_at_least_fail": "fail",
    "row_count_where_fail": "fail",
    "not_null_columns_pass": "pass",
    "not_null_columns_fail": "fail",
}


@pytest.fixture(scope="module")
def tested(tmp_path_factory):
    box = Sandbox(tmp_path_factory.mktemp("generic_tests"))
    for name, text in SEEDS.items():
        box.write(f"seeds/{name}.csv", text)
    box.write("models/empty_mart.sql", "select 1 as id where 1 = 0\n")
    box.write("models/filled_mart.sql", "select 1 as id union all select 2 as id\n")
    box.write("models/schema.yml", SCHEMA)
    # store_failures keeps each failing test's rows, so the tests below can
    # check what a failure reports, not only that it failed
    result = box.dbt("build", "--store-failures")
    return box, result


@pytest.mark.parametrize("test_name", sorted(EXPECTED))
def test_generic_test_passes_on_good_and_fails_on_bad_data(tested, test_name):
    _, result = tested
    assert result.status(f".{test_name}") == EXPECTED[test_name], result.messages()


def test_failures_report_the_offending_rows(tested):
    box, _ = tested
    failing = {name: box.query(f'select * from dbt_test__audit."{name}" order by all')
               for name, status in EXPECTED.items() if status == "fail"}
    # sums: the mismatching key and both sums
    assert failing["sums_total_fail"] == [("all rows", pytest.approx(10.0), pytest.approx(9.99))]
    assert failing["sums_grouped_fail"] == [("y", pytest.approx(4.0), pytest.approx(3.99))]
    assert failing["sums_group_on_one_side_fail"] == [("z", 0, pytest.approx(0.01))]
    # ranges: the offending values (nulls pass)
    assert failing["range_exclusive_bounds_fail"] == [(1, 1), (5, 1)]
    assert failing["range_above_max_fail"] == [(5, 1)]
    assert failing["range_lift_min_only_fail"] == [(pytest.approx(0.5), 1)]
    # consent: the customers who must not be activated, however they fail
    assert failing["consent_refused_fail"] == [("C2", 1)]
    assert failing["consent_missing_customer_fail"] == [("C9", 1)]
    assert failing["consent_null_customer_fail"] == [(None, 1)]
    assert failing["not_empty_on_empty_fail"] == [(0,)]
    # row counts: the model's rows and the number they were compared with
    assert failing["row_count_value_fail"] == [(2, 1)]
    assert failing["row_count_equal_fail"] == [(2, 3)]
    assert failing["row_count_at_least_fail"] == [(2, 3)]
    assert failing["row_count_where_fail"] == [(1, 2)]
    # column pairs: the offending pair and how often; distinct values: each of them
    assert failing["at_most_fail"] == [(2, 1, 1)]
    assert failing["one_value_two_values_fail"] == [(1,), (3,)]
    # not_null_columns: each column with nulls and how many
    assert failing["not_null_columns_fail"] == [("n", 1), ("small", 1)]


def test_values_in_range_needs_a_bound(tmp_path):
    box = Sandbox(tmp_path)
    box.write("seeds/one.csv", "x\n1\n")
    box.write("seeds/schema.yml", """
        version: 2
        seeds:
          - name: one
            columns:
              - name: x
                data_tests: [values_in_range]
        """)
    result = box.dbt("build")
    assert not result.success
    assert "give min_value, max_value or both" in result.messages()


# --- contracts and versions ---------------------------------------------------

TYPE_LITERALS = {
    "string": "'x'", "int": "1", "bigint": "1", "double": "1.5", "boolean": "true",
    "date": "'2024-01-01'", "timestamp": "'2024-01-01 10:00:00'",
}


def _literal(data_type: str) -> str:
    data_type = data_type.replace(" ", "").lower()
    if data_type.startswith("decimal"):
        return f"cast(1.25 as {data_type})"
    return f"cast({TYPE_LITERALS[data_type]} as {data_type})"


def _real_mart() -> dict:
    """One real mart's YAML entry (name + typed columns), read from models/marts."""
    for path in sorted((REPO_ROOT / "models" / "marts").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            columns = model.get("columns") or []
            if columns and all(c.get("data_type") for c in columns):
                return model
    pytest.skip("no mart with a typed contract in models/marts")


def _mart_yaml(model: dict, extra: str = "") -> str:
    columns = "\n".join(
        f"      - name: {c['name']}\n        data_type: {c['data_type']}\n        description: copy"
        for c in model["columns"])
    return textwrap.dedent(f"""
        version: 2
        models:
          - name: {model['name']}
            description: Throw-away copy of the real mart's contract.
            config:
              contract: {{enforced: true}}
            columns:
        """) + columns + "\n" + extra


def _mart_sql(model: dict, override: dict[str, str] | None = None, drop: str | None = None) -> str:
    override = override or {}
    select = [f"{override.get(c['name'], _literal(c['data_type']))} as {c['name']}"
              for c in model["columns"] if c["name"] != drop]
    return "select\n    " + ",\n    ".join(select) + "\n"


@pytest.fixture(scope="module")
def contract_box(tmp_path_factory):
    model = _real_mart()
    box = Sandbox(tmp_path_factory.mktemp("contracts"))
    box.write("models/schema.yml", _mart_yaml(model))
    return box, model


def test_copy_of_a_real_mart_honouring_its_contract_builds(contract_box):
    box, model = contract_box
    box.write(f"models/{model['name']}.sql", _mart_sql(model))
    result = box.dbt("build")
    assert result.success, result.messages()
    built = box.query(f"select * from main.{model['name']}")
    assert len(built) == 1


@pytest.mark.parametrize("change", ["type", "dropped column", "renamed column"])
def test_a_change_breaking_the_contract_fails_the_build(contract_box, change):
    box, model = contract_box
    first = model["columns"][0]["name"]
    numeric = next((c for c in model["columns"] if not c["data_type"].startswith("string")), None)
    if change == "type":
        if numeric is None:
            pytest.skip("mart has only string columns")
        sql = _mart_sql(model, override={numeric["name"]: "cast('1' as varchar)"})
    elif change == "dropped column":
        sql = _mart_sql(model, drop=first)
    else:
        sql = _mart_sql(model).replace(f" as {first},", f" as {first}_renamed,", 1)
        sql = sql.replace(f" as {first}\n", f" as {first}_renamed\n", 1)
    box.write(f"models/{model['name']}.sql", sql)
    try:
        result = box.dbt("build")
    finally:
        box.write(f"models/{model['name']}.sql", _mart_sql(model))  # restore for the next case
    assert not result.success
    assert "contract" in result.messages().lower(), result.messages()


def test_a_breaking_change_ships_as_a_new_version_beside_the_old_one(tmp_path):
    """The pattern docs/quality.md prescribes: v1 stays in <mart>.sql at the unversioned
    address (defined_in + alias), v2 drops a column and builds beside it at <mart>_v2; both
    enforce their contracts, and ref() without a version reads latest_version. A past
    deprecation_date only warns."""
    box = Sandbox(tmp_path)
    box.write("models/customer_scores.sql",
              "select cast('C1' as varchar) as customer_id, cast(3 as int) as score, cast('x' as varchar) as legacy_band\n")
    box.write("models/customer_scores_v2.sql",
              "select cast('C1' as varchar) as customer_id, cast(3 as int) as score\n")
    box.write("models/reader.sql", "select customer_id from {{ ref('customer_scores') }}\n")
    box.write("models/schema.yml", """
        version: 2
        models:
          - name: customer_scores
            description: A versioned BI mart.
            latest_version: 1
            config:
              contract: {enforced: true}
            columns:
              - name: customer_id
                data_type: string
                description: Customer.
              - name: score
                data_type: int
                description: Score.
              - name: legacy_band
                data_type: string
                description: Dropped in v2.
            versions:
              - v: 1
                defined_in: customer_scores
                config: {alias: customer_scores}
                deprecation_date: 2000-01-01
              - v: 2
                columns:
                  - include: all
                    exclude: [legacy_band]
        """)
    result = box.dbt("build")
    assert result.success, result.messages()
    tables = {r[0] for r in box.query("select table_name from information_schema.tables")}
    assert {"customer_scores", "customer_scores_v2", "reader"} <= tables  # v1 kept its address
    assert box.query("select count(*) from main.customer_scores")[0][0] == 1
    assert [r[0] for r in box.query(
        "select column_name from information_schema.columns where table_name = 'customer_scores_v2' order by ordinal_position"
    )] == ["customer_id", "score"]
    # the unversioned ref() reads latest_version (v1, at the unversioned address)
    reader_sql = (box.root / "target" / "compiled" / "ecommerce_segmentation" / "models" / "reader.sql").read_text()
    assert '"customer_scores"' in reader_sql and "customer_scores_v2" not in reader_sql
    # v2 is enforced too: putting the dropped column back breaks its contract
    box.write("models/customer_scores_v2.sql",
              "select cast('C1' as varchar) as customer_id, cast(3 as int) as score, cast('x' as varchar) as legacy_band\n")
    broken = box.dbt("build", "--select", "customer_scores.v2")
    assert not broken.success
    assert "contract" in broken.messages().lower()


def test_generic_tests_live_in_one_folder():
    """sums_reconcile was moved to macros/generic_tests/ (same name and arguments)."""
    folder = REPO_ROOT / "macros" / "generic_tests"
    for name in ("rows_reconcile", "sums_reconcile", "values_in_range", "not_empty", "only_consenting_customers"):
        assert (folder / f"{name}.sql").exists(), name
        assert f"{{% test {name}(" in (folder / f"{name}.sql").read_text(encoding="utf-8")
    defined = [p for p in (REPO_ROOT / "macros").rglob("*.sql") if "{% test sums_reconcile(" in p.read_text(encoding="utf-8")]
    assert defined == [folder / "sums_reconcile.sql"]
