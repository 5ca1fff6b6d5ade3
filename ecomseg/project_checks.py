"""The dbt-project-evaluator rules, checked over target/manifest.json.

dbt-project-evaluator is a hub package (unreachable here), so its rules are
re-stated as plain checks over the manifest that `dbt parse` writes:

  sources-only-in-base    only base_ models (staging layer) read sources
  source-fanout           every source table is read by exactly one model,
                          and that model reads exactly one source table
  root-models             no model sits directly in models/
  layer-naming            staging: stg_/base_/quarantine_; intermediate: int_;
                          marts: not stg_/base_/int_/quarantine_
  layer-dependencies      base_ reads only sources and base_ models (never
                          staging: the direction is raw -> base_ -> stg_);
                          stg_ reads only base_ models and seeds; marts read
                          no source and no base_ or quarantine_ model;
                          intermediate reads no base_ model
  parse-once              a raw value is parsed and normalised once, in its
                          base_ model: no stg_ or quarantine_ model calls
                          clean_text, try_parse_*, try_cast, parse_as or
                          parsed_columns, itself or through a macro it calls
  primary-key-test        every model and seed has a column tested both
                          unique and not_null (meta primary_key_exempt: "<why>"
                          exempts a model, and must say why)
  descriptions            every model, seed, source table and every column
                          they declare has a description
  source-freshness        every source table with a record time column
                          (meta record_time_column) has freshness configured
  mart-contracts          every mart has access public and an enforced
                          contract with a data_type for every column
  mart-versions           every mart is a versioned model (latest_version and
                          versions), and its latest version keeps the mart's
                          address (alias = the mart's name), so BI tools read
                          the same relation while a breaking change ships as
                          a new version beside it (docs/quality.md)
  hard-coded-references   no `from`/`join` of a name that is not a CTE, ref or source
                          (a CTE of the model, or one a macro named *_ctes
                          writes into it, named among its quoted arguments)
  no-select-star-in-marts marts use select * only in import CTEs
                          (select * from {{ ref(...) }}) and `select * from final`
  shop-time               no date, hour, weekday or quarter read straight off a
                          UTC timestamp (`cast(<x>_at as date)`, `extract(...
                          from <x>_at)`, iso_day_of_week / date_trunc /
                          days_between of an <x>_at column): use shop_date() /
                          to_shop_time() (macros/cross_db/shop_time.sql)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT = "ecommerce_segmentation"


@dataclass(frozen=True)
class Violation:
    rule: str
    node: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.node}: {self.message}"


def _layer(node: dict) -> str | None:
    parts = Path(node["original_file_path"]).parts
    if len(parts) < 3 or parts[0] != "models":
        return None  # a root model, or not a model file
    return parts[1]


def _models(manifest: dict) -> list[dict]:
    return [
        n for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == PROJECT
    ]


def _tests_by_node(manifest: dict) -> dict[str, dict[str, set[str]]]:
    """{node_id: {column_name: {test names}}} for generic tests on a column."""
    result: dict[str, dict[str, set[str]]] = {}
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test":
            continue
        meta = test.get("test_metadata") or {}
        column = test.get("column_name")
        attached = test.get("attached_node")
        if not meta or not column or not attached:
            continue
        result.setdefault(attached, {}).setdefault(column, set()).add(meta.get("name"))
    return result


def _meta(node: dict) -> dict:
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def check_manifest(manifest: dict) -> list[Violation]:
    out: list[Violation] = []
    models = _models(manifest)
    nodes = manifest["nodes"]
    sources = {k: v for k, v in manifest["sources"].items() if v["package_name"] == PROJECT}
    tests = _tests_by_node(manifest)

    readers: dict[str, list[str]] = {s: [] for s in sources}
    for node in models:
        name, uid = node["name"], node["unique_id"]
        layer = _layer(node)
        deps = node["depends_on"]["nodes"]
        dep_sources = [d for d in deps if d.startswith("source.")]
        dep_models = [nodes[d] for d in deps if d.startswith("model.") and d in nodes]
        for s in dep_sources:
            readers.setdefault(s, []).append(uid)

        # root-models / layer-naming
        if layer is None:
            out.append(Violation("root-models", uid, "model sits directly in models/; put it in a layer folder"))
        elif layer == "staging":
            folder = Path(node["original_file_path"]).parts[-2]
            allowed = {"base": "base_", "quarantine": "quarantine_"}.get(folder, "stg_")
            if not name.startswith(allowed):
                out.append(Violation("layer-naming", uid, f"a model in staging/.../{folder}/ is named {allowed}*"))
        elif layer == "intermediate":
            if not name.startswith("int_"):
                out.append(Violation("layer-naming", uid, "intermediate models are named int_*"))
        elif layer == "marts":
            if name.startswith(("stg_", "base_", "int_", "quarantine_")):
                out.append(Violation("layer-naming", uid, "a mart must not carry a staging or intermediate prefix"))
        else:
            out.append(Violation("layer-naming", uid, f"unknown layer folder models/{layer}/"))

        # sources-only-in-base / source-fanout (model side)
        if dep_sources and not (layer == "staging" and name.startswith("base_")):
            out.append(Violation("sources-only-in-base", uid, "reads a source; only base_ staging models may"))
        if len(dep_sources) > 1:
            out.append(Violation("source-fanout", uid, f"reads {len(dep_sources)} source tables; read one"))

        # layer-dependencies
        for dep in dep_models:
            dep_name = dep["name"]
            if name.startswith("base_") and not dep_name.startswith("base_"):
                out.append(Violation("layer-dependencies", uid,
                                     f"base_ model reads {dep_name}; read sources and base_ models only"))
            if name.startswith("stg_") and not dep_name.startswith("base_"):
                out.append(Violation("layer-dependencies", uid, f"stg_ model reads {dep_name}; read base_ models and seeds only"))
            if layer == "marts" and dep_name.startswith(("base_", "quarantine_")):
                out.append(Violation("layer-dependencies", uid, f"mart reads {dep_name}"))
            if layer == "intermediate" and dep_name.startswith("base_"):
                out.append(Violation("layer-dependencies", uid, f"intermediate model reads {dep_name}"))
        if layer == "marts" and dep_sources:
            out.append(Violation("layer-dependencies", uid, "mart reads a source"))

        # primary-key-test
        meta = _meta(node)
        exempt = meta.get("primary_key_exempt")
        if exempt is not None:
            if not isinstance(exempt, str) or len(exempt.strip()) < 10:
                out.append(Violation("primary-key-test", uid, "primary_key_exempt must say why (a sentence)"))
        elif not any({"unique", "not_null"} <= t for t in tests.get(uid, {}).values()):
            out.append(Violation("primary-key-test", uid, "no column is tested both unique and not_null"))

        # descriptions
        if not (node.get("description") or "").strip():
            out.append(Violation("descriptions", uid, "model has no description"))
        for col_name, col in node.get("columns", {}).items():
            if not (col.get("description") or "").strip():
                out.append(Violation("descriptions", uid, f"column {col_name} has no description"))

        # mart-contracts
        if layer == "marts":
            config = node.get("config") or {}
            if not (config.get("contract") or {}).get("enforced"):
                out.append(Violation("mart-contracts", uid, "mart contract is not enforced"))
            if node.get("access") != "public":
                out.append(Violation("mart-contracts", uid, "mart access is not public"))
            untyped = [c for c, col in node.get("columns", {}).items() if not col.get("data_type")]
            if untyped:
                out.append(Violation("mart-contracts", uid, f"columns without data_type: {', '.join(untyped)}"))
            if node.get("version") is None or node.get("latest_version") is None:
                out.append(Violation("mart-versions", uid, "mart is not versioned (latest_version and versions)"))
            elif str(node["version"]) == str(node["latest_version"]) and node.get("alias") != name:
                out.append(Violation("mart-versions", uid,
                                     f"the latest version must keep the mart's address: alias {name}, not {node.get('alias')}"))

        raw = node.get("raw_code") or ""
        if layer == "staging" and name.startswith(("stg_", "quarantine_")):
            out += _parsing_outside_base(uid, node, raw, manifest.get("macros") or {})
        out += _hard_coded_references(uid, raw)
        out += _utc_calendar_reads(uid, raw)
        if layer == "marts":
            out += _select_star(uid, raw)

    # seeds: primary key and descriptions
    for node in nodes.values():
        if node["resource_type"] == "seed" and node["package_name"] == PROJECT:
            uid = node["unique_id"]
            if not any({"unique", "not_null"} <= t for t in tests.get(uid, {}).values()):
                out.append(Violation("primary-key-test", uid, "no column is tested both unique and not_null"))
            if not (node.get("description") or "").strip():
                out.append(Violation("descriptions", uid, "seed has no description"))

    # sources: fanout, descriptions, freshness
    for sid, source in sources.items():
        if len(readers.get(sid, [])) != 1:
            out.append(Violation("source-fanout", sid, f"read by {len(readers.get(sid, []))} models; exactly one base_ model should read it"))
        if not (source.get("description") or "").strip():
            out.append(Violation("descriptions", sid, "source table has no description"))
        for col_name, col in source.get("columns", {}).items():
            if not (col.get("description") or "").strip():
                out.append(Violation("descriptions", sid, f"column {col_name} has no description"))
        if _meta(source).get("record_time_column"):
            freshness = source.get("freshness") or {}
            has = any((freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after"))
            if not has or not source.get("loaded_at_field"):
                out.append(Violation("source-freshness", sid, "has a record time column but no freshness"))
    return out


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'")


def _strip(raw: str) -> str:
    return _STRING.sub("''", _COMMENT.sub("", _JINJA.sub(" __jinja__ ", raw)))


_FROM_KEYWORD_FUNCTIONS = re.compile(r"\b(?:extract|trim|substring|position|overlay)\s*\([^()]*\)")


# A macro named <something>_ctes writes CTEs into the model (e.g.
# quarantine_reason_ctes); the names it is given, quoted, are CTE names.
_CTE_MACRO_CALL = re.compile(r"\{\{\s*(?:[a-z_]+\.)?[a-z_]+_ctes\((.*?)\)\s*\}\}", re.S)


def _hard_coded_references(uid: str, raw: str) -> list[Violation]:
    sql = _FROM_KEYWORD_FUNCTIONS.sub(" __fn__ ", _strip(raw).lower())
    # `name as (`, or `name as {{ not_materialized() }} (` (a materialisation hint)
    ctes = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s+as\s*(?:__jinja__\s*)?\(", sql))
    for call in _CTE_MACRO_CALL.finditer(raw.lower()):
        ctes |= set(re.findall(r"'([a-z_][a-z0-9_]*)'", call.group(1)))
    out = []
    for match in re.finditer(r"\b(?:from|join)\s+([a-z_][a-z0-9_.\"]*)", sql):
        name = match.group(1)
        if name in ctes or name == "__jinja__" or name.startswith("("):
            continue
        out.append(Violation("hard-coded-references", uid, f"reads '{name}' directly; use ref() or source()"))
    return out


def _select_star(uid: str, raw: str) -> list[Violation]:
    sql = _COMMENT.sub("", raw).lower()
    out = []
    for match in re.finditer(r"select\s+\*\s+from\s+(\S+)", sql):
        target = match.group(1)
        if target.startswith("{{") or target == "final":
            continue
        out.append(Violation("no-select-star-in-marts", uid, f"select * from {target}: list the columns"))
    if re.search(r"select\s+\*\s*(?!\s*from)", sql) or re.search(r"\.\*", sql):
        out.append(Violation("no-select-star-in-marts", uid, "a wildcard outside an import CTE: list the columns"))
    return out


_PARSING_MACROS = re.compile(r"^(?:clean_text|try_parse_[a-z_]+|try_cast|parse_as|parsed_columns)$")
_PARSING_CALL = re.compile(r"\b(clean_text|try_parse_[a-z_]+|try_cast|parse_as|parsed_columns)\s*\(")


def _parsing_outside_base(uid: str, node: dict, raw: str, macros: dict) -> list[Violation]:
    """parse-once: a stg_ or quarantine_ model that parses or cleans raw text
    again, by a call in its own code or in any macro it calls (the macros'
    depends_on, followed to the end)."""
    found = {match.group(1) for match in _PARSING_CALL.finditer(re.sub(r"\{#.*?#\}", "", raw, flags=re.S))}
    seen: set[str] = set()
    todo = list((node.get("depends_on") or {}).get("macros") or [])
    while todo:
        macro_id = todo.pop()
        if macro_id in seen:
            continue
        seen.add(macro_id)
        macro_name = macro_id.rsplit(".", 1)[-1]
        if _PARSING_MACROS.match(macro_name):
            found.add(macro_name)
        todo += ((macros.get(macro_id) or {}).get("depends_on") or {}).get("macros") or []
    return [Violation("parse-once", uid, f"calls {name}: raw values are parsed once, in the base_ model; "
                                         "select its typed columns") for name in sorted(found)]


_TIMESTAMP = r"(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*_at"
_UTC_CALENDAR_READS = [
    re.compile(r"cast\(\s*" + _TIMESTAMP + r"\s+as\s+date\s*\)"),
    re.compile(r"cast\(\s*\{\{\s*try_parse_timestamp\([^)]*\)\s*\}\}\s+as\s+date\s*\)"),
    re.compile(r"extract\(\s*[a-z_]+\s+from\s+" + _TIMESTAMP + r"\s*\)"),
    re.compile(r"(?:iso_day_of_week|days_between)\(\s*['\"]" + _TIMESTAMP + r"['\"]"),
    re.compile(r"date_trunc\(\s*['\"][a-z]+['\"]\s*,\s*['\"]" + _TIMESTAMP + r"['\"]"),
]


def _utc_calendar_reads(uid: str, raw: str) -> list[Violation]:
    """shop-time: calendar values read straight off an <x>_at (UTC) column.

    raw: a model's raw code (Jinja included, comments dropped). Returns one
    violation per match; shop_date(...) / to_shop_time(...) do not match.
    """
    sql = re.sub(r"\{#.*?#\}", "", _COMMENT.sub("", raw), flags=re.S).lower()
    return [Violation("shop-time", uid, f"'{match.group(0)}' reads a UTC timestamp as a calendar value: "
                                        "use shop_date() / to_shop_time() (var shop_timezone)")
            for pattern in _UTC_CALENDAR_READS for match in pattern.finditer(sql)]


def load_manifest(path: Path | str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
