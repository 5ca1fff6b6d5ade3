# The two commands of the README:
#   make demo   install, generate a small sample shop, build the warehouse, print a summary
#   make test   install, then every check: lint, project rules, dbt build with all tests (twice),
#               Great Expectations validation of every layer, pytest
# Everything runs inside .venv, created from the pinned requirements.txt.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
CI_RAW := data/ci/raw
CI_DB  := warehouse/ci.duckdb

.PHONY: install demo test lint project-checks build-ci pytest clean test-spark

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python scripts/build_warehouse.py --scale small

test: install lint project-checks build-ci pytest
	@echo "All checks passed."

lint: install
	$(BIN)/sqlfluff lint models tests/dbt

project-checks: install
	$(BIN)/dbt parse --profiles-dir . --quiet
	$(BIN)/python scripts/check_project.py --manifest target/manifest.json

# Build twice on a dirty generated shop: the second run exercises incremental
# paths and must leave every test green as well.
build-ci: install
	$(BIN)/python scripts/generate_data.py --scale small --seed 7 --out $(CI_RAW) --quiet
	$(BIN)/python scripts/build_warehouse.py --raw-dir $(CI_RAW) --duckdb $(CI_DB) --no-generate
	$(BIN)/python scripts/build_warehouse.py --raw-dir $(CI_RAW) --duckdb $(CI_DB) --no-generate
	$(BIN)/python scripts/validate.py --duckdb $(CI_DB) --raw-dir $(CI_RAW) --manifest target/manifest.json --docs-dir target/gx_docs

# The Spark port (docs/spark.md), not part of `make test`: installs the Spark
# requirements into .venv and Java if missing, starts the local cluster
# (stopped again on exit, also on failure), generates a small shop, builds
# SPARK_SELECT twice on DuckDB and twice on Spark and compares the marts of
# the two warehouses (scripts/compare_engines.py). Raw paths must be absolute:
# the Spark server reads the files.
SPARK_SELECT ?= +path:models/staging +path:models/marts/basket +customer_rfm
# the marts SPARK_SELECT builds (compare_engines.py compares every mart without --select)
SPARK_COMPARE ?= accessory_recommendations category_association_rules customer_product_recommendations \
	customer_rfm frequently_bought_together product_association_rules
SPARK_CI_RAW := $(CURDIR)/data/spark-ci/raw
SPARK_CI_DB  := warehouse/spark-ci.duckdb
SPARK_DBT     = $(BIN)/dbt build --profiles-dir . --select $(SPARK_SELECT)

test-spark: install
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	bash scripts/install_system_deps.sh
	$(BIN)/python scripts/generate_data.py --customers 300 --days 120 --seed 7 --out $(SPARK_CI_RAW) --force --quiet
	@set -e; \
	trap 'PYTHON=$(BIN)/python bash scripts/spark_cluster.sh stop' EXIT; \
	PYTHON=$(BIN)/python bash scripts/spark_cluster.sh start; \
	for run in 1 2; do \
	  echo "== DuckDB build $$run"; \
	  DBT_TARGET=duckdb DUCKDB_PATH=$(SPARK_CI_DB) RAW_DATA_DIR=$(SPARK_CI_RAW) \
	    $(SPARK_DBT) --target-path target/test-spark-duckdb; \
	done; \
	for run in 1 2; do \
	  echo "== Spark build $$run"; \
	  DBT_TARGET=spark RAW_DATA_DIR=$(SPARK_CI_RAW) \
	    $(SPARK_DBT) --target-path target/test-spark-spark; \
	done; \
	$(BIN)/python scripts/compare_engines.py --manifest target/test-spark-spark/manifest.json \
	  --duckdb $(SPARK_CI_DB) --select $(SPARK_COMPARE)

pytest: install
	$(BIN)/python -m pytest

clean:
	rm -rf target logs warehouse/*.duckdb data
