"""A throw-away dbt project that uses this repository's macros.

Tests of generic tests, contracts and versions build tiny fixtures (seeds and
models written by the test) in a temp folder. The sandbox project is also
named ``ecommerce_segmentation`` and its ``macros`` folder is a symlink to the
repository's, so every project macro (generic tests, dispatched cross-db
macros) resolves exactly as in the real project, while nothing is written
into the repository or its warehouse.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ecomseg import REPO_ROOT
from ecomseg.dbt_runner import _environment, _release_duckdb

PROJECT_YML = """\
name: ecommerce_segmentation
version: "0.1.0"
config-version: 2
profile: sandbox
model-paths: ["models"]
macro-paths: ["macros"]
seed-paths: ["seeds"]
test-paths: ["tests"]
models:
  ecommerce_segmentation:
    +materialized: table
"""

PROFILES_YML = """\
sandbox:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{path}"
      schema: main
      threads: 1
      settings:
        TimeZone: UTC
"""


@dataclass
class NodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str  # pass, fail, error, success, skipped, ...
    failures: int | None
    message: str


@dataclass
class SandboxResult:
    success: bool
    nodes: list[NodeResult]
    exception: str | None

    def status(self, name_part: str) -> str:
        """The status of the one node whose unique_id contains name_part."""
        found = [n for n in self.nodes if name_part in n.unique_id]
        assert len(found) == 1, f"{name_part!r} matches {[n.unique_id for n in found]}"
        return found[0].status

    def messages(self) -> str:
        parts = [f"{n.unique_id}: {n.status}: {n.message}" for n in self.nodes if n.status not in ("pass", "success")]
        if self.exception:
            parts.append(self.exception)
        return "\n".join(parts)


class Sandbox:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.database = self.root / "sandbox.duckdb"
        (self.root / "dbt_project.yml").write_text(PROJECT_YML, encoding="utf-8")
        (self.root / "profiles.yml").write_text(PROFILES_YML.format(path=self.database), encoding="utf-8")
        link = self.root / "macros"
        if not link.exists():
            os.symlink(REPO_ROOT / "macros", link, target_is_directory=True)
        for folder in ("models", "seeds", "tests"):
            (self.root / folder).mkdir(exist_ok=True)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()

    def dbt(self, *args: str, env: dict[str, str] | None = None) -> SandboxResult:
        from dbt.cli.main import dbtRunner

        cli = list(args) + ["--project-dir", str(self.root), "--profiles-dir", str(self.root),
                            "--target-path", str(self.root / "target"), "--log-path", str(self.root / "logs")]
        with _environment(dict(env or {})):
            try:
                result = dbtRunner().invoke(cli)
            finally:
                _release_duckdb()
        nodes = []
        for r in getattr(result.result, "results", None) or []:
            node = getattr(r, "node", None)
            nodes.append(NodeResult(
                unique_id=getattr(node, "unique_id", "?"),
                name=getattr(node, "name", "?"),
                resource_type=str(getattr(node, "resource_type", "?")),
                status=str(getattr(r, "status", "")).lower(),
                failures=getattr(r, "failures", None),
                message=str(getattr(r, "message", "") or ""),
            ))
        exception = None if result.exception is None else str(result.exception)
        return SandboxResult(success=bool(result.success), nodes=nodes, exception=exception)

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.database), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
