"""Idempotency and crash safety of the build.

Two consecutive builds on the same data must give identical marts (checksum
of every mart's content in a fixed order), and a build killed half-way (the
process gets SIGKILL after the first mart was written) must leave the marts
of the previous build readable and unchanged; the next build recovers and
gives the same marts again. Marts are the manifest's models under
models/marts, so marts added later are covered without changes here.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from conftest import NO_DATA_TESTS, Warehouse
from ecomseg import REPO_ROOT
from ecomseg.generator import generate
from ecomseg.manifest import load_manifest, model_nodes

BUILD = ["build", *NO_DATA_TESTS, "--exclude-resource-type", "unit_test"]


def mart_checksums(wh: Warehouse) -> dict[str, str]:
    """{schema.relation: sha256 of its rows ordered by every column}; doubles
    rounded to 10 decimals (the last bits of a parallel float sum may differ)."""
    manifest = load_manifest(wh.target / "manifest.json")
    con = duckdb.connect(str(wh.path), read_only=True)
    sums = {}
    try:
        for node in model_nodes(manifest, "marts"):
            relation = f'"{node["schema"]}"."{node.get("alias") or node["name"]}"'
            columns = con.execute(f"describe {relation}").fetchall()
            select = ", ".join(f'round("{c[0]}", 10)' if c[1] in ("DOUBLE", "FLOAT") else f'"{c[0]}"' for c in columns)
            digest = hashlib.sha256()
            for row in con.execute(f"select {select} from {relation} order by all").fetchall():
                digest.update(repr(row).encode("utf-8"))
            sums[relation] = digest.hexdigest()
    finally:
        con.close()
    return sums


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    raw = tmp_path_factory.mktemp("idem_shop")
    generate(raw, customers=300, days=120, seed=11, fmt="csv", dirt_rate=0.03)
    wh = Warehouse(tmp_path_factory.mktemp("idem_wh"), raw)
    wh.write_json = True  # the tests read target/manifest.json
    wh.dbt(*BUILD)
    return wh, mart_checksums(wh)


def test_two_builds_on_the_same_data_give_identical_marts(built):
    wh, first = built
    assert len(first) >= 5 and all(first.values())
    wh.dbt(*BUILD)
    assert mart_checksums(wh) == first


def _dbt_command() -> list[str]:
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    return [dbt] if os.path.exists(dbt) else [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def test_a_build_killed_half_way_leaves_the_marts_readable_and_the_next_build_recovers(built):
    wh, first = built
    env = {**os.environ, "RAW_DATA_DIR": str(wh.raw_dir), "DUCKDB_PATH": str(wh.path)}
    command = _dbt_command() + BUILD + ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT),
                                        "--target-path", str(wh.target), "--log-path", str(wh.root / "logs")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True, cwd=REPO_ROOT)
    seen = []
    killed_after = None
    deadline = time.monotonic() + 300
    try:
        for line in process.stdout:
            seen.append(line)
            if " OK created " in line and " marts." in line:
                killed_after = line.strip()
                os.killpg(process.pid, signal.SIGKILL)  # a crash, not a polite stop
                break
            if time.monotonic() > deadline:
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert killed_after, "the build ended before a mart was written:\n" + "".join(seen[-20:])
    assert process.returncode == -signal.SIGKILL

    # the previous build's marts are all there, readable and unchanged
    assert mart_checksums(wh) == first, f"killed after: {killed_after}"

    # the next build recovers: succeeds, same marts, no leftovers of the killed run
    wh.dbt(*BUILD)
    assert mart_checksums(wh) == first
    leftovers = wh.query("select table_schema, table_name from information_schema.tables "
                         "where table_name like '%__dbt_tmp%' or table_name like '%__dbt_backup%'")
    assert leftovers == []
