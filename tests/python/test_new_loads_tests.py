"""Data tests that follow the batch (macros/generic_tests/unique_in_new_loads.sql).

unique_in_new_loads checks, on an incremental build, only the keys of the loads
(_load_id) above the watermark its last pass recorded (on-run-end hook
record_checked_loads), against the whole model; without a watermark, on
--full-refresh or when the raw table is not loaded incrementally, every row.
Proven on a tiny model in a throw-away dbt project (this repository's macros);
relationships_in_new_loads and rows_reconcile with new_loads_of follow the batch
the same way.
"""

from __future__ import annotations

import json

import duckdb
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
  - name: stamped
    columns:
      - name: stamped_id
        data_tests:
          - unique_in_new_loads:
              name: stamped_unique
              arguments: {new_loads_of: things, load_column: _run_id}
          - accepted_values_in_new_loads:
              name: stamped_accepted
              arguments: {values: [s1, s2, s3, s4], new_loads_of: things, load_column: _run_id}
      - name: step
        data_tests:
          - accepted_values_in_new_loads:
              name: stamped_steps
              arguments: {values: [0, 1, 2], quote: false, new_loads_of: things, load_column: _run_id}
"""


def rows_sql(rows: list[tuple]) -> str:
    selects = [f"select '{key}' as key_id, cast({load} as bigint) as _load_id" for key, load in rows]
    return "\nunion all\n".join(selects) + "\n"


def stamped_sql(rows: list[tuple]) -> str:
    """Rows (stamped_id, _run_id) or (stamped_id, _run_id, step); step 0 when not given."""
    return "\nunion all\n".join(f"select '{row[0]}' as stamped_id, cast({row[1]} as bigint) as _run_id, "
                                f"cast({row[2] if len(row) > 2 else 0} as int) as step"
                                for row in rows) + "\n"


def versions_sql(rows: list[tuple]) -> str:
    selects = [f"select '{vid}' as version_id, '{thing}' as thing_id, cast({load} as bigint) as _load_id"
               for vid, thing, load in rows]
    return "\nunion all\n".join(selects) + "\n"


def kinds_sql(rows: list[tuple]) -> str:
    return "\nunion all\n".join(f"select '{kind}' as kind, cast({load} as bigint) as _load_id" for kind, load in rows) + "\n"


def hooked_sandbox(root) -> Sandbox:
    """A sandbox project whose on-run-end hook records the watermarks, as dbt_project.yml's does."""
    sandbox = Sandbox(root)
    project = sandbox.root / "dbt_project.yml"
    project.write_text(project.read_text(encoding="utf-8")
                       + 'on-run-end:\n  - "{{ record_checked_loads(results) }}"\n', encoding="utf-8")
    return sandbox


@pytest.fixture()
def box(tmp_path):
    sandbox = hooked_sandbox(tmp_path / "new_loads")
    sandbox.write("models/schema.yml", SCHEMA)
    sandbox.write("models/versions.sql", versions_sql([("t1-1", "t1", 1)]))
    sandbox.write("models/kinds.sql", kinds_sql([("a", 1)]))
    sandbox.write("models/stamped.sql", stamped_sql([("s1", 100)]))
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

    # the scan is bounded by the new keys' range, ends included: a duplicate at either end fails
    for new_rows in ([("k1", 3), ("k9", 3)], [("k0", 3), ("k4", 3)]):
        at_an_end = build(box, history + new_rows)
        assert at_an_end.status("keyed_unique") == "fail", new_rows
    assert ">= (select min(checked_key) from checked_keys)" in compiled(box, "keyed_unique")
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


def test_load_column_numbers_the_runs_that_wrote_the_rows(box):
    # a model that rewrites older rows stamps them with the run (int_sessions_stitched's _run_id)
    assert build(box, [("k1", 1)]).status("stamped_unique") == "pass"
    assert watermark(box, "unique_in_new_loads:stamped:stamped_id") == [100]
    box.write("models/stamped.sql", stamped_sql([("s1", 100), ("s2", 200), ("s3", 200)]))
    assert build(box, [("k1", 1)]).status("stamped_unique") == "pass"
    assert "_run_id > 100" in compiled(box, "stamped_unique")
    assert watermark(box, "unique_in_new_loads:stamped:stamped_id") == [200]
    # a later run rewrote s1 next to its stored row: the rewritten key is checked against every row
    box.write("models/stamped.sql", stamped_sql([("s1", 100), ("s2", 200), ("s3", 200), ("s1", 300)]))
    assert build(box, [("k1", 1)]).status("stamped_unique") == "fail"
    assert watermark(box, "unique_in_new_loads:stamped:stamped_id") == [200]
    # a duplicate among rows of runs already checked is not read again (they passed then)
    box.write("models/stamped.sql", stamped_sql([("s2", 200), ("s2", 200), ("s4", 300)]))
    assert build(box, [("k1", 1)]).status("stamped_unique") == "pass"
    assert watermark(box, "unique_in_new_loads:stamped:stamped_id") == [300]


def test_accepted_values_in_new_loads_judges_the_rows_written_since_its_last_pass(box):
    # first build: every row judged; the pass records the largest run id
    first = build(box, [("k1", 1)])
    assert first.status("stamped_accepted") == "pass", first.messages()
    assert "_run_id >" not in compiled(box, "stamped_accepted")
    assert watermark(box, "accepted_values_in_new_loads:stamped:stamped_id") == [100]

    # a new run writes a value outside the list: it fails, with the value and how often it occurs
    box.write("models/stamped.sql", stamped_sql([("s1", 100), ("s2", 200), ("x9", 200), ("x9", 200)]))
    failed = build(box, [("k1", 1)])
    assert failed.status("stamped_accepted") == "fail"
    assert "_run_id > 100" in compiled(box, "stamped_accepted")
    assert watermark(box, "accepted_values_in_new_loads:stamped:stamped_id") == [100]
    failing_rows = box.query(compiled(box, "stamped_accepted"))
    assert failing_rows == [("x9", 2)]

    # fixed: it passes and moves the watermark; a bad value in a run checked before is not read again
    box.write("models/stamped.sql", stamped_sql([("x9", 100), ("s2", 200), ("s3", 300)]))
    assert build(box, [("k1", 1)]).status("stamped_accepted") == "pass"
    assert watermark(box, "accepted_values_in_new_loads:stamped:stamped_id") == [300]
    # ... but --full-refresh judges every row again
    assert build(box, [("k1", 1)], "--full-refresh").status("stamped_accepted") == "fail"

    # quote: false compares numbers; nulls pass
    box.write("models/stamped.sql", stamped_sql([("s1", 100, 2), ("s2", 200, 1)])
              + "union all\nselect 's3', cast(200 as bigint), cast(null as int)\n")
    assert build(box, [("k1", 1)]).status("stamped_steps") == "pass"
    box.write("models/stamped.sql", stamped_sql([("s1", 100, 2), ("s2", 200, 1), ("s4", 300, 3)]))
    assert build(box, [("k1", 1)]).status("stamped_steps") == "fail"
    assert "not in (0, 1, 2)" in compiled(box, "stamped_steps")


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


# -- relationships_in_new_loads -----------------------------------------------------------

RELATIONSHIPS_SCHEMA = """
version: 2

models:
  - name: lines
    columns:
      - name: order_id
        data_tests:
          - relationships_in_new_loads:
              name: lines_have_orders
              arguments: {to: ref('orders'), field: order_id, new_loads_of: things}
"""


def lines_sql(rows: list[tuple]) -> str:
    return "\nunion all\n".join(f"select '{order}' as order_id, cast({load} as bigint) as _load_id"
                                for order, load in rows) + "\n"


def orders_sql(orders: list[str]) -> str:
    return "\nunion all\n".join(f"select '{order}' as order_id" for order in orders) + "\n"


def test_relationships_in_new_loads_checks_the_new_loads_against_every_parent(box):
    box.remove("models/schema.yml")
    box.write("models/schema.yml", RELATIONSHIPS_SCHEMA)
    box.write("models/lines.sql", lines_sql([("o1", 1)]))
    box.write("models/orders.sql", orders_sql(["o1"]))
    assert build(box, [("k1", 1)]).status("lines_have_orders") == "pass"
    assert "_load_id >" not in compiled(box, "lines_have_orders")
    assert watermark(box, "relationships_in_new_loads:lines:order_id") == [1]
    # a new line of an order that is not there fails, and only the new loads are read
    box.write("models/lines.sql", lines_sql([("o1", 1), ("o2", 2)]))
    failed = build(box, [("k1", 1)])
    assert failed.status("lines_have_orders") == "fail"
    assert "_load_id > 1" in compiled(box, "lines_have_orders")
    assert watermark(box, "relationships_in_new_loads:lines:order_id") == [1]
    # its order arrives: the new load passes; an orphan in a load checked before is not read again
    box.write("models/lines.sql", lines_sql([("o1", 1), ("x", 1), ("o2", 2)]))
    box.write("models/orders.sql", orders_sql(["o1", "o2"]))
    assert build(box, [("k1", 1)]).status("lines_have_orders") == "pass"
    assert watermark(box, "relationships_in_new_loads:lines:order_id") == [2]
    # --full-refresh reads every line
    assert build(box, [("k1", 1)], "--full-refresh").status("lines_have_orders") == "fail"


# -- rows_reconcile with new_loads_of ------------------------------------------------------

def reconcile_schema(name: str, **arguments: str) -> str:
    """A source `things` whose rows_reconcile test (named name) counts staged + quarantined (+ arguments)."""
    extra = "".join(f"                {key}: {value}\n" for key, value in arguments.items())
    return f"""
version: 2

sources:
  - name: shop
    schema: raw
    tables:
      - name: things
        data_tests:
          - rows_reconcile:
              name: {name}
              arguments:
                staged: ref('staged')
                quarantined: ref('quarantined')
                table_name: things
{extra}"""


RECONCILE_SCHEMA = reconcile_schema("things_reconcile", superseded="ref('base')", superseded_key="order_id",
                                    new_loads_of="things")


#: the watermark key of rows_reconcile of the table things
RECONCILE_KEY = "rows_reconcile:things:None"


def write_manifest(box: Sandbox, manifest: list[tuple]) -> None:
    """raw._file_manifest of the table things: (load id, rows) pairs."""
    con = duckdb.connect(str(box.database))
    try:
        con.execute("create schema if not exists raw")
        con.execute("create or replace table raw._file_manifest (table_name varchar, load_id bigint, row_count bigint)")
        for load, rows in manifest:
            con.execute("insert into raw._file_manifest values ('things', ?, ?)", [load, rows])
    finally:
        con.close()


def base_sql(rows: list[tuple]) -> str:
    return "\nunion all\n".join(
        f"select '{order}' as order_id, cast({load} as bigint) as _load_id, '{file}' as _source_file, "
        + (f"'{reason}'" if reason else "cast(null as varchar)") + " as quarantine_reason"
        for order, load, file, reason in rows) + "\n"


def test_rows_reconcile_with_new_loads_of_counts_the_new_loads_and_the_keys_they_deliver(tmp_path):
    box = hooked_sandbox(tmp_path / "reconcile")
    box.write("models/schema.yml", RECONCILE_SCHEMA)
    variables = json.dumps({"raw_schema": "raw", "incremental_raw_tables": ["things"]})

    def deliver(manifest: list[tuple], base: list[tuple], staged: list[str], quarantined: list[int], *extra):
        write_manifest(box, manifest)
        box.write("models/base.sql", base_sql(base))
        box.write("models/staged.sql", "\nunion all\n".join(f"select '{o}' as order_id" for o in staged) + "\n")
        box.write("models/quarantined.sql", "\nunion all\n".join(
            f"select 'q{i}' as quarantine_id, cast({load} as bigint) as _load_id" for i, load in enumerate(quarantined))
            + "\n")
        return box.dbt("build", "--vars", variables, *extra)

    # load 1: o1's two lines and one quarantined row: 3 raw = 2 staged + 1 quarantined (every row counted)
    load1 = [("o1", 1, "f1", None), ("o1", 1, "f1", None), ("o1", 1, "f1", "unparseable:quantity")]
    first = deliver([(1, 3)], load1, ["o1", "o1"], [1])
    assert first.status("things_reconcile") == "pass", first.messages()
    assert "load_id >" not in compiled(box, "things_reconcile")
    assert watermark(box, RECONCILE_KEY) == [1]
    # load 2: o1 exported again with one line (its two earlier lines superseded), o2 new
    load2 = load1 + [("o1", 2, "f2", None), ("o2", 2, "f2", None)]
    second = deliver([(1, 3), (2, 2)], load2, ["o1", "o2"], [1])
    assert second.status("things_reconcile") == "pass", second.messages()
    assert "load_id > 1" in compiled(box, "things_reconcile")
    assert watermark(box, RECONCILE_KEY) == [2]
    # load 3: o3's line delivered but not staged (lost): fails, the watermark stays
    load3 = load2 + [("o3", 3, "f3", None)]
    assert deliver([(1, 3), (2, 2), (3, 1)], load3, ["o1", "o2"], [1]).status("things_reconcile") == "fail"
    assert watermark(box, RECONCILE_KEY) == [2]
    # a quarantined row of a new load missing from the quarantine fails too
    load3q = load2 + [("o3", 3, "f3", "missing_required:product_id")]
    assert deliver([(1, 3), (2, 2), (3, 1)], load3q, ["o1", "o2"], [1]).status("things_reconcile") == "fail"
    assert deliver([(1, 3), (2, 2), (3, 1)], load3q, ["o1", "o2"], [1, 3]).status("things_reconcile") == "pass"
    assert watermark(box, RECONCILE_KEY) == [3]
    # the manifest counting more rows of a new load than the base model holds fails
    assert deliver([(1, 3), (2, 2), (3, 1), (4, 2)], load3q + [("o4", 4, "f4", None)], ["o1", "o2", "o4"],
                   [1, 3]).status("things_reconcile") == "fail"
    # --full-refresh counts everything again (and the lost line of load 3 is found whatever the watermark)
    refreshed = deliver([(1, 3), (2, 2), (3, 1)], load3, ["o1", "o2"], [1], "--full-refresh")
    assert refreshed.status("things_reconcile") == "fail"
    assert "load_id >" not in compiled(box, "things_reconcile")


FACTS_RECONCILE_SCHEMA = reconcile_schema("facts_reconcile", new_loads_of="things")


def test_rows_reconcile_of_a_fact_table_counts_the_rows_of_the_new_loads(tmp_path):
    # facts (events, sessions, campaign sends): staged and quarantined rows carry their load, nothing is replaced
    box = hooked_sandbox(tmp_path / "facts")
    box.write("models/schema.yml", FACTS_RECONCILE_SCHEMA)
    variables = json.dumps({"raw_schema": "raw", "incremental_raw_tables": ["things"]})

    def deliver(manifest: list[tuple], staged: list[int], quarantined: list[int], *extra):
        write_manifest(box, manifest)
        for name, loads in (("staged", staged), ("quarantined", quarantined)):
            box.write(f"models/{name}.sql", "\nunion all\n".join(
                f"select 'r{i}' as row_id, cast({load} as bigint) as _load_id" for i, load in enumerate(loads))
                + "\n")
        return box.dbt("build", "--vars", variables, *extra)

    # load 1: 3 raw rows = 2 staged + 1 quarantined, every row counted; the pass records load 1
    first = deliver([(1, 3)], [1, 1], [1])
    assert first.status("facts_reconcile") == "pass", first.messages()
    assert "load_id >" not in compiled(box, "facts_reconcile")
    assert watermark(box, RECONCILE_KEY) == [1]
    # load 2: 2 raw rows, one staged, one quarantined (a duplicate delivery): only load 2 is counted
    assert deliver([(1, 3), (2, 2)], [1, 1, 2], [1, 2]).status("facts_reconcile") == "pass"
    assert "load_id > 1" in compiled(box, "facts_reconcile")
    assert watermark(box, RECONCILE_KEY) == [2]
    # load 3: a row lost (2 raw, 1 staged, 0 quarantined) fails, and the watermark stays
    assert deliver([(1, 3), (2, 2), (3, 2)], [1, 1, 2, 3], [1, 2]).status("facts_reconcile") == "fail"
    assert watermark(box, RECONCILE_KEY) == [2]
    # a row invented fails too
    assert deliver([(1, 3), (2, 2), (3, 2)], [1, 1, 2, 3, 3], [1, 2, 3]).status("facts_reconcile") == "fail"
    assert deliver([(1, 3), (2, 2), (3, 2)], [1, 1, 2, 3], [1, 2, 3]).status("facts_reconcile") == "pass"
    assert watermark(box, RECONCILE_KEY) == [3]
    # a row lost from a load checked before is not counted again ... but --full-refresh counts every row
    assert deliver([(1, 3), (2, 2), (3, 2)], [1, 2, 3], [1, 2, 3]).status("facts_reconcile") == "pass"
    refreshed = deliver([(1, 3), (2, 2), (3, 2)], [1, 2, 3], [1, 2, 3], "--full-refresh")
    assert refreshed.status("facts_reconcile") == "fail"
    assert "load_id >" not in compiled(box, "facts_reconcile")
