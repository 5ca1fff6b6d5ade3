"""Shared fixtures: build the project into throw-away warehouses."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from ecomseg import REPO_ROOT
from ecomseg.dbt_runner import run_dbt

# pytest imports this checkout's ecomseg (pythonpath in pyproject.toml); the scripts and commands
# that tests run as subprocesses get the same one, even where .venv holds an install of another
# checkout (make install installs the package editable).
os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])


def pytest_addoption(parser):
    parser.addoption("--spark", action="store_true", default=False,
                     help="run the tests marked spark, against the local Spark cluster "
                          "(scripts/spark_cluster.sh start; make test-spark does this)")


@pytest.fixture(scope="session", autouse=True)
def shared_dbt_parse(tmp_path_factory):
    """The first warehouse with a given dbt state parses the project; the others reuse its parse
    (subprocess_hooks/dbt_parse_cache.py). The folder is shared by the xdist workers of this run."""
    from subprocess_hooks import dbt_parse_cache

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    cache = root / "dbt-parse-cache"
    dbt_parse_cache.install(cache, REPO_ROOT)
    # ... and in the commands tests run (scripts/build_warehouse.py, ecomseg ...): subprocess_hooks/
    hooks = str(Path(__file__).resolve().parent / "subprocess_hooks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOMSEG_TEST_PARSE_CACHE", str(cache))
        mp.setenv("ECOMSEG_TEST_PARSE_PROJECT", str(REPO_ROOT))
        mp.setenv("PYTHONPATH", os.pathsep.join([hooks, os.environ["PYTHONPATH"]]))
        yield
    dbt_parse_cache.install(None, REPO_ROOT)


# The modules that take longest, longest first (seconds of one worker in a full run, measured
# 2026-12-03 with --durations=0: those of 20 s or more; kept by hand). `make pytest` runs
# `--dist loadfile --no-loadscope-reorder`: xdist hands the modules to the two workers in
# collection order, one at a time as a worker runs dry, so the long ones start first and the
# short ones fill the gaps at the end (without this, a long module handed out
# last makes the tail of the run). A module not listed runs after these, in file name order.
LONGEST_MODULES_FIRST = [
    "test_incremental.py",
    "test_raw_dialect.py",
    "test_gdpr.py",
    "test_realtime.py",
    "test_loading.py",
    "test_build_warehouse.py",
    "test_marketing_actions.py",
    "test_incremental_cases.py",
    "test_bi_reads.py",
    "test_report.py",
    "test_idempotency.py",
    "test_new_loads_tests.py",
    "test_scorecard.py",
    "test_semantic_layer.py",
    "test_clusters.py",
    "test_order_money.py",
    "test_validation.py",
    "test_segments.py",
    "test_clv.py",
    "test_association_rules.py",
    "test_campaign_results.py",
    "test_text_and_timestamps.py",
    "test_customer_facts.py",
    "test_shop_time.py",
    "test_bad_input.py",
    "test_file_manifest.py",
    "test_parse_cache.py",
    "test_gdpr_raw_files.py",
    "test_dirty_shop.py",
    "test_project_checks.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module's order is kept
    if config.getoption("--spark"):
        return
    skip = pytest.mark.skip(reason="needs the local Spark cluster: run with --spark (make test-spark)")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


def without_unit_tests(args) -> list[str]:
    """The dbt args of a test module's build without dbt's unit tests: they test a model's SQL on
    rows they give themselves, whatever the shop, so a second run proves nothing new (make test
    runs them in build-ci's two builds and Spark build 1); in a module's builds they cost about a
    fifth of the node time. Other commands, and args that choose resource types themselves, are
    returned as they are."""
    args = list(args)
    if args[:1] == ["build"] and "unit_test" not in args and "--resource-type" not in args:
        args += ["--exclude-resource-type", "unit_test"]
    return args


def without_json_artifacts(args) -> list[str]:
    """The dbt args of a test module's build, run or test without dbt's JSON artifacts
    (--no-write-json: no manifest.json, semantic_manifest.json, run_results.json): writing them
    costs about 2.5 CPU s per command on this project (the manifest alone is 6 MB), measured
    2026-12-03, while the modules read the result from dbt's in-process answer (run_dbt). dbt still
    writes the compiled SQL and the saved parse (partial_parse.msgpack). Other commands, and args
    that choose either way themselves, are returned as they are."""
    args = list(args)
    if args[:1] in (["build"], ["run"], ["test"], ["seed"]) \
            and "--write-json" not in args and "--no-write-json" not in args:
        args.append("--no-write-json")
    return args


# dbt args that leave the data tests out of a build. A module that builds one shop several times
# (an earlier as-of date, the days before the last batch, a full refresh compared with an incremental
# build) runs the data tests on the build whose state its assertions read, not on every build before
# it: the data tests are about 60 % of a small shop's build (measured 2026-12-03: 50 s with them,
# 20 s without), and a state that only leads to the checked one proves little that the checked one
# does not; the new-loads tests (unique_in_new_loads, ...) of the checked build read every row written
# since their last pass, the rows of the builds without tests included. make test runs every data test
# in build-ci's two builds and in Spark build 1 too.
NO_DATA_TESTS = ("--exclude-resource-type", "test")


class Warehouse:
    """A DuckDB warehouse built from one raw folder, in its own temp dir; its builds leave dbt's
    unit tests out (without_unit_tests) and write no JSON artifacts (without_json_artifacts) unless
    write_json is set (a module that reads target/manifest.json or run_results.json).
    default_vars: dbt vars of every build (a call's dbt_vars override them), e.g.
    {"incremental_raw_tables": []} for a test whose raw files are rewritten
    between builds: every table is then read in full, no file manifest check."""

    def __init__(self, root: Path, raw_dir: Path):
        self.root = root
        self.raw_dir = raw_dir
        self.path = root / "wh.duckdb"
        self.target = root / "target"
        self.default_vars: dict = {}
        self.write_json = False

    def dbt(self, *args: str, check: bool = True, dbt_vars: dict | None = None):
        merged = {**self.default_vars, **(dbt_vars or {})}
        args = without_unit_tests(args)
        if not self.write_json:
            args = without_json_artifacts(args)
        return run_dbt(args, raw_dir=self.raw_dir, duckdb_path=self.path,
                       target_path=self.target, dbt_vars=merged or None, check=check)

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]

    def execute(self, sql: str) -> None:
        """Run one statement with a write connection (a test altering the warehouse between builds)."""
        con = duckdb.connect(str(self.path))
        try:
            con.execute(sql)
        finally:
            con.close()


@pytest.fixture
def make_warehouse(tmp_path_factory):
    def _make(raw_dir: Path) -> Warehouse:
        return Warehouse(tmp_path_factory.mktemp("wh"), raw_dir)
    return _make


def write_csv(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path
