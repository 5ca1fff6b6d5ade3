"""The dbt data tests of a model (read from the manifest), as GX expectations.

A model's invariants live in its YAML as dbt data tests (docs/quality.md);
GX re-checks those that judge one relation, or one relation against a number
computed in DuckDB from another relation (row_count, sums_reconcile), so the
rules are written once. Expectations written in a model's YAML meta
(meta.expectations) are read here too.
"""

from __future__ import annotations

import re

from ecomseg import contract
from ecomseg.manifest import UNIQUE_TESTS, node_meta, quoted_relation, resolve_ref, tests_of
from ecomseg.validation.common import _scalar, expectation, project_vars, range_arguments

ORIGIN = "dbt test"
_VAR = re.compile(r"""^\s*\{\{\s*var\(\s*['"]([a-z0-9_]+)['"]\s*\)\s*\}\}\s*$""")


def _value(value, variables: dict):
    """A test argument as a number: plain, or "{{ var('x') }}" read from dbt_project.yml
    (None when the var has no plain value there)."""
    if isinstance(value, str):
        match = _VAR.match(value)
        if match:
            value = variables.get(match.group(1))
        if value is None:
            return None
        try:
            return float(value) if "." in str(value) else int(value)
        except ValueError:
            return None
    return value


def _range_args(kw: dict, variables: dict) -> dict | None:
    """values_in_range arguments as expect_column_values_to_be_between arguments; None if a bound is unknown."""
    strict = kw.get("inclusive") is False
    args = {}
    for bound in ("min_value", "max_value"):
        if kw.get(bound) is None:
            continue
        value = _value(kw[bound], variables)
        if value is None:
            return None
        args[bound] = value
        args["strict_min" if bound == "min_value" else "strict_max"] = strict
    return args or None


def _sum(con, relation: str, column: str, where: str | None = None) -> float:
    sql = f"select sum({column}) from {relation}" + (f" where {where}" if where else "")
    return float(_scalar(con, sql) or 0)


def _sum_expectation(column: str, total: float, why: str):
    return expectation("expect_column_sum_to_be_between", f"{ORIGIN} sums_reconcile", why, column=column,
                       min_value=round(total - 0.005, 3), max_value=round(total + 0.005, 3))


def dbt_test_expectations(manifest: dict, node: dict, pii: set[str], con=None) -> list:
    """GX expectations for the node's dbt tests that judge one relation. With a DuckDB
    connection (con), also those that compare it with another relation: row_count and
    sums_reconcile without group_by (the other side's number is computed in DuckDB)."""
    exps = []
    variables = project_vars()
    for t in tests_of(manifest, node):
        col, kw, name, where = t["column"], t["kwargs"], t["name"], t["where"]
        origin = f"{ORIGIN} {name}"
        if col in pii:
            continue  # personal data: values would land in the docs
        if name == "row_count" and con is not None and not where:
            args = {"comparison": kw.get("comparison", "equal")}
            if kw.get("value") is not None:
                expected, why = _value(kw["value"], variables), f"{kw['value']} row(s)"
            else:
                other = resolve_ref(manifest, str(kw.get("compare_model") or ""))
                if other is None:
                    continue
                expression = kw.get("compare_expression") or "count(*)"
                expected = int(_scalar(con, f"select {expression} from {quoted_relation(other)}"))
                why = f"rows vs {expression} of {other['name']}"
            if expected is None:
                continue
            if args["comparison"] == "at_least":
                exps.append(expectation("expect_table_row_count_to_be_between", origin, "at least " + why,
                                        min_value=int(expected)))
            else:
                exps.append(expectation("expect_table_row_count_to_equal", origin, "rows = " + why, value=int(expected)))
            continue
        if name == "sums_reconcile" and con is not None and not kw.get("group_by") and not where and col:
            other = resolve_ref(manifest, str(kw.get("compare_model") or ""))
            if other is not None:
                total = _sum(con, quoted_relation(other), kw["compare_column"])
                exps.append(_sum_expectation(col, total, f"sum equals sum({kw['compare_column']}) of {other['name']}"))
            continue
        if where or col is None:
            continue  # a filtered test or another model-level test: dbt checks it
        if name in UNIQUE_TESTS:
            exps.append(expectation("expect_column_values_to_be_unique", origin, column=col))
        elif name == "not_null":
            exps.append(expectation("expect_column_values_to_not_be_null", origin, column=col))
        elif name == "accepted_values":
            values = list(kw.get("values") or [])
            exps.append(expectation("expect_column_values_to_be_in_set", origin, column=col, value_set=values))
        elif name == "contract_values":  # macros/generic_tests/contract_values.sql
            rule = contract.column(kw["table"], kw["column"])
            if rule.accepted_values is not None or rule.known_values is not None:
                exps.append(expectation("expect_column_values_to_be_in_set", origin, column=col,
                                        value_set=contract.staged_values(kw["table"], kw["column"])))
            if rule.range is not None:
                exps.append(expectation("expect_column_values_to_be_between", origin, column=col,
                                        **range_arguments(rule.range)))
        elif name == "values_in_range":
            args = _range_args(kw, variables)
            if args:
                exps.append(expectation("expect_column_values_to_be_between", origin, column=col, **args))
        elif name == "column_at_most":
            exps.append(expectation("expect_column_pair_values_a_to_be_greater_than_b", origin,
                                    f"{col} <= {kw['other_column']}", column_A=kw["other_column"], column_B=col,
                                    or_equal=True))
        elif name == "one_distinct_value":
            exps.append(expectation("expect_column_unique_value_count_to_be_between", origin,
                                    "one value over the whole relation", column=col, max_value=1))
    return exps


def reconciled_sums_into(manifest: dict, node: dict, con) -> list:
    """sums_reconcile tests of OTHER models that compare with this node, filtered by a
    where (e.g. fct_orders.net_revenue where not is_guest_order = dim_customers.
    lifetime_net_revenue): checked on this node, the other side's filtered sum computed
    in DuckDB."""
    exps = []
    for other in manifest["nodes"].values():
        if other.get("resource_type") != "model":
            continue
        for t in tests_of(manifest, other):
            kw = t["kwargs"]
            if t["name"] != "sums_reconcile" or not t["where"] or kw.get("group_by") or not t["column"]:
                continue
            target = resolve_ref(manifest, str(kw.get("compare_model") or ""))
            if target is None or target["unique_id"] != node["unique_id"]:
                continue
            total = _sum(con, quoted_relation(other), t["column"], t["where"])
            exps.append(_sum_expectation(kw["compare_column"], total,
                                         f"sum equals sum({t['column']}) of {other['name']} where {t['where']}"))
    return exps


def meta_expectations(node: dict) -> list:
    """Expectations written in the model's YAML: config.meta.expectations (model level)
    and columns.<col>.meta.expectations, each {expect_...: {kwargs}}."""
    exps = []
    for item in node_meta(node).get("expectations") or []:
        for name, kwargs in item.items():
            exps.append(expectation(name, "YAML meta", **(kwargs or {})))
    for col_name, col in (node.get("columns") or {}).items():
        for item in node_meta(col).get("expectations") or []:
            for name, kwargs in item.items():
                exps.append(expectation(name, "YAML meta", column=col_name, **(kwargs or {})))
    return exps
