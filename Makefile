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

test: install lint project-checks build-ci system-deps pytest test-spark
	@echo "All checks passed."

# Models and tests as written; then the SQL the macros write, compiled from
# the harness analyses/macro_lint/ (sqlfluff skips macro files; README there).
MACRO_LINT := target/macro-lint
lint: install
	$(BIN)/sqlfluff lint models tests/dbt analyses
	rm -rf $(MACRO_LINT)
	DUCKDB_PATH=$(MACRO_LINT)/lint.duckdb $(BIN)/dbt compile --profiles-dir . --quiet \
	  --select path:analyses/macro_lint --target-path $(MACRO_LINT)
	$(BIN)/sqlfluff lint $(MACRO_LINT)/compiled/ecommerce_segmentation/analyses/macro_lint \
	  --config analyses/macro_lint/compiled.cfg --disregard-sqlfluffignores

project-checks: install
	$(BIN)/dbt parse --profiles-dir . --quiet
	$(BIN)/python scripts/check_project.py --manifest target/manifest.json

# Build twice on a dirty generated shop, from an empty warehouse (a stale one
# would name files the generator has since changed): the second run exercises incremental
# paths and must leave every test green as well.
build-ci: install
	rm -f $(CI_DB) $(CI_DB).wal
	$(BIN)/python scripts/generate_data.py --scale small --seed 7 --out $(CI_RAW) --quiet
	$(BIN)/python scripts/build_warehouse.py --raw-dir $(CI_RAW) --duckdb $(CI_DB) --no-generate
	$(BIN)/python scripts/build_warehouse.py --raw-dir $(CI_RAW) --duckdb $(CI_DB) --no-generate
	$(BIN)/python scripts/validate.py --duckdb $(CI_DB) --raw-dir $(CI_RAW) --manifest target/manifest.json --docs-dir target/gx_docs

# The Spark half of `make test` (docs/spark.md): installs the Spark
# requirements into .venv (stamp below) and Java if missing, generates a small
# shop (absolute path: the Spark server reads the files), builds it twice on
# DuckDB, then starts the local Spark cluster from scratch (stopped again on
# exit, also on failure), builds EVERYTHING twice on Spark (every model, seed,
# data test and unit test; the second build runs the incremental paths),
# compares every mart of the two warehouses (scripts/compare_engines.py: row
# counts, sums, key sets) and runs the pytest tests marked `spark` (the Spark
# loader's error paths) while the cluster is up.
SPARK_CI_RAW  := $(CURDIR)/data/spark-ci/raw
SPARK_CI_DB   := warehouse/spark-ci.duckdb
SPARK_THREADS ?= 4
SPARK_STAMP   := $(VENV)/.spark-installed-$(shell cat requirements.txt requirements-spark.txt | cksum | cut -d' ' -f1)
SPARK_ENV      = PYTHON=$(abspath $(BIN))/python
# The CLV parameters (docs/clv.md) are fitted on the DuckDB reference build and
# passed to the Spark builds (dbt-spark runs no Python: the fit is outside dbt).
SPARK_CLV_PARAMS := $(CURDIR)/data/spark-ci/clv_parameters.json
SPARK_CLV_VARS    = --vars "{clv_parameters: $$(cat $(SPARK_CLV_PARAMS))}"
SPARK_DBT      = DBT_TARGET=spark DBT_THREADS=$(SPARK_THREADS) RAW_DATA_DIR=$(SPARK_CI_RAW) \
	$(BIN)/dbt build --profiles-dir . --target-path target/test-spark $(SPARK_CLV_VARS)

$(SPARK_STAMP): requirements-spark.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	@rm -f $(VENV)/.spark-installed-* && touch $(SPARK_STAMP)

install-spark: install $(SPARK_STAMP) system-deps

# Debian packages the checks need when missing (scripts/install_system_deps.sh): Java and
# procps for the local Spark cluster, chromium for the headless report and docs-site tests.
system-deps:
	bash scripts/install_system_deps.sh

test-spark: install-spark
	$(BIN)/python scripts/generate_data.py --customers 300 --days 120 --seed 7 --out $(SPARK_CI_RAW) --force --quiet
	rm -f $(SPARK_CI_DB)
	@set -e; for run in 1 2; do \
	  echo "== DuckDB build $$run (reference for the comparison)"; \
	  DBT_TARGET=duckdb DUCKDB_PATH=$(SPARK_CI_DB) RAW_DATA_DIR=$(SPARK_CI_RAW) \
	    $(BIN)/dbt build --profiles-dir . --target-path target/test-spark-duckdb --quiet; \
	done
	$(BIN)/python -m ecomseg clv-fit --duckdb $(SPARK_CI_DB) --out $(SPARK_CLV_PARAMS)
	DBT_TARGET=duckdb DUCKDB_PATH=$(SPARK_CI_DB) RAW_DATA_DIR=$(SPARK_CI_RAW) \
	  $(BIN)/dbt build --profiles-dir . --target-path target/test-spark-duckdb --quiet \
	  --select int_clv_parameters+ $(SPARK_CLV_VARS)
	@set -e; \
	trap '$(SPARK_ENV) bash scripts/spark_cluster.sh stop' EXIT; trap 'exit 130' INT TERM; \
	$(SPARK_ENV) bash scripts/spark_cluster.sh clean; \
	$(SPARK_ENV) bash scripts/spark_cluster.sh start; \
	for run in 1 2; do \
	  echo "== Spark build $$run"; \
	  start=$$(date +%s); \
	  $(SPARK_DBT); \
	  echo "== Spark build $$run took $$(( $$(date +%s) - start )) s"; \
	done; \
	$(BIN)/python scripts/compare_engines.py --manifest target/test-spark/manifest.json --duckdb $(SPARK_CI_DB); \
	$(BIN)/python -m pytest --spark -m spark

# Two workers (pytest-xdist; a module's tests stay in one worker, so a module
# builds its shop once): most of a test's time is dbt parsing and compiling,
# single-threaded Python, so two processes use both cores. --no-loadscope-reorder:
# the modules go out in collection order, longest first (tests/python/conftest.py,
# LONGEST_MODULES_FIRST), not by their number of tests. The project is parsed once
# per dbt configuration for the session (tests/python/dbt_parse_cache.py).
PYTEST_WORKERS ?= 2
pytest: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

clean:
	rm -rf target logs warehouse/*.duckdb data
	bash scripts/spark_cluster.sh clean
