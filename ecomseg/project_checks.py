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
  marts-read-no-marts     a mart reads no other mart: what several marts need is
                          an intermediate model (int_<what>) that the public
                          mart selects from (meta mart_dependency_exempt:
                          "<why>" on the reading mart allows it)
  as-of-date-visible      the macro as_of_date() is called only by the one-row
                          model int_as_of_date; every other model joins that
                          model, so the dependency is a ref in its SQL
  yaml-names-unique       every YAML properties file name is used in one folder
                          only (e.g. _int_segments__models.yml beside
                          _segments__models.yml)
  shop-time               no date, hour, weekday or quarter read straight off a
                          UTC timestamp (`cast(<x>_at as date)`, `extract(...
                          from <x>_at)`, iso_day_of_week / date_trunc /
                          days_between of an <x>_at column): use shop_date() /
                          to_shop_time() (macros/cross_db/shop_time.sql)
  dispatch-variants       every adapter variant of a project macro
                          (<adapter>__<name>, e.g. spark__days_between) lives in
                          the file of its dispatcher (the macro that calls
                          adapter.dispatch('<name>', ...)), and a macro named
                          like a variant has a dispatcher (in this project or
                          a package); files listed in DISPATCH_RULE_PENDING
                          are not checked yet, each with its reason
  macro-docs              every macro (outside MACRO_DOCS_PENDING) has a
                          description in macros/_macros.yml and a description
                          for each argument of its signature, and documents no
                          argument it does not have
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ecomseg.manifest import PROJECT, layer_of, load_manifest, node_meta, primary_key_columns, project_models

__all__ = ["Violation", "check_manifest", "load_manifest"]


@dataclass(frozen=True)
class Violation:
    rule: str
    node: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.node}: {self.message}"


def check_manifest(manifest: dict) -> list[Violation]:
    out: list[Violation] = []
    models = project_models(manifest)
    nodes = manifest["nodes"]
    sources = {k: v for k, v in manifest["sources"].items() if v["package_name"] == PROJECT}

    readers: dict[str, list[str]] = {s: [] for s in sources}
    for node in models:
        name, uid = node["name"], node["unique_id"]
        layer = layer_of(node)
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
        meta = node_meta(node)
        exempt = meta.get("primary_key_exempt")
        if exempt is not None:
            if not isinstance(exempt, str) or len(exempt.strip()) < 10:
                out.append(Violation("primary-key-test", uid, "primary_key_exempt must say why (a sentence)"))
        elif not primary_key_columns(manifest, node):
            out.append(Violation("primary-key-test", uid,
                                 "no column is tested both unique and not_null (without a where filter)"))

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

        # marts-read-no-marts
        if layer == "marts":
            read_marts = sorted({d["name"] for d in dep_models if layer_of(d) == "marts"})
            why = node_meta(node).get("mart_dependency_exempt")
            if read_marts and not (isinstance(why, str) and len(why.strip()) >= 10):
                out.append(Violation("marts-read-no-marts", uid,
                                     f"reads the mart(s) {', '.join(read_marts)}; read an int_ model both use"))

        raw = node.get("raw_code") or ""
        if layer == "staging" and name.startswith(("stg_", "quarantine_")):
            out += _parsing_outside_base(uid, node, raw, manifest.get("macros") or {})
        if name != "int_as_of_date" and _AS_OF_CALL.search(_strip_comments(raw)):
            out.append(Violation("as-of-date-visible", uid,
                                 "calls as_of_date(); join ref('int_as_of_date') instead"))
        out += _hard_coded_references(uid, raw)
        out += _utc_calendar_reads(uid, raw)
        if layer == "marts":
            out += _select_star(uid, raw)

    # yaml-names-unique
    folders: dict[str, set[str]] = {}
    for node in list(nodes.values()) + list(sources.values()):
        patch = node.get("patch_path") or (node.get("original_file_path") if node["resource_type"] == "source" else None)
        if node.get("package_name") == PROJECT and patch and patch.endswith((".yml", ".yaml")):
            path = Path(patch.split("://", 1)[-1])
            folders.setdefault(path.name, set()).add(str(path.parent))
    for file_name, dirs in sorted(folders.items()):
        if len(dirs) > 1:
            out.append(Violation("yaml-names-unique", file_name, f"used in {len(dirs)} folders: {', '.join(sorted(dirs))}"))

    # seeds: primary key and descriptions
    for node in nodes.values():
        if node["resource_type"] == "seed" and node["package_name"] == PROJECT:
            uid = node["unique_id"]
            if not primary_key_columns(manifest, node):
                out.append(Violation("primary-key-test", uid,
                                     "no column is tested both unique and not_null (without a where filter)"))
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
        if node_meta(source).get("record_time_column"):
            freshness = source.get("freshness") or {}
            has = any((freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after"))
            if not has or not source.get("loaded_at_field"):
                out.append(Violation("source-freshness", sid, "has a record time column but no freshness"))
    out += _dispatch_variants(manifest)
    out += _macro_docs(manifest)
    return out


# Folders whose macros are not documented yet, each a path prefix (none left: issue #13 point 4
# documented macros/loading and macros/staging in macros/_macros.yml).
MACRO_DOCS_PENDING: tuple[str, ...] = ()
_MACRO_HEAD = re.compile(r"\{%-?\s*(?:macro|test|materialization)\s+[a-z_0-9]+\s*(\()?", re.S)


def _macro_params(macro_sql: str) -> list[str]:
    """The parameter names of a macro's signature, e.g. ['model', 'value'] for
    `{% test row_count(model, expression='count(*)', value=none) %}`: the
    signature is read as a Python one (Jinja's), so defaults holding brackets,
    commas or quotes do not cut it short. [] when there is no signature."""
    head = _MACRO_HEAD.match(macro_sql or "")
    if not head or not head.group(1):
        return []
    close = macro_sql.find("%}", head.end())
    text = macro_sql[head.end(): close if close >= 0 else len(macro_sql)].rstrip(" -\n")
    text = text[:-1] if text.endswith(")") else text
    try:
        args = ast.parse(f"def _f({text}): pass").body[0].args
    except SyntaxError:
        return [p.split("=")[0].strip() for p in text.split(",") if p.strip()]
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def _macro_docs(manifest: dict) -> list[Violation]:
    """macro-docs: a description for every macro and each of its arguments (macros/_macros.yml)."""
    out = []
    for macro in (manifest.get("macros") or {}).values():
        if macro.get("package_name") != PROJECT or macro.get("original_file_path", "").startswith(MACRO_DOCS_PENDING):
            continue
        uid = macro["unique_id"]
        if not (macro.get("description") or "").strip():
            out.append(Violation("macro-docs", uid, "no description (macros/_macros.yml)"))
            continue
        params = _macro_params(macro.get("macro_sql") or "")
        # (dbt's validate_macro_args also lists the signature's arguments, without descriptions)
        documented = {a["name"]: (a.get("description") or "").strip() for a in macro.get("arguments") or []
                      if (a.get("description") or "").strip()}
        out += [Violation("macro-docs", uid, f"argument {p} has no description (macros/_macros.yml)")
                for p in params if not documented.get(p)]
        out += [Violation("macro-docs", uid, f"documents an argument {name} that the macro does not have")
                for name in documented if name not in params]
    return out


# Files the dispatch-variants rule does not check yet, each with the reason.
DISPATCH_RULE_PENDING: dict[str, str] = {}

_VARIANT_NAME = re.compile(r"^([a-z][a-z0-9]*)__([a-z0-9_]+)$")
_DISPATCH_CALL = re.compile(r"adapter\.dispatch\(\s*['\"]([a-z0-9_]+)['\"]")


def _dispatch_variants(manifest: dict) -> list[Violation]:
    """dispatch-variants: every variant in its dispatcher's file, and no variant without a dispatcher."""
    dispatcher_files: dict[str, set[str]] = {}   # dispatched name -> files of the project macros dispatching it
    dispatched_anywhere: set[str] = set()       # dispatched by any package (dbt's own included)
    macros = (manifest.get("macros") or {}).values()
    for macro in macros:
        for name in _DISPATCH_CALL.findall(macro.get("macro_sql") or ""):
            dispatched_anywhere.add(name)
            if macro.get("package_name") == PROJECT:
                dispatcher_files.setdefault(name, set()).add(macro.get("original_file_path", ""))
    out = []
    for macro in macros:
        match = _VARIANT_NAME.match(macro.get("name", ""))
        path = macro.get("original_file_path", "")
        if macro.get("package_name") != PROJECT or not match or path.startswith(tuple(DISPATCH_RULE_PENDING)):
            continue
        name = match.group(2)
        files = dispatcher_files.get(name)
        if files and path not in files:
            out.append(Violation("dispatch-variants", macro["unique_id"],
                                 f"lives in {path}, its dispatcher {name} in {', '.join(sorted(files))}: "
                                 "put every variant in the dispatcher's file"))
        elif not files and name not in dispatched_anywhere:
            out.append(Violation("dispatch-variants", macro["unique_id"],
                                 f"is named like a variant of {name}, but nothing dispatches {name}: "
                                 "call it through a dispatcher or rename it"))
    return out


_AS_OF_CALL = re.compile(r"\bas_of_date\s*\(")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def _strip_comments(raw: str) -> str:
    """raw_code without Jinja and SQL comments."""
    return _COMMENT.sub(" ", _JINJA_COMMENT.sub(" ", raw))


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

