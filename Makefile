# The two commands of the README:
#   make demo   install, generate a small sample shop, build the warehouse, print a summary
#   make test   install, then every check: lint, project rules, dbt build with all tests, pytest
# Everything runs inside .venv, created from the pinned requirements.txt.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
CI_RAW := data/ci/raw
CI_DB  := warehouse/ci.duckdb

.PHONY: install demo test lint project-checks build-ci pytest clean

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

pytest: install
	$(BIN)/python -m pytest

clean:
	rm -rf target logs warehouse/*.duckdb data
