"""scripts/benchmark_build.py: the commands its steps run (no build is run here)."""

import importlib.util
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

    def fake_run_measured(step, command, cwd, quiet):
        commands[step] = command
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
