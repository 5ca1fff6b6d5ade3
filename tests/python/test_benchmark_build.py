"""scripts/benchmark_build.py: the commands its steps run (no build is run here)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

from ecomseg import REPO_ROOT


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_build", REPO_ROOT / "scripts" / "benchmark_build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_new_days_staging_step_does_not_publish_and_the_whole_build_does_and_new_days_skip_unit_tests(monkeypatch, tmp_path):
    benchmark = load_benchmark()
    commands = {}

    def fake_run_measured(step, command, cwd, env, quiet):
        commands[step] = command
        assert env["ECOMSEG_PROJECT_DIR"] == str(cwd)  # this checkout's project
        return benchmark.Measured(step=step, wall_s=0.0, cpu_s=0.0, peak_rss_bytes=0, returncode=0)

    monkeypatch.setattr(benchmark, "run_measured", fake_run_measured)
    monkeypatch.setattr(benchmark, "generate", lambda arguments, quiet: None)
    benchmark.measure_batch("small", 3, tmp_path, quiet=True)
    staging = commands["small new day: staging+sessions"]
    assert staging[-4:] == ["--selector", "raw_to_sessions", "--no-publish", "--skip-unit-tests"]
    assert "--no-publish" not in commands["small new day: whole build"]
    assert "--no-publish" not in commands["small history"]
    # the new day's builds are scheduled builds of new data (no unit tests); the history build runs them
    assert "--skip-unit-tests" in commands["small new day: whole build"]
    assert "--skip-unit-tests" not in commands["small history"]
    assert Path(staging[1]).name == "build_warehouse.py"


def test_a_baseline_worktree_runs_its_own_package_and_project(tmp_path):
    """The shared .venv holds this checkout's package, installed editable: a baseline worktree's script must
    still import the worktree's package and build the worktree's dbt project, or the baseline is this code."""
    benchmark = load_benchmark()
    tree = tmp_path / "baseline"
    (tree / "ecomseg").mkdir(parents=True)
    (tree / "ecomseg" / "__init__.py").write_text("")
    (tree / "scripts").mkdir()
    (tree / "scripts" / "probe.py").write_text(
        "import os\nimport ecomseg\nprint(ecomseg.__file__)\nprint(os.environ['ECOMSEG_PROJECT_DIR'])\n")
    printed = subprocess.run([sys.executable, str(tree / "scripts" / "probe.py")], cwd=tree,
                             env=benchmark.tree_environment(tree), capture_output=True, text=True, check=True)
    assert printed.stdout.split() == [str(tree / "ecomseg" / "__init__.py"), str(tree)]
    # without it, the script would import this checkout's package
    plain = subprocess.run([sys.executable, str(tree / "scripts" / "probe.py")], cwd=tree,
                           env={**benchmark.os.environ, "ECOMSEG_PROJECT_DIR": "x"}, capture_output=True, text=True)
    assert plain.stdout.split()[:1] != [str(tree / "ecomseg" / "__init__.py")]
