"""Running suites with Great Expectations, and the text report.

GX's SQL datasource over duckdb-engine returns empty metric results (upstream
bug, see docs/quality.md), so every relation is read from DuckDB into pandas
and validated with GX's pandas datasource in an ephemeral context. A relation
of up to ``max_rows`` rows is one batch. A larger one is validated exactly,
never sampled: the row-wise expectations batch by batch (``batch_rows`` rows
each, streamed from DuckDB) and the table-wide ones (uniqueness, row counts,
distinct values, sums) once, on a frame holding only the columns they need.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ecomseg.validation.common import (DEFAULT_BATCH_ROWS, DEFAULT_MAX_ROWS, Outcome, Suite, SuiteResult,
                                       ValidationReport, _columns_of, _is_row_wise, _short)


class Runner:
    def __init__(self, docs_dir: Path | None, max_rows: int = DEFAULT_MAX_ROWS, batch_rows: int = DEFAULT_BATCH_ROWS):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_dir = docs_dir
        for site in list(self.context.list_data_docs_sites()):  # the default site writes to a temp folder
            self.context.delete_data_docs_site(site)
        if docs_dir is not None:
            self.context.add_data_docs_site("ecomseg", {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(Path(docs_dir).resolve())},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
        self.datasource = self.context.data_sources.add_pandas("warehouse")
        self.max_rows = max_rows
        self.batch_rows = batch_rows

    def _definition(self, name: str, exps: list):
        """A GX validation definition for the expectations, and {GX expectation id: original}."""
        gx = self.gx
        asset = self.datasource.add_dataframe_asset(name)
        batch_definition = asset.add_batch_definition_whole_dataframe(name)
        # the whole suite at once: add_expectation() re-serialises the suite every time
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=[copy.deepcopy(e) for e in exps]))
        assert len(suite.expectations) == len(exps)
        originals = {added.id: e for added, e in zip(suite.expectations, exps)}
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite))
        return definition, originals

    def run(self, spec: Suite) -> SuiteResult:
        try:
            rows = spec.source.count()
            if not spec.expectations:
                return SuiteResult(spec, [], rows, 0)
            if rows <= self.max_rows:
                groups = [(spec.name, spec.expectations, None, None)]
            else:
                row_wise = [e for e in spec.expectations if _is_row_wise(e)]
                table_wide = [e for e in spec.expectations if not _is_row_wise(e)]
                groups = []
                if table_wide:
                    needed = list(dict.fromkeys(c for e in table_wide for c in _columns_of(e))) or spec.source.columns()[:1]
                    groups.append((spec.name, table_wide, needed, None))
                if row_wise:
                    needed = list(dict.fromkeys(c for e in row_wise for c in _columns_of(e)))
                    groups.append((spec.name + ".rows", row_wise, needed, self.batch_rows))
            merged: dict[int, Outcome] = {}
            batches = 0
            for gx_name, exps, columns, batch_rows in groups:
                definition, originals = self._definition(gx_name, exps)
                for frame in spec.source.frames(columns, batch_rows):
                    batches += 1
                    result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
                    for res in result.results:
                        exp = originals[res.expectation_config.id]
                        _merge(merged, id(exp), spec.name, exp, res)
            outcomes = [merged[id(e)] for e in spec.expectations if id(e) in merged]
            return SuiteResult(spec, outcomes, rows, batches)
        except Exception as exc:  # a suite that cannot run is a failure, with its reason
            return SuiteResult(spec, [], 0, 0, error=f"{type(exc).__name__}: {exc}")

    def build_docs(self) -> Path | None:
        if self.docs_dir is None:
            return None
        self.context.build_data_docs()
        return Path(self.docs_dir).resolve() / "index.html"


def _merge(merged: dict, key: int, suite: str, exp, res) -> None:
    r = res.result or {}
    info = res.exception_info or {}
    if info.get("raised_exception"):
        observed = f"error: {info.get('exception_message')}"
    elif r.get("unexpected_count"):
        observed = f"{r['unexpected_count']} of {r.get('element_count')} rows unexpected, e.g. {_short(r.get('partial_unexpected_list', [])[:5], 160)}"
    elif r.get("partial_missing_list"):
        observed = f"missing values {_short(r['partial_missing_list'][:10], 160)}"
    elif "details" in r and (r["details"] or {}).get("mismatched"):
        observed = f"observed {_short(r.get('observed_value'), 120)}; mismatched {_short(r['details']['mismatched'], 160)}"
    else:
        observed = f"observed {_short(r.get('observed_value'), 160)}"
    meta = exp.meta or {}
    kwargs = {k: v for k, v in exp.configuration.kwargs.items() if k != "batch_id"}
    if key not in merged:
        merged[key] = Outcome(suite, exp.expectation_type, kwargs, meta.get("origin", ""), meta.get("why", ""),
                              bool(res.success), observed)
    else:  # a later batch of a row-wise expectation: failing wins, observations add up
        previous = merged[key]
        if not res.success:
            previous.observed = observed if previous.success else previous.observed + " | " + observed
            previous.success = False


def render(report: ValidationReport, verbose: bool = False) -> str:
    lines = []
    width = max((len(r.suite.name) for r in report.results), default=10)
    for r in report.results:
        passed = sum(1 for o in r.outcomes if o.success)
        status = "PASS" if r.success else "FAIL"
        batches = f", {r.batches} batches" if r.batches > 1 else ""
        lines.append(f"{status}  {r.suite.name:<{width}}  {passed}/{len(r.outcomes)} expectations passed"
                     f"  ({r.rows:,} rows{batches})")
        if r.error:
            lines.append(f"      suite could not run: {r.error}")
        for o in (r.outcomes if verbose else r.failed):
            mark = "ok  " if o.success else "FAIL"
            lines.append(f"      {mark} {o.label()}")
            if o.why:
                lines.append(f"           why: {o.why} [{o.origin}]")
            lines.append(f"           {o.observed}")
    passed, failed = report.totals()
    lines.append("")
    for w in report.warnings:
        lines.append(f"WARNING: {w}")
    lines.append(f"{len(report.results)} suites, {passed} expectations passed, {failed} failed"
                 + (f"; data docs: {report.docs_index}" if report.docs_index else ""))
    lines.append("RESULT: " + ("the data honours its contracts" if report.success else "CONTRACT VIOLATIONS (see FAIL above)"))
    return "\n".join(lines)

