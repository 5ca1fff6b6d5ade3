"""The staging and quarantine layers: every stg_ and quarantine_ model's
documented columns, its dbt tests, and the raw data contract's rules."""

from __future__ import annotations

from ecomseg import contract
from ecomseg.manifest import model_nodes, node_meta, quoted_relation, relation_name
from ecomseg.validation.common import (FrameValue, QuerySource, Suite, _columns_and_types, _columns_of, _dedupe,
                                       _exists, _schema_frame, expectation, range_arguments, schema_expectations)
from ecomseg.validation.dbt_tests import dbt_test_expectations

REASON_CODES = ("missing_required", "unparseable", "out_of_range", "invalid_value", "unknown_exchange_rate",
                "unknown_order", "duplicate_key")
# A raw column staged under another name (stg_shop__<table>), for the contract's
# ranges re-checked on staging; every other checked column keeps its name.
STAGED_COLUMN_NAMES = {("returns", "quantity"): "returned_quantity"}


def staging_suites(con, manifest: dict) -> list[Suite]:
    suites = []
    for node in model_nodes(manifest, "staging"):
        schema, name = node["schema"], node.get("alias") or node["name"]
        if not (name.startswith("stg_") or name.startswith("quarantine_")):
            continue  # base_ views are checked through the raw suites
        label = relation_name(node)
        layer = "quarantine" if name.startswith("quarantine_") else "staging"
        if not _exists(con, schema, name):
            continue
        actual = _columns_and_types(con, schema, name)
        declared = sorted((node.get("columns") or {}).keys())
        pii = {c for c, col in (node.get("columns") or {}).items() if node_meta(col).get("pii")}
        suites.append(Suite(label + ".schema", layer, FrameValue(_schema_frame(actual)),
            schema_expectations(declared, "YAML", exact=False, typed=False),
            description=f"documented columns of {label}"))
        exps = dbt_test_expectations(manifest, node, pii)
        if layer == "quarantine":
            if name.startswith("quarantine_shop__"):  # not quarantine_limits: its rows are checks
                exps += quarantine_expectations(name.removeprefix("quarantine_shop__"))
        else:
            exps += staging_extra_expectations(name)
        exps = [e for e in exps if all(c in actual for c in _columns_of(e))]
        suites.append(Suite(label, layer, QuerySource(con, f"select * from {quoted_relation(node)}"), _dedupe(exps),
                            description=f"{label}: its dbt tests and contract rules"))
    return suites


def staging_extra_expectations(name: str) -> list:
    """The raw data contract's ranges (column meta range) re-checked on the
    stg_shop__<table> model, plus ranges that follow from them."""
    exps = []
    table_name = name.removeprefix("stg_shop__")
    if name.startswith("stg_shop__") and table_name in contract.tables():
        for col in contract.table(table_name).columns:
            if col.range is not None:
                exps.append(expectation("expect_column_values_to_be_between", "contract", "raw data contract range",
                                        column=STAGED_COLUMN_NAMES.get((table_name, col.name), col.name),
                                        **range_arguments(col.range)))
    if name == "stg_shop__order_items":  # quantity > 0 and unit_price >= 0
        exps.append(expectation("expect_column_values_to_be_between", "hand-written", "quantity x unit price",
                                column="gross_amount", min_value=0, strict_min=False))
    return exps


def quarantine_expectations(table: str) -> list:
    columns = contract.table(table).column_names + ["csv_record"]
    pattern = (r"^(?:(?:missing_required|unparseable|out_of_range|invalid_value):(?:" + "|".join(columns)
               + r"))$|^(?:unknown_order|duplicate_key|unknown_exchange_rate:currency)$")
    return [
        expectation("expect_column_values_to_match_regex", "contract",
                    "a documented reason naming a contract column", column="quarantine_reason", regex=pattern),
        expectation("expect_column_values_to_be_in_set", "contract", "documented reason codes",
                    column="reason_code", value_set=list(REASON_CODES)),
        expectation("expect_column_values_to_be_in_set", "contract", "rows of this table only",
                    column="source_table", value_set=[table]),
        expectation("expect_column_values_to_not_be_null", "contract", "the raw row is kept", column="raw_record"),
        expectation("expect_column_values_to_be_unique", "contract", "quarantine_id is the key", column="quarantine_id"),
    ]

