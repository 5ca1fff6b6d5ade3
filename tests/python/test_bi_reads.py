"""Issue #16 point 4: BI tools read the marts while the warehouse rebuilds (docs/bi.md).

`ecomseg build` publishes the built warehouse as a read-only copy
(read/<warehouse file name>, ecomseg.publish), replaced atomically after each
successful build. Here a reader reads the marts of the copy in a loop (rows,
a checksum of the keys, and the build id the publisher stamped) while the
warehouse is rebuilt twice, from another shop and back (--full-refresh, so the
builds differ). Every read must succeed and see one build: its marts equal,
row for row, what that build published. A reader that keeps the copy open
during a build must not block it, and keeps seeing the build it opened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ecomseg import REPO_ROOT
from ecomseg.publish import publish, read_copy_path

# DuckDB shares one database instance per file within a process: a connection
# kept open in this process would make every later connect here read the file it
# opened. So the reader and the BI tool that holds the copy open are processes
# of their own, as real BI tools are; both run this code.
SNAPSHOT_CODE = """
import json, sys, time
import duckdb

MARTS = {"dim_customers": "customer_id", "fct_orders": "order_id", "customer_rfm": "customer_id"}


def snapshot(path):
    # (build id, {mart: [rows, key checksum, rows the publisher counted]}) read in one
    # read-only connection: one consistent view of the copy
    con = duckdb.connect(str(path), read_only=True)
    try:
        build_id = con.execute("select build_id from published.build_info").fetchone()[0]
        published = dict(con.execute("select mart, row_count from published.mart_rows").fetchall())
        marts = {}
        for mart, key in MARTS.items():
            rows, checksum = con.execute(f"select count(*), sum(hash({key})) from marts.{mart}").fetchone()
            marts[mart] = [rows, int(checksum), published.get(mart)]
        return build_id, marts
    finally:
        con.close()


def read_in_a_loop(path, stop_file):
    from pathlib import Path
    while not Path(stop_file).exists():
        try:
            build_id, marts = snapshot(path)
            print(json.dumps({"build_id": build_id, "marts": marts}), flush=True)
        except Exception as exc:
            print(json.dumps({"error": repr(exc)}), flush=True)
        time.sleep(0.05)


def hold_open(path):
    # a BI tool with the copy open: the build id now, and again after a line on stdin
    con = duckdb.connect(str(path), read_only=True)
    print(con.execute("select build_id from published.build_info").fetchone()[0], flush=True)
    sys.stdin.readline()
    print(con.execute("select build_id from published.build_info").fetchone()[0], flush=True)
    con.close()
"""
_code: dict = {}
exec(SNAPSHOT_CODE, _code)  # noqa: S102 - the same functions in this process
snapshot = _code["snapshot"]
SELECT = "+dim_customers +fct_orders +customer_rfm"


def python(call: str, **kwargs) -> subprocess.Popen:
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-c", SNAPSHOT_CODE + "\n" + call], text=True,
                            stderr=subprocess.PIPE, **kwargs)


def build(raw_dir: Path, duckdb_path: Path, work: Path, *extra: str) -> None:
    env = {**os.environ, "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
    env.pop("WAREHOUSE_IDENTITY", None)
    done = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "build_warehouse.py"), "--raw-dir", str(raw_dir),
                           "--duckdb", str(duckdb_path), "--no-generate", "--select", SELECT,
                           # unit tests check the code, not the shop: build-ci runs them (conftest.without_unit_tests)
                           "--skip-unit-tests", *extra],
                          env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"Published for BI tools (read-only, swapped in atomically): {read_copy_path(duckdb_path)}" in done.stdout


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    from ecomseg.generator import generate

    root = tmp_path_factory.mktemp("bi_reads")
    generate(root / "shop_a", customers=200, seed=11)
    generate(root / "shop_b", customers=150, seed=12)
    return root


@pytest.fixture(scope="module")
def rebuilt(shops):
    """Shop A built; then, while a process reads the copy in a loop and another holds it open,
    shop B and shop A again (--full-refresh). Returns what every build published and what was read."""
    warehouse = shops / "warehouse" / "shop.duckdb"
    copy = read_copy_path(warehouse)
    stop_file = shops / "stop-reading"
    build(shops / "shop_a", warehouse, shops)
    first_id, first = snapshot(copy)
    expected = {first_id: first}

    # a BI tool holding the copy open for the whole build must not block it
    held = python(f"hold_open({str(copy)!r})", stdin=subprocess.PIPE)
    assert held.stdout.readline().strip() == first_id
    # the reads go to a file: a pipe nobody drains during the builds would fill and stop the reader
    reads_file = shops / "reads.jsonl"
    sink = open(reads_file, "w", encoding="utf-8")  # noqa: SIM115 - closed when the reader has stopped
    reader = python(f"read_in_a_loop({str(copy)!r}, {str(stop_file)!r})", stdout=sink)
    try:
        build(shops / "shop_b", warehouse, shops, "--full-refresh")
        expected.update([snapshot(copy)])
        build(shops / "shop_a", warehouse, shops, "--full-refresh")
        expected.update([snapshot(copy)])
        # the open connection still reads the build it opened, the first one
        still, _ = held.communicate("done\n", timeout=60)
        assert held.returncode == 0 and still.strip() == first_id
    finally:
        stop_file.touch()
        _, err = reader.communicate(timeout=120)
        sink.close()
        if held.poll() is None:
            held.kill()
    assert reader.returncode == 0, err
    reads = [json.loads(line) for line in reads_file.read_text().splitlines()]
    return {"warehouse": warehouse, "expected": expected, "reads": reads}


def test_reads_during_two_rebuilds_never_fail_and_each_sees_one_build(rebuilt):
    expected, reads = rebuilt["expected"], rebuilt["reads"]
    assert [r["error"] for r in reads if "error" in r] == []
    assert len(expected) == 3  # every publish has its own build id
    first, second, third = expected.values()
    assert first != second and [v[:2] for v in first.values()] == [v[:2] for v in third.values()]  # B differs; A again
    for read in reads:
        assert read["build_id"] in expected
        assert read["marts"] == expected[read["build_id"]]  # the marts of the build it names, nothing of another
        assert all(rows == published for rows, _, published in read["marts"].values())
    seen = {read["build_id"] for read in reads}
    assert len(reads) >= 10 and len(seen) >= 2, (len(reads), seen)


def test_the_right_to_be_forgotten_publishes_the_copy_again(rebuilt, shops):
    from ecomseg import gdpr

    warehouse = rebuilt["warehouse"]
    copy = read_copy_path(warehouse)
    con = duckdb.connect(str(copy), read_only=True)  # closed before the copy is replaced: see SNAPSHOT_CODE
    (customer,) = con.execute("select min(customer_id) from marts.fct_orders where not is_guest_order").fetchone()
    con.close()
    before, _ = snapshot(copy)
    (shops / "exports").mkdir(exist_ok=True)
    result = gdpr.forget_customer(customer, shops / "shop_a", duckdb_path=warehouse, exports=shops / "exports",
                                  erasure_folder=shops / "erasure", rebuild=False)
    assert result.warehouse_rows_removed
    after, _ = snapshot(copy)
    assert after != before  # published again
    con = duckdb.connect(str(copy), read_only=True)
    try:
        for mart in ("dim_customers", "fct_orders", "customer_rfm"):
            assert con.execute(f"select count(*) from marts.{mart} where customer_id = ?", [customer]).fetchone()[0] == 0
    finally:
        con.close()


def test_publish_replaces_the_copy_and_leaves_no_temporary_file(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts; create table marts.m as select range as id from range(3)")
    con.close()
    first = publish(warehouse, build_id="b1")
    assert first.path == tmp_path / "read" / "w.duckdb" and first.mart_rows == {"m": 3}
    con = duckdb.connect(str(warehouse))
    con.execute("insert into marts.m values (3)")  # left in the write-ahead log: publish checkpoints it
    con.close()
    second = publish(warehouse, build_id="b2")
    assert second.mart_rows == {"m": 4}
    con = duckdb.connect(str(second.path), read_only=True)
    assert con.execute("select build_id from published.build_info").fetchall() == [("b2",)]
    assert con.execute("select count(*) from marts.m").fetchone()[0] == 4
    con.close()
    assert sorted(p.name for p in (tmp_path / "read").iterdir()) == ["w.duckdb"]
    with pytest.raises(FileNotFoundError, match="build it first"):
        publish(tmp_path / "missing.duckdb")
