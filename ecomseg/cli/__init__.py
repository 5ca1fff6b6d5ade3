"""The ``ecomseg`` command: one entry point, a sub-command per job.

    ecomseg generate ...            synthetic shop (ecomseg.cli.generate)
    ecomseg build ...               generate if needed, dbt build, summary (ecomseg.cli.build)
    ecomseg validate ...            Great Expectations over a built warehouse (ecomseg.cli.validate)
    ecomseg clv-fit ...             CLV parameters of a built warehouse (ecomseg.cli.clv_fit)
    ecomseg forget CUSTOMER_ID ...  right to be forgotten (ecomseg.cli.forget)
    ecomseg check ...               project rules over target/manifest.json (ecomseg.cli.check)
    ecomseg compare-engines ...     the marts of DuckDB and Spark compared (ecomseg.cli.compare_engines)
    ecomseg compare-warehouses ...  two DuckDB warehouses compared (ecomseg.cli.compare_warehouses)
    ecomseg check-plans ...         no join that does not scale in the models' DuckDB plans (ecomseg.cli.check_plans)
    ecomseg benchmark-rules ...     association-rules engines (ecomseg.cli.benchmark_rules)
    ecomseg benchmark-generator ... the generator's speed (ecomseg.cli.benchmark_generator)
    ecomseg benchmark-build ...     dbt build times (scripts/benchmark_build.py of the project)
    ecomseg report ...              one self-contained HTML report from the marts (ecomseg.cli.report)
    ecomseg collect ...             the event collector, HTTP -> raw event files (ecomseg.cli.collect)
    ecomseg benchmark-collector ... the collector under load and SIGKILL (ecomseg.cli.benchmark_collector)
    ecomseg stream ...              micro-batches: real-time path per batch, then export (ecomseg.cli.stream)
    ecomseg export ...              deliver the decided actions once (ecomseg.cli.export)
    ecomseg realtime --demo         the whole real-time path on the sample shop (ecomseg.cli.realtime)
    ecomseg benchmark-realtime ...  real-time latency and kills (ecomseg.cli.benchmark_realtime)

``ecomseg <command> --help`` lists each command's options. The scripts in
scripts/ are thin wrappers of the same functions.
"""

from __future__ import annotations

import importlib
import sys

# command -> (module under ecomseg.cli, or a script of the project; one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("generate", "write a synthetic shop in the raw data contract"),
    "build": ("build", "build the warehouse with dbt (generates the sample shop when needed) and print a summary"),
    "validate": ("validate", "validate a built warehouse against its contracts with Great Expectations"),
    "clv-fit": ("clv_fit", "fit the CLV models (BG/NBD, Gamma-Gamma) on a built warehouse, print their parameters"),
    "forget": ("forget", "erase a customer from the raw files, the warehouse and exports"),
    "check": ("check", "check the dbt project against the project rules (target/manifest.json)"),
    "compare-engines": ("compare_engines", "compare the marts built on DuckDB and on Spark"),
    "compare-warehouses": ("compare_warehouses", "compare two DuckDB warehouses relation by relation"),
    "check-plans": ("check_plans", "fail on a model whose DuckDB plan joins every row with every row"),
    "benchmark-rules": ("benchmark_rules", "benchmark the association-rules macros against pyfim and mlxtend"),
    "benchmark-generator": ("benchmark_generator", "measure the generator's time and memory"),
    "benchmark-build": ("scripts/benchmark_build.py", "measure dbt build times (the project's benchmark script)"),
    "report": ("report", "write one self-contained HTML report (charts) from the marts"),
    "collect": ("collect", "run the event collector: events in over HTTP, written as raw event files"),
    "benchmark-collector": ("benchmark_collector", "load and fault benchmark of the event collector (loopback)"),
    # rt-stream (issue #15)
    "stream": ("stream", "micro-batches: run the real-time path on new event files, then export the new actions"),
    "export": ("export", "deliver the decided marketing actions exactly once to a webhook or a JSON-lines file"),
    "realtime": ("realtime", "start the whole real-time path on the sample shop (--demo)"),
    "benchmark-realtime": ("benchmark_realtime", "measure the real-time path's latency end to end, and kills"),
}


def usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["usage: ecomseg <command> [options]", "",
             "The Python side of the ecommerce_segmentation dbt warehouse.", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "ecomseg <command> --help lists a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"ecomseg: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    target = COMMANDS[command][0]
    if target.startswith("scripts/"):
        return _run_script(target, rest)
    module = importlib.import_module(f"ecomseg.cli.{target}")
    return module.main(rest, prog=f"ecomseg {command}")


def _run_script(relative: str, argv: list[str]) -> int:
    """A project script whose logic lives in the script itself (benchmark_build.py)."""
    import runpy

    from ecomseg import REPO_ROOT

    path = REPO_ROOT / relative
    if not path.exists():
        print(f"ecomseg: {path} not found (this command needs the project checkout)", file=sys.stderr)
        return 2
    return runpy.run_path(str(path), run_name="ecomseg_script")["main"](argv)
