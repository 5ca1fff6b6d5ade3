"""dbt's target/manifest.json, read in one place.

Every Python consumer of the manifest (project checks, GX validation, the
privacy checks, the engine comparison, the tests) reads it through this
module: one reader, one notion of a model's layer, of the tests attached to a
node, and of its primary key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PROJECT = "ecommerce_segmentation"


def load_manifest(path: Path | str) -> dict:
    """The parsed manifest.json at ``path``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def layer_of(node: dict) -> str | None:
    """The layer folder of a model (models/<layer>/...), None for a model directly in models/."""
    parts = Path(node.get("original_file_path") or "").parts
    if len(parts) < 3 or parts[0] != "models":
        return None
    return parts[1]


def project_models(manifest: dict) -> list[dict]:
    """Every model node of this project (all versions)."""
    return [n for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n.get("package_name") == PROJECT]


def model_nodes(manifest: dict, layer: str) -> list[dict]:
    """The project's models under models/<layer>/ (all versions), sorted by name."""
    nodes = [n for n in project_models(manifest) if layer_of(n) == layer]
    return sorted(nodes, key=lambda n: (n["name"], str(n.get("version") or "")))


def node_meta(node: dict) -> dict:
    """meta of a node or column: the top-level meta and config.meta, merged."""
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def relation_name(node: dict) -> str:
    """schema.alias of a node, unquoted (for messages and Spark/DuckDB SQL alike)."""
    return f"{node['schema']}.{node.get('alias') or node['name']}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quoted_relation(node: dict) -> str:
    """"schema"."alias" of a node, quoted for DuckDB."""
    return f"{_quote(node['schema'])}.{_quote(node.get('alias') or node['name'])}"


def attached_node(test: dict) -> str | None:
    """The node a generic test is attached to (attached_node, else its first dependency)."""
    return test.get("attached_node") or ((test.get("depends_on") or {}).get("nodes") or [None])[0]


def tests_of(manifest: dict, node: dict) -> list[dict]:
    """Generic data tests attached to the node, in manifest order:
    [{name, column, kwargs, where, unique_id, depends_on}]."""
    out = []
    for test in manifest["nodes"].values():
        if test.get("resource_type") != "test" or attached_node(test) != node["unique_id"]:
            continue
        meta = test.get("test_metadata") or {}
        if not meta:
            continue
        kwargs = meta.get("kwargs") or {}
        out.append({"name": meta.get("name"), "column": test.get("column_name") or kwargs.get("column_name"),
                    "kwargs": kwargs, "where": (test.get("config") or {}).get("where"),
                    "unique_id": test.get("unique_id"),
                    "depends_on": list((test.get("depends_on") or {}).get("nodes") or [])})
    return out


def tested_columns(manifest: dict, node: dict, unfiltered: bool = False) -> dict[str, set[str]]:
    """{column: {names of the generic tests on it}}; unfiltered: only tests without a where."""
    result: dict[str, set[str]] = {}
    for t in tests_of(manifest, node):
        if t["column"] and not (unfiltered and t["where"]):
            result.setdefault(t["column"], set()).add(t["name"])
    return result


#: The generic tests that check a column is unique: dbt's unique, and unique_in_new_loads
#: (macros/generic_tests/unique_in_new_loads.sql: on an incremental build it checks the keys of the new loads).
UNIQUE_TESTS = frozenset({"unique", "unique_in_new_loads"})


def primary_key_columns(manifest: dict, node: dict) -> list[str]:
    """Every column tested both unique (a test of UNIQUE_TESTS) and not_null without a where
    filter, in the model's declared column order (columns not declared last, by name)."""
    tested = tested_columns(manifest, node, unfiltered=True)
    keys = [c for c, names in tested.items() if "not_null" in names and names & UNIQUE_TESTS]
    declared = list((node.get("columns") or {}).keys())
    return sorted(keys, key=lambda c: (declared.index(c) if c in declared else len(declared), c))


def primary_key(manifest: dict, node: dict) -> str | None:
    """The model's primary key: the first of primary_key_columns, None when it has none."""
    keys = primary_key_columns(manifest, node)
    return keys[0] if keys else None


_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"](?:\s*,\s*(?:v|version)\s*=\s*['"]?([^'")\s]+)['"]?)?\s*\)""")


def resolve_ref(manifest: dict, text: str) -> dict | None:
    """The model node that ``text`` ("ref('x')" or "{{ ref('x') }}", as a test argument is
    kept in the manifest) names: its latest version unless one is given; None if not a ref."""
    match = _REF.search(text or "")
    if not match:
        return None
    name, version = match.group(1), match.group(2)
    candidates = [n for n in project_models(manifest) if n["name"] == name]
    if version is not None:
        candidates = [n for n in candidates if str(n.get("version")) == version]
    elif any(n.get("latest_version") is not None for n in candidates):
        candidates = [n for n in candidates if str(n.get("version")) == str(n.get("latest_version"))] or candidates
    return candidates[0] if candidates else None
