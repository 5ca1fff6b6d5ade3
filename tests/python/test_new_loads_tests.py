"""Data tests that follow the batch (macros/generic_tests/unique_in_new_loads.sql).

unique_in_new_loads checks, on an incremental build, only the keys of the loads
(_load_id) above the watermark its last pass recorded (on-run-end hook
record_checked_loads), against the whole model; without a watermark, on
--full-refresh or when the raw table is not loaded incrementally, every row.
Proven on a tiny model in a throw-away dbt project (this repository's macros).
"""

from __future__ import annotations

import json

import pytest

from dbt_sandbox import Sandbox

SCHEMA = """
version: 2

sources:
  - name: shop
    tables:
      - name: things
        columns:
          - name: kind
            meta: {accepted_values: [a, b]}

models:
  - name: kinds
    columns:
      - name: kind
        data_tests:
          - contract_values:
              name: kinds_in_contract
              arguments: {table: things, column: kind, new_loads_of: things}
  - name: keyed
    columns:
      - name: key_id
        data_tests:
          - unique_in_new_loads:
              name: keyed_unique
              arguments: {new_loads_of: things}
  - name: versions
    columns:
      - name: version_id
        data_tests:
          - unique_in_new_loads:
              name: versions_unique
              arguments: {new_loads_of: things, scope_column: thing_id}
"""


def rows_sql(rows: list[tuple]) -> str:
    selects = [f"select '{key}' as key_id, cast({load} as bigint) as _load_id" for key, load in rows]
    return "\nunion all\n".join(selects) + "\n"


def versions_sql(rows: list[tuple]) -> str:
    selects = [f"select '{vid}' as version_id, '{thing}' as thing_id, cast({load} as bigint) as _load_id"
               for vid, thing, load in rows]
    return "\nunion all\n".join(selects) + "\n"


def kinds_sql(rows: list[tuple]) -> str:
    return "\nunion all\n".join(f"select '{kind}' as kind, cast({load} as bigint) as _load_id" for kind, load in rows) + "\n"


@pytest.fixture()
def box(tmp_path):
    sandbox = Sandbox(tmp_path / "new_loads")
    project = sandbox.root / "dbt_project.yml"
    project.write_text(project.read_text(encoding="utf-8")
                       + 'on-run-end:\n  - "{{ record_checked_loads(results) }}"\n', encoding="utf-8")
    sandbox.write("models/schema.yml", SCHEMA)
    sandbox.write("models/versions.sql", versions_sql([("t1-1", "t1", 1)]))
    sandbox.write("models/kinds.sql", kinds_sql([("a", 1)]))
    return sandbox


def build(box: Sandbox, rows: list[tuple], *extra: str, tables: list[str] | None = None):
    box.write("models/keyed.sql", rows_sql(rows))
    variables = {"raw_schema": "raw", "incremental_raw_tables": ["things"] if tables is None else tables}
    return box.dbt("build", "--vars", json.dumps(variables), *extra)


def watermark(box: Sandbox, key: str = "unique_in_new_loads:keyed:key_id") -> list:
    return [r[0] for r in box.query(f"select load_id from raw._checked_loads where check_key = '{key}'")]


def compiled(box: Sandbox, name: str) -> str:
    found = list((box.root / "target" / "compiled").rglob(f"{name}.sql"))
    assert len(found) == 1, found
    return found[0].read_text(encoding="utf-8")


def test_checks_the_new_loads_against_every_row_and_only_a_pass_moves_the_watermark(box):
    # first build: no watermark, every row checked; the pass records the largest load id
    first = build(box, [("k1", 1), ("k2", 1)])
    assert first.success, first.messages()
    assert "_load_id >" not in compiled(box, "keyed_unique")
    assert watermark(box) == [1]

    # a new load with new keys: only its keys are looked up (a semi-join), and it passes
    history = [("k1", 1), ("k2", 1), ("k3", 2), ("k4", 2)]
    second = build(box, history)
    assert second.status("keyed_unique") == "pass", second.messages()
    assert "_load_id > 1" in compiled(box, "keyed_unique")
    assert watermark(box) == [2]

    # a new row duplicating an old key fails, and the watermark stays where the last pass left it
    duplicate_old = build(box, history + [("k1", 3)])
    assert duplicate_old.status("keyed_unique") == "fail"
    assert watermark(box) == [2]

    # two new rows sharing a key fail
    duplicate_new = build(box, history + [("k5", 3), ("k5", 3)])
    assert duplicate_new.status("keyed_unique") == "fail"
    assert watermark(box) == [2]

    # the rows of a failed run are checked again by the next run (the watermark did not move)
    next_load = build(box, history + [("k5", 3), ("k5", 3), ("k6", 4)])
    assert next_load.status("keyed_unique") == "fail"
    fixed = build(box, history + [("k5", 3), ("k6", 4)])
    assert fixed.status("keyed_unique") == "pass", fixed.messages()
    assert watermark(box) == [4]


def test_every_row_is_checked_on_full_refresh_and_when_the_table_is_not_loaded_incrementally(box):
    assert build(box, [("k1", 1), ("k2", 1)]).success
    # rows at or below the watermark passed before: an incremental build does not look at them again
    old_duplicate = [("k1", 1), ("k1", 1), ("k2", 1), ("k3", 2)]
    assert build(box, old_duplicate).status("keyed_unique") == "pass"
    # --full-refresh checks every row (and forgets every watermark)
    refreshed = build(box, old_duplicate, "--full-refresh")
    assert refreshed.status("keyed_unique") == "fail"
    assert "_load_id >" not in compiled(box, "keyed_unique")
    assert watermark(box) == []
    # so does a build with the table not loaded incrementally (its watermarks forgotten too)
    assert build(box, [("k1", 1), ("k2", 1)]).success
    assert watermark(box) == [1]
    not_incremental = build(box, [("k1", 1), ("k2", 1), ("k2", 1)], tables=[])
    assert not_incremental.status("keyed_unique") == "fail"
    assert watermark(box) == []


def test_scope_column_checks_every_row_of_the_keys_a_new_load_touches(box):
    assert build(box, [("k1", 1)]).success
    # an older row of thing t1 re-inserted twice by the run that delivered t1's second version
    box.write("models/versions.sql", versions_sql([("t1-1", "t1", 1), ("t1-1", "t1", 1), ("t1-2", "t1", 2)]))
    result = build(box, [("k1", 1)])
    assert result.status("versions_unique") == "fail"
    box.write("models/versions.sql", versions_sql([("t1-1", "t1", 1), ("t1-2", "t1", 2), ("t2-1", "t2", 2)]))
    assert build(box, [("k1", 1)]).status("versions_unique") == "pass"
    assert watermark(box, "unique_in_new_loads:versions:version_id") == [2]


def test_a_singular_test_in_the_run_does_not_stop_the_hook(box):
    box.write("tests/assert_keyed_has_rows.sql", "select 1 as missing from {{ ref('keyed') }} having count(*) = 0\n")
    result = build(box, [("k1", 1)])
    assert result.success, result.messages()
    assert result.status("assert_keyed_has_rows") == "pass"
    assert watermark(box) == [1]


def test_contract_values_with_new_loads_of_judges_the_new_loads_only(box):
    assert build(box, [("k1", 1)]).status("kinds_in_contract") == "pass"
    box.write("models/kinds.sql", kinds_sql([("a", 1), ("b", 2), ("c", 2)]))
    assert build(box, [("k1", 1)]).status("kinds_in_contract") == "fail"  # c: a new row outside the contract
    assert "_load_id > 1" in compiled(box, "kinds_in_contract")
    box.write("models/kinds.sql", kinds_sql([("a", 1), ("c", 1), ("b", 2)]))
    assert build(box, [("k1", 1)]).status("kinds_in_contract") == "pass"  # c in a load checked before
    assert build(box, [("k1", 1)], "--full-refresh").status("kinds_in_contract") == "fail"
