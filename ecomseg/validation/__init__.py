"""Great Expectations suites for every layer of the warehouse, and their runner.

What is validated (docs/quality.md explains each check and how to add one):

raw         per contract table, against the raw file itself (read here, not
            through dbt): the file has every column the contract requires;
            file records = staged + quarantined + erased rows (nothing lost,
            nothing invented); and the raw rows the quarantine let through
            (base_ view, quarantine_reason null) honour the contract: required
            values present, typed values parse (regular expressions), value
            sets, ranges, no future or pre-1900 dates, unique keys, order
            lines of known orders. So dirt appears only where the quarantine
            says it is.
quarantine  reasons are documented codes naming contract columns; ids unique.
staging     every stg_ model: declared columns exist, and the model's dbt
            tests (unique, not_null, accepted_values, ranges) re-checked.
marts       every mart, derived from target/manifest.json: exactly the
            contract's columns with the contract's types, the primary key and
            the dbt tests, name rules (counts >= 0, rates and shares in 0-1,
            lift > 0, revenue >= 0, RFM scores 1-5 (every score present for
            recency and monetary value),
            pseudonymous keys are hashes), expectations written in the model's
            YAML meta. A mart's invariants (row counts against other layers,
            sums that must reconcile, value bounds from vars) are dbt data
            tests in its own YAML; GX reads them from the manifest like every
            other dbt test (validation/dbt_tests.py).
privacy     no mart column named like personal data, no e-mail address or
            exact birth date in any mart, every activation model tested for
            consent (ecomseg.gdpr).

How it validates: GX's SQL datasource over duckdb-engine returns empty metric
results (upstream bug, see docs/quality.md), so every relation is read from
DuckDB into pandas and validated with GX's pandas datasource in an ephemeral
context. A relation of up to ``max_rows`` rows is one batch. A larger one is
validated exactly, never sampled: the row-wise expectations batch by batch
(``batch_rows`` rows each, streamed from DuckDB) and the table-wide ones
(uniqueness, row counts, distinct values, sums) once, on a frame holding only
the columns they need.

Modules, by job: common (expectations, row sources, suites), dbt_tests (a
model's dbt tests from the manifest as expectations), raw (the raw files),
staging, marts and privacy (the suites of each layer), runner (GX runs and
the text report). The manifest is read by ecomseg.manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import duckdb

from ecomseg import gdpr
from ecomseg.manifest import load_manifest
from ecomseg.validation.common import (DEFAULT_BATCH_ROWS, DEFAULT_MAX_ROWS, Suite, SuiteResult,
                                       ValidationReport, expectation)
from ecomseg.validation.marts import mart_suites, name_rule_expectations
from ecomseg.validation.privacy import privacy_suites
from ecomseg.validation.raw import RAW_PATTERNS, RawFile, accepted_rows_suite, raw_suites
from ecomseg.validation.runner import Runner, render
from ecomseg.validation.staging import staging_extra_expectations, staging_suites

__all__ = ["LAYERS", "DEFAULT_BATCH_ROWS", "DEFAULT_MAX_ROWS", "RAW_PATTERNS", "RawFile", "Runner", "Suite",
           "SuiteResult", "ValidationReport", "accepted_rows_suite", "build_suites", "expectation",
           "mart_suites", "name_rule_expectations", "privacy_suites", "raw_suites", "render",
           "staging_extra_expectations", "staging_suites", "validate"]

LAYERS = ("raw", "staging", "marts", "privacy")


def build_suites(con, manifest: dict, raw_dir: Path | None, layers: Iterable[str] = LAYERS) -> tuple[list[Suite], list[str]]:
    layers = set(layers)
    suites: list[Suite] = []
    warnings: list[str] = []
    if "raw" in layers and raw_dir is not None:
        erasure = gdpr.ErasureList.load(gdpr.erasure_dir(raw_dir))
        suites += raw_suites(con, raw_dir, erasure)
    if "staging" in layers:
        suites += staging_suites(con, manifest)
    if "marts" in layers:
        suites += mart_suites(con, manifest)
    if "privacy" in layers:
        privacy, privacy_warnings = privacy_suites(con, manifest)
        suites += privacy
        warnings += privacy_warnings
    return suites, warnings


def validate(duckdb_path: Path | str, manifest_path: Path | str, raw_dir: Path | str | None = None,
             docs_dir: Path | str | None = None, layers: Iterable[str] = LAYERS,
             max_rows: int = DEFAULT_MAX_ROWS, batch_rows: int = DEFAULT_BATCH_ROWS,
             select: Iterable[str] | None = None,
             progress: Callable[[SuiteResult], None] | None = None) -> ValidationReport:
    """Run every suite against a built warehouse; write data docs to docs_dir.
    select: shell-style patterns of suite names (e.g. 'marts.fct_*'); default all."""
    duckdb_path = Path(duckdb_path)
    if not duckdb_path.exists():
        raise FileNotFoundError(f"no warehouse at {duckdb_path}: build it first (dbt build)")
    manifest_path = Path(manifest_path)
    if not manifest_path.exists():
        raise FileNotFoundError(f"no dbt manifest at {manifest_path}: run dbt build (or dbt parse) first")
    manifest = load_manifest(manifest_path)
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        suites, warnings = build_suites(con, manifest, Path(raw_dir) if raw_dir else None, layers)
        patterns = [p for p in (select or []) if p]
        if patterns:
            import fnmatch

            suites = [s for s in suites if any(fnmatch.fnmatchcase(s.name, p) for p in patterns)]
        runner = Runner(Path(docs_dir) if docs_dir else None, max_rows=max_rows, batch_rows=batch_rows)
        results = []
        for suite in suites:
            result = runner.run(suite)
            results.append(result)
            if progress:
                progress(result)
        index = runner.build_docs()
    finally:
        con.close()
    return ValidationReport(results, warnings, index)

