"""Check the dbt project against the dbt-project-evaluator rules.

Reads target/manifest.json (run `dbt parse` or any build first) and lists
every violation; exits 1 when there is one. The rules are described in
ecomseg/project_checks.py and docs/quality.md.
"""

import argparse
from pathlib import Path


from ecomseg import REPO_ROOT
from ecomseg.manifest import load_manifest
from ecomseg.project_checks import check_manifest


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=REPO_ROOT / "target" / "manifest.json",
                        help="path to dbt's manifest.json (default: target/manifest.json)")
    args = parser.parse_args(argv)
    if not args.manifest.exists():
        parser.error(f"{args.manifest} not found: run `dbt parse` first")
    violations = check_manifest(load_manifest(args.manifest))
    for v in violations:
        print(v)
    print(f"project checks: {len(violations)} violation(s)")
    return 1 if violations else 0

