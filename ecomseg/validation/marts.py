"""The marts layer: every mart in the manifest, checked against its contract
(columns and types), its dbt data tests (its invariants, written in its YAML),
the name rules every mart follows, and the expectations in its YAML meta."""

from __future__ import annotations

import re

import pandas as pd

from ecomseg.manifest import model_nodes, node_meta, primary_key, quoted_relation, relation_name
from ecomseg.validation.common import (FrameValue, QuerySource, Suite, _columns_and_types, _columns_of, _dedupe,
                                       _exists, _schema_frame, duckdb_type, expectation, schema_expectations)
from ecomseg.validation.dbt_tests import dbt_test_expectations, meta_expectations, reconciled_sums_into

NUMERIC = {"INTEGER", "BIGINT", "SMALLINT", "DOUBLE", "FLOAT"}
RFM_SCORE = re.compile(r"^(r|f|m|recency|frequency|monetary)_score$")


def name_rule_expectations(columns: dict[str, str]) -> list:
    """columns: name -> DuckDB type. Conventions of this project's marts:
    *_count >= 0; *_rate, support, confidence, *_support, *_share in [0, 1];
    lift > 0; revenue columns >= 0; RFM scores 1-5 with every score present;
    *_key of a customer is a 32-hex-digit hash."""
    exps = []
    for name, dtype in columns.items():
        numeric = dtype in NUMERIC or dtype.startswith("DECIMAL")
        origin = "name rule"
        if RFM_SCORE.match(name):
            exps.append(expectation("expect_column_values_to_be_in_set", origin, "RFM scores are 1-5",
                                    column=name, value_set=[1, 2, 3, 4, 5]))
            if name.startswith("f"):
                # order counts tie heavily (most customers order once) and tied
                # customers share a quintile, so not every frequency score need occur
                exps.append(expectation("expect_column_unique_value_count_to_be_between", origin,
                                        "frequency scores separate customers (at least 2 scores occur)",
                                        column=name, min_value=2))
            else:
                exps.append(expectation("expect_column_distinct_values_to_equal_set", origin,
                                        "every score 1-5 occurs (quintiles)", column=name, value_set=[1, 2, 3, 4, 5]))
        elif not numeric:
            if name.endswith(("customer_key", "person_key")):
                exps.append(expectation("expect_column_values_to_match_regex", origin,
                                        "a salted pseudonymous key is an md5 hash", column=name, regex=r"^[0-9a-f]{32}$"))
            continue
        elif name.endswith("_count"):
            exps.append(expectation("expect_column_values_to_be_between", origin, "a count is >= 0", column=name, min_value=0))
        elif name.endswith("_rate") or name.endswith("_share") or name in ("support", "confidence") \
                or name.endswith("_support") or name.endswith("_confidence"):
            exps.append(expectation("expect_column_values_to_be_between", origin, "a share is within 0-1",
                                    column=name, min_value=0, max_value=1))
        elif name == "lift" or name.endswith("_lift"):
            exps.append(expectation("expect_column_values_to_be_between", origin, "lift is > 0",
                                    column=name, min_value=0, strict_min=True))
        elif re.search(r"(^|_)revenue(_|$)", name) and not re.search(r"delta|change|diff|growth", name):
            exps.append(expectation("expect_column_values_to_be_between", origin, "revenue is >= 0", column=name, min_value=0))
    return exps



def mart_suites(con, manifest: dict) -> list[Suite]:
    suites = []
    for node in model_nodes(manifest, "marts"):
        schema, name = node["schema"], node.get("alias") or node["name"]
        label = relation_name(node)
        if not _exists(con, schema, name):
            suites.append(Suite(label, "marts", FrameValue(pd.DataFrame({"relation": []})), [
                expectation("expect_table_row_count_to_equal", "manifest", "the mart was built", value=1)],
                description="mart in the manifest but not in the warehouse"))
            continue
        actual = _columns_and_types(con, schema, name)
        declared = {c: (col.get("data_type") or "") for c, col in (node.get("columns") or {}).items()}
        pii = {c for c, col in (node.get("columns") or {}).items() if node_meta(col).get("pii")}
        schema_exps = schema_expectations([f"{c}: {duckdb_type(t)}" for c, t in declared.items()], "contract",
                                          exact=True, typed=True)
        suites.append(Suite(label + ".schema", "marts", FrameValue(_schema_frame(actual)), schema_exps,
                            description=f"columns and types of {label} against its dbt contract"))

        exps = []
        key = primary_key(manifest, node)
        exps += dbt_test_expectations(manifest, node, pii, con)
        exps += reconciled_sums_into(manifest, node, con)
        exps += name_rule_expectations({c: t for c, t in actual.items() if c not in pii})
        exps += meta_expectations(node)
        exps = [e for e in exps if all(c in actual for c in _columns_of(e))]
        description = f"{label}: primary key {key}" if key else f"{label}: no primary key test"
        suites.append(Suite(label, "marts", QuerySource(con, f"select * from {quoted_relation(node)}"),
                            _dedupe(exps), description=description))
    return suites
