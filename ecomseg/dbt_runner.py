"""Drive dbt from Python (dbt's programmatic API, dbtRunner).

Every call runs against this repository's project and profiles. Where the
warehouse file and the raw data live is passed explicitly, so tests and
scripts never share state by accident.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from ecomseg import REPO_ROOT


class DbtCommandFailed(RuntimeError):
    """A dbt command did not succeed; the message lists what failed."""


@dataclass(frozen=True)
class DbtResult:
    success: bool
    failures: list[str]  # "<node>: <status>: <message>" for every non-passing node
    raw: object  # dbt's own result object


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def _command_line(cli_args: Sequence[str]) -> Iterator[None]:
    """Make sys.argv the dbt command being run, for the time of the call.

    dbt takes its invocation command (written to logs/dbt.log and to
    run_results.json as args.invocation_command) and some flags from
    sys.argv, not from the arguments given to dbtRunner. Without this, the
    calling script's own command line would be recorded, e.g. the customer
    id given to scripts/forget_customer.py, in clear.
    """
    saved = sys.argv
    sys.argv = ["dbt", *cli_args]
    try:
        yield
    finally:
        sys.argv = saved


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the whole process.

    dbt-duckdb holds one environment per process (a class attribute) after a
    command ends; while it is open, no other connection with a different
    configuration (e.g. read_only) may open the same file in this process.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


# dbt arguments that leave the unit tests out of a build (ecomseg build --skip-unit-tests and the CLV fit's
# second build): unit tests check the code, not the data.
SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def run_dbt(
    args: Sequence[str],
    *,
    raw_dir: Path | str | None = None,
    duckdb_path: Path | str | None = None,
    target_path: Path | str | None = None,
    dbt_vars: dict | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    manifest: object | None = None,
) -> DbtResult:
    """Run one dbt command, e.g. run_dbt(["build"], raw_dir=..., duckdb_path=...).

    raw_dir: folder of raw files (sets RAW_DATA_DIR, an absolute path).
    duckdb_path: the warehouse file (sets DUCKDB_PATH; its folder is created).
    target_path: where dbt writes manifest and compiled SQL (default target/).
    dbt_vars: passed as --vars.
    check: raise DbtCommandFailed when the command does not succeed; its
        message names every failing node (or dbt's own error) with its
        message, without the macro call trace, and counts the skipped nodes.

    manifest: a parsed manifest to reuse (dbtRunner(manifest=...)): the
        command does not parse the project again (ecomseg.stream, one parse
        for every micro-batch). Parse with the same env, vars and target path.

    dbt records the command (args and vars, not env) in logs/dbt.log and
    target/run_results.json: never pass personal data in args or dbt_vars.
    """
    from dbt.cli.main import dbtRunner

    environment = dict(env or {})
    if raw_dir is not None:
        environment["RAW_DATA_DIR"] = str(Path(raw_dir).resolve())
    if duckdb_path is not None:
        duckdb_path = Path(duckdb_path).resolve()
        duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        environment["DUCKDB_PATH"] = str(duckdb_path)
    else:
        (REPO_ROOT / "warehouse").mkdir(exist_ok=True)

    cli_args = list(args) + ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)]
    if target_path is not None:
        cli_args += ["--target-path", str(Path(target_path).resolve())]
    if dbt_vars:
        cli_args += ["--vars", json.dumps(dbt_vars)]

    with _environment(environment), _command_line(cli_args):
        try:
            result = dbtRunner(manifest=manifest).invoke(cli_args)
        finally:
            _release_duckdb()

    failures: list[str] = []
    problems: list[str] = []  # the failing nodes and dbt's own error, for the short report
    skipped = 0
    results = getattr(result.result, "results", None) or []
    for node_result in results:
        status = str(getattr(node_result, "status", ""))
        if status.lower() in {"error", "fail", "runtime error", "skipped"}:
            node = getattr(node_result, "node", None)
            name = getattr(node, "unique_id", "?") if node is not None else "?"
            message = getattr(node_result, "message", "")
            failures.append(f"{name}: {status}: {message}")
            if status.lower() == "skipped":
                skipped += 1
            else:
                problems.append(f"{name}: {status}: {_short(message)}")
    if result.exception is not None:
        failures.append(f"dbt raised: {result.exception}")
        problems.append(f"dbt stopped: {_short(result.exception)}")
    success = bool(result.success)
    if check and not success:
        detail = "\n  ".join(problems) or "see the dbt log above"
        if skipped:
            detail += f"\n  ({skipped} node(s) skipped because something they depend on failed)"
        raise DbtCommandFailed(f"dbt {' '.join(args)} failed:\n  {detail}")
    return DbtResult(success=success, failures=failures, raw=result)


def _short(message: object) -> str:
    """dbt's message without its macro call trace ("> in macro ..." lines)
    and blank lines, continuation lines indented under the node."""
    lines = [line.strip() for line in str(message or "").splitlines()]
    kept = [line for line in lines if line and not line.startswith("> ")]
    return "\n    ".join(kept)
