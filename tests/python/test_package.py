"""The ecomseg package: installable, one command with sub-commands, scripts as
thin wrappers, every module importable on its own, no import cycle, and
no edits of the import path."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import pytest

from ecomseg import REPO_ROOT, cli

PACKAGE = REPO_ROOT / "ecomseg"


def _module_name(path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = sorted(_module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


def test_pyproject_has_a_build_system_and_the_ecomseg_command():
    doc = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert doc["build-system"]["build-backend"] == "setuptools.build_meta"
    assert doc["project"]["scripts"] == {"ecomseg": "ecomseg.cli:main"}
    assert doc["tool"]["pytest"]["ini_options"]["pythonpath"] == ["."]


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_on_its_own(module):
    """In a fresh interpreter, so no other module has been imported before it."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def _imports(path, name: str) -> set[str]:
    """ecomseg modules that the module imports anywhere (top level or inside a function)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m in MODULES and m != name and m != "ecomseg"}


def import_graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p, _module_name(p)) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules forming an import cycle (first = last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue  # a package importing its own modules (its __init__) is not a cycle
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "p": {"p.x"}, "p.x": set()}) is None


def test_no_import_cycle_between_the_package_modules():
    graph = import_graph()
    assert "ecomseg.manifest" in graph["ecomseg.gdpr"]  # the graph sees real imports
    assert find_cycle(graph) is None


def test_no_sys_path_edits():
    needle = "sys." + "path"
    offenders = [str(p.relative_to(REPO_ROOT)) for folder in ("ecomseg", "scripts", "tests")
                 for p in (REPO_ROOT / folder).rglob("*.py") if needle in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_scripts_are_thin_wrappers_of_the_command():
    wrappers = sorted(p for p in (REPO_ROOT / "scripts").glob("*.py") if p.name != "benchmark_build.py")
    assert len(wrappers) == 13  # + report.py (#16), benchmark_collector.py, benchmark_realtime.py (#15), check_plans.py
    for path in wrappers:
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 15 and "from ecomseg.cli." in text, path.name


def test_the_command_lists_its_sub_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("generate", "build", "validate", "clv-fit", "forget", "check", "compare-engines",
                    "compare-warehouses", "benchmark-rules", "benchmark-generator", "benchmark-build", "report",
                    "collect", "benchmark-collector", "stream", "export", "realtime", "benchmark-realtime"):
        assert f"  {command} " in out
    assert cli.main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_sub_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ") and "--help" in out


@pytest.mark.parametrize("argv", [
    ["build", "--no-generate", "--raw-dir", "{tmp}", "--duckdb", "{tmp}/marts.duckdb"],
    ["build", "--no-generate", "--raw-dir", "{tmp}", "--duckdb", "{tmp}/Realtime.duckdb"],
    ["stream", "--raw-dir", "{tmp}", "--duckdb", "{tmp}/realtime.duckdb", "--jsonl", "{tmp}/a.jsonl"],
    ["export", "--duckdb", "{tmp}/main.duckdb", "--jsonl", "{tmp}/a.jsonl"],
    ["realtime", "--demo", "--duckdb", "{tmp}/staging.duckdb"],
])
def test_a_warehouse_file_named_like_a_schema_is_refused_before_anything_runs(argv, tmp_path, capsys):
    # DuckDB names the catalog after the file: realtime.duckdb made realtime.action_deliveries ambiguous
    with pytest.raises(SystemExit) as stop:
        cli.main([arg.format(tmp=tmp_path) for arg in argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "cannot be used: DuckDB names its catalog" in err and "Choose another file name" in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_warehouse_file_name_that_only_contains_a_schema_name_is_accepted(tmp_path):
    from ecomseg.cli.build import warehouse_name_problem

    assert warehouse_name_problem(tmp_path / "realtime_shop.duckdb") is None
    assert warehouse_name_problem(tmp_path / "marts_2026.duckdb") is None
    assert warehouse_name_problem(tmp_path / "ecommerce.duckdb") is None
    assert "'raw'" in warehouse_name_problem(tmp_path / "raw.duckdb")
