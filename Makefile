# The two commands of the README:
#   make demo   install, generate a small sample shop, build the warehouse, print a summary,
#               write the HTML report (warehouse/report.html) and print its path and a query command
#   make test   install, then every check: lint, project rules, dbt build with all tests (twice),
#               Great Expectations validation of every layer, pytest, and the same project
#               built twice on a local Spark cluster and compared with DuckDB (test-spark)
# Everything runs inside .venv, created from the pinned requirements.txt, with
# this project's package ecomseg installed editable (its command: .venv/bin/ecomseg).
# Python: 3.11 (the default, what CI runs) or 3.12; choose with
#   make demo PYTHON=python3.12
# (.venv keeps the Python it was created with: `rm -rf .venv` to switch).

PYTHON ?= python3.11
PYTHON_CHECK = import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 12) else "$(VENV) has Python %d.%d; supported: 3.11 and 3.12 (rm -rf $(VENV), then make PYTHON=python3.11)" % v)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
CI_RAW := data/ci/raw
CI_DB  := warehouse/ci.duckdb

.PHONY: install install-spark system-deps demo test lint project-checks build-ci pytest clean test-spark realtime

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || command -v $(PYTHON) >/dev/null || { \
	  echo "$(PYTHON) not found: install Python 3.11 (or 3.12 and run: make $(MAKECMDGOALS) PYTHON=python3.12)"; exit 1; }
	@test -x $(BIN)/python || { echo "== Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -c '$(PYTHON_CHECK)'
	@echo "== Installing the pinned requirements into $(VENV) with $$($(BIN)/python --version)"
	@echo "   (first time: about 3.5 minutes for about 110 pinned packages; pip lists each one)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -r requirements.txt
	@echo "== Installing this project's package ecomseg (editable: the ecomseg command and python -m ecomseg)"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $(STAMP)
	@echo "== Installed."

install: $(STAMP)

demo: install
	@echo "== Building the sample warehouse (generate, dbt build, summary: under a minute on a quiet machine)"
	$(BIN)/python scripts/build_warehouse.py --scale small
	@echo "== Writing the report (charts from the marts, one self-contained HTML file)"
	$(BIN)/python scripts/report.py --duckdb warehouse/ecommerce.duckdb --out warehouse/report.html

# rt-stream (issue #15): the whole real-time path on the sample shop (docs/realtime.md):
# generate daily exports, regular build, then a replayed stream of visitors ->
# micro-batches (ecomseg stream) -> a local webhook on 127.0.0.1, exactly once.
realtime: install
	$(BIN)/ecomseg realtime --demo

# The steps of `make test` overlap where one leaves a core idle (2 cores): the
# Debian packages (system-deps: apt downloads and unpacks, little CPU) install
# in the background from the start, their output in target/system-deps.log,
# shown and waited for before pytest (the report tests need chromium); lint and
# the project rules run beside build-ci, whose dbt builds keep one core busy
# (dbt's Python), their lines prefixed with [checks], in target and log
# folders of their own (target/lint, target/macro-lint, target/project-checks,
# target/checks-logs: build-ci's dbt writes target/ and logs/). Then pytest,
# then the Spark half.
SYSTEM_DEPS_LOG := target/system-deps.log
CHECKS_RC       := target/checks.rc
test: install
	@mkdir -p target; rm -f $(CHECKS_RC); \
	bash scripts/install_system_deps.sh > $(SYSTEM_DEPS_LOG) 2>&1 & deps_pid=$$!; \
	{ DBT_LOG_PATH=target/checks-logs $(MAKE) --no-print-directory lint project-checks 2>&1; \
	  echo $$? > $(CHECKS_RC); } \
	  | sed -u 's/^/[checks] /' & checks_pid=$$!; \
	trap 'kill $$deps_pid $$checks_pid 2>/dev/null || true' INT TERM; \
	build_rc=0; $(MAKE) --no-print-directory build-ci || build_rc=$$?; \
	wait $$checks_pid || true; deps_rc=0; wait $$deps_pid || deps_rc=$$?; \
	echo "== system-deps (in the background since the start; $(SYSTEM_DEPS_LOG))"; cat $(SYSTEM_DEPS_LOG); \
	checks_rc=$$(cat $(CHECKS_RC) 2>/dev/null || echo missing); \
	[ "$$checks_rc" = 0 ] || { echo "lint or the project rules failed (exit $$checks_rc)"; exit 1; }; \
	[ $$build_rc = 0 ] || { echo "build-ci failed (exit $$build_rc)"; exit 1; }; \
	[ $$deps_rc = 0 ] || { echo "system-deps failed (exit $$deps_rc)"; exit 1; }; \
	$(MAKE) --no-print-directory pytest test-spark
	@echo "All checks passed."

# Models and tests as written; then the SQL the macros write, compiled from
# the harness analyses/macro_lint/ (sqlfluff skips macro files; README there).
MACRO_LINT := target/macro-lint
LINT_TARGET := target/lint
lint: install
	DBT_TARGET_PATH=$(LINT_TARGET) $(BIN)/sqlfluff lint models tests/dbt analyses
	rm -rf $(MACRO_LINT)
	DUCKDB_PATH=$(MACRO_LINT)/lint.duckdb $(BIN)/dbt compile --profiles-dir . --quiet \
	  --select path:analyses/macro_lint --target-path $(MACRO_LINT)
	$(BIN)/sqlfluff lint $(MACRO_LINT)/compiled/ecommerce_segmentation/analyses/macro_lint \
	  --config analyses/macro_lint/compiled.cfg --disregard-sqlfluffignores

# In a target folder of its own: make test runs it beside build-ci.
PROJECT_CHECKS_TARGET := target/project-checks
project-checks: install
	$(BIN)/dbt parse --profiles-dir . --quiet --target-path $(PROJECT_CHECKS_TARGET)
	$(BIN)/python scripts/check_project.py --manifest $(PROJECT_CHECKS_TARGET)/manifest.json

# Build twice on a dirty generated shop, from an empty warehouse (a stale one
# would name files the generator has since changed): the second run exercises incremental
# paths and must leave every test green as well. Then Great Expectations, and no
# model's DuckDB plan joining every row with every row (scripts/check_plans.py).
build-ci: install
	rm -f $(CI_DB) $(CI_DB).wal
	$(BIN)/python scripts/generate_data.py --scale small --seed 7 --out $(CI_RAW) --quiet
	$(BIN)/python scripts/build_warehouse.py --raw-dir $(CI_RAW) --duckdb $(CI_DB) --no-generate
	$(BIN)/python scripts/build_warehouse.py --raw-dir $(CI_RAW) --duckdb $(CI_DB) --no-generate
	$(BIN)/python scripts/validate.py --duckdb $(CI_DB) --raw-dir $(CI_RAW) --manifest target/manifest.json --docs-dir target/gx_docs
	$(BIN)/python scripts/check_plans.py --duckdb $(CI_DB) --compiled target/compiled --manifest target/manifest.json

# The Spark half of `make test` (docs/spark.md): installs the Spark
# requirements into .venv (stamp below) and Java if missing, generates a small
# shop (absolute path: the Spark server reads the files), starts the local Spark
# cluster from scratch in the background (stopped again on exit, also on
# failure) while DuckDB builds the reference warehouse twice (models and seeds
# only: the DuckDB data and unit tests run in build-ci; the second build takes
# the incremental paths and the fitted CLV parameters), then builds on Spark
# twice: build 1 EVERYTHING (every model, seed, data test and unit test); build
# 2 the incremental paths: the models that are incremental on Spark (staging is
# rebuilt in full there, staging_materialization) and every model downstream of
# them, with their data tests (config.materialized:incremental+, 24 models,
# about 240 nodes of 1,368). The rest would rebuild the same tables from the
# same inputs, and unit tests read only their given rows, so a second run of
# either proves nothing new. Then it compares every mart of the two warehouses
# (scripts/compare_engines.py: row counts, sums, key sets) and, at the same
# time, runs the pytest tests marked `spark` (the Spark loader's error paths;
# they rebuild staging models only, the comparison reads the marts). Every step
# prints its wall time; each Spark build's per-node times stay in
# target/test-spark/run_results_build<1|2>.json.
SPARK_CI_RAW  := $(CURDIR)/data/spark-ci/raw
SPARK_CI_DB   := warehouse/spark-ci.duckdb
SPARK_THREADS ?= 4
SPARK_STAMP   := $(VENV)/.spark-installed-$(shell cat requirements.txt requirements-spark.txt | cksum | cut -d' ' -f1)
SPARK_ENV      = PYTHON=$(abspath $(BIN))/python
# The CLV parameters (docs/clv.md) are fitted on the first DuckDB reference
# build and passed to the second one and to both Spark builds (dbt-spark runs no
# Python: the fit is outside dbt).
SPARK_CLV_PARAMS := $(CURDIR)/data/spark-ci/clv_parameters.json
SPARK_CLV_VARS    = --vars "{clv_parameters: $$(cat $(SPARK_CLV_PARAMS))}"
SPARK_DUCKDB   = DBT_TARGET=duckdb DUCKDB_PATH=$(SPARK_CI_DB) RAW_DATA_DIR=$(SPARK_CI_RAW) \
	$(BIN)/dbt build --profiles-dir . --target-path target/test-spark-duckdb --quiet \
	--exclude-resource-type test --exclude-resource-type unit_test
SPARK_DBT_ENV  = DBT_TARGET=spark DBT_THREADS=$(SPARK_THREADS) RAW_DATA_DIR=$(SPARK_CI_RAW)
SPARK_DBT      = $(SPARK_DBT_ENV) $(BIN)/dbt build --profiles-dir . --target-path target/test-spark $(SPARK_CLV_VARS)

$(SPARK_STAMP): requirements-spark.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	@rm -f $(VENV)/.spark-installed-* && touch $(SPARK_STAMP)

install-spark: install $(SPARK_STAMP) system-deps

# Debian packages the checks need when missing (scripts/install_system_deps.sh): Java and
# procps for the local Spark cluster, chromium for the headless report and docs-site tests.
system-deps:
	bash scripts/install_system_deps.sh

# `took` prints a step's wall time; the cluster starts in the background (its
# output interleaves with the DuckDB steps) and is waited for before the first
# Spark build; the Spark project is parsed (dbt parse, no connection) while the
# second DuckDB build runs, so Spark build 1 parses only partially. On exit
# (also on failure) the start is waited for, then the cluster stopped.
test-spark: install-spark
	$(BIN)/python scripts/generate_data.py --customers 300 --days 120 --seed 7 --out $(SPARK_CI_RAW) --force --quiet
	rm -f $(SPARK_CI_DB) $(SPARK_CI_DB).wal
	@set -e; t0=$$(date +%s); \
	took() { echo "== $$1 took $$(( $$(date +%s) - $$2 )) s (load $$(cut -d' ' -f1 /proc/loadavg))"; }; \
	start_pid=; \
	trap '[ -z "$$start_pid" ] || wait $$start_pid 2>/dev/null; $(SPARK_ENV) bash scripts/spark_cluster.sh stop' EXIT; \
	trap 'exit 130' INT TERM; \
	$(SPARK_ENV) bash scripts/spark_cluster.sh clean; \
	t=$$(date +%s); ( $(SPARK_ENV) bash scripts/spark_cluster.sh start ) & start_pid=$$!; \
	echo "== DuckDB build 1 (reference for the comparison; models and seeds)"; s=$$(date +%s); \
	$(SPARK_DUCKDB); took "DuckDB build 1" $$s; \
	s=$$(date +%s); $(BIN)/python -m ecomseg clv-fit --duckdb $(SPARK_CI_DB) --out $(SPARK_CLV_PARAMS); took "CLV fit" $$s; \
	( $(SPARK_DBT_ENV) $(BIN)/dbt parse --profiles-dir . --target-path target/test-spark --log-path target/test-spark/logs $(SPARK_CLV_VARS) --quiet ) & parse_pid=$$!; \
	echo "== DuckDB build 2 (incremental, with the fitted CLV parameters)"; s=$$(date +%s); \
	$(SPARK_DUCKDB) $(SPARK_CLV_VARS); took "DuckDB build 2" $$s; \
	wait $$parse_pid || { echo "dbt parse of the Spark target failed"; exit 1; }; \
	wait $$start_pid || { start_pid=; echo "the Spark cluster did not start"; exit 1; }; start_pid=; \
	took "cluster start (in the background) until ready" $$t; \
	for run in 1 2; do \
	  echo "== Spark build $$run"; s=$$(date +%s); \
	  if [ $$run = 1 ]; then $(SPARK_DBT); else $(SPARK_DBT) --select config.materialized:incremental+ --exclude-resource-type unit_test; fi; \
	  took "Spark build $$run" $$s; \
	  cp target/test-spark/run_results.json target/test-spark/run_results_build$$run.json; \
	done; \
	echo "== comparison of every mart with DuckDB, and pytest -m spark, side by side"; s=$$(date +%s); \
	$(BIN)/python scripts/compare_engines.py --manifest target/test-spark/manifest.json --duckdb $(SPARK_CI_DB) \
	  > target/test-spark/compare_engines.txt 2>&1 & compare_pid=$$!; \
	pytest_rc=0; $(BIN)/python -m pytest --spark -m spark || pytest_rc=$$?; \
	compare_rc=0; wait $$compare_pid || compare_rc=$$?; \
	cat target/test-spark/compare_engines.txt; took "comparison + pytest -m spark" $$s; \
	took "Spark half (from the cluster start)" $$t0; \
	[ $$compare_rc = 0 ] || { echo "compare_engines.py failed (exit $$compare_rc)"; exit 1; }; \
	[ $$pytest_rc = 0 ] || { echo "pytest -m spark failed (exit $$pytest_rc)"; exit 1; }

# Two workers (pytest-xdist; a module's tests stay in one worker, so a module
# builds its shop once): most of a test's time is dbt parsing and compiling,
# single-threaded Python, so two processes use both cores. --no-loadscope-reorder:
# the modules go out in collection order, longest first (tests/python/conftest.py,
# LONGEST_MODULES_FIRST), not by their number of tests. The project is parsed once
# per dbt configuration for the session (tests/python/subprocess_hooks/dbt_parse_cache.py).
PYTEST_WORKERS ?= 2
pytest: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=40

clean:
	rm -rf target logs warehouse/*.duckdb data
	bash scripts/spark_cluster.sh clean
