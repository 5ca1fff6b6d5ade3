"""The raw data contract, read from the dbt sources file that defines it.

`models/staging/shop/_shop__sources.yml` is the single source of truth: the dbt
loader builds the raw relations from it and this module gives the same facts to
Python (generator, validation, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ecomseg import REPO_ROOT

SOURCES_FILE = REPO_ROOT / "models" / "staging" / "shop" / "_shop__sources.yml"


@dataclass(frozen=True)
class Column:
    name: str
    contract_type: str  # text, timestamp, date, integer, decimal, boolean
    required: bool  # a row without a value is quarantined
    optional_column: bool  # the column may be absent from the file
    pii: bool


@dataclass(frozen=True)
class Table:
    name: str
    required_file: bool
    primary_key: tuple[str, ...]
    record_time_column: str | None
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@lru_cache(maxsize=1)
def tables(path: Path = SOURCES_FILE) -> dict[str, Table]:
    """All contract tables by name, in the order the contract lists them."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == "shop"]
    result: dict[str, Table] = {}
    for t in source["tables"]:
        meta = t.get("meta", {})
        cols = tuple(
            Column(
                name=c["name"],
                contract_type=c["meta"]["contract_type"],
                required=bool(c["meta"].get("required", False)),
                optional_column=bool(c["meta"].get("optional_column", False)),
                pii=bool(c["meta"].get("pii", False)),
            )
            for c in t["columns"]
        )
        result[t["name"]] = Table(
            name=t["name"],
            required_file=bool(meta.get("required_file", False)),
            primary_key=tuple(meta.get("primary_key", [])),
            record_time_column=meta.get("record_time_column"),
            columns=cols,
        )
    return result


def table(name: str) -> Table:
    return tables()[name]


# --------------------------------------------------------------------------
# Text normalisation: one definition (source-level meta.text_normalisation of
# the sources file), applied by the SQL macro clean_text and by normalise_text
# --------------------------------------------------------------------------

PROJECT_FILE = REPO_ROOT / "dbt_project.yml"


@lru_cache(maxsize=1)
def _text_normalisation_meta(path: Path = SOURCES_FILE) -> dict:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == "shop"]
    meta = (source.get("config") or {}).get("meta") or source.get("meta") or {}
    if "text_normalisation" not in meta:
        raise KeyError(f"{path}: the shop source has no meta.text_normalisation")
    return meta["text_normalisation"]


@lru_cache(maxsize=1)
def trim_characters() -> frozenset[str]:
    """The characters removed where they lead or trail a raw value: a frozenset of
    one-character strings, from meta.text_normalisation.trim_characters (hex code
    points, "A-B" ranges). Raises KeyError when the contract lacks the definition."""
    chars: set[str] = set()
    for item in _text_normalisation_meta()["trim_characters"]:
        first, _, last = str(item).partition("-")
        chars.update(chr(c) for c in range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(chars)


@lru_cache(maxsize=1)
def null_tokens() -> tuple[str, ...]:
    """The null tokens, lower-case: the dbt var null_tokens of dbt_project.yml when
    it is set (a list, or a comma-separated text), else the contract's meta.text_normalisation.null_tokens.
    (A --vars override on the dbt command line is not seen here.)"""
    configured = (yaml.safe_load(PROJECT_FILE.read_text(encoding="utf-8")).get("vars") or {}).get("null_tokens")
    if isinstance(configured, str):
        configured = [t.strip() for t in configured.split(",")]
    tokens = _text_normalisation_meta()["null_tokens"] if configured is None else configured
    return tuple(dict.fromkeys(str(t).lower() for t in tokens))


def normalise_text(value) -> str | None:
    """A raw value as the warehouse reads it (the SQL macro clean_text): str(value)
    without the leading and trailing trim_characters() (Unicode white space and
    invisible format characters); None when that is empty or equals a null token
    (null_tokens(), case-insensitive). None and NaN give None. Never raises for a
    value that str() accepts."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip("".join(trim_characters()))
    if not text or text.lower() in null_tokens():
        return None
    return text


REQUIRED_TABLES = ("orders", "order_items")


def normalise_text_sql(expression: str) -> str:
    """DuckDB SQL (text) that normalises the SQL expression `expression` as
    normalise_text does (leading and trailing trim_characters() removed by two
    anchored regular-expression classes, then null when empty or a null token), for
    DuckDB queries outside dbt (ecomseg.validation). The warehouse's own macro is
    clean_text (macros/cross_db/try_cast.sql), from the same definition."""
    runs: list[list[int]] = []
    for code in sorted(ord(c) for c in trim_characters()):
        if runs and runs[-1][1] + 1 == code:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    klass = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in runs)
    trimmed = f"regexp_replace(regexp_replace({expression}, '^[{klass}]+', ''), '[{klass}]+$', '')"
    tokens = ", ".join("'" + t.replace("'", "''") + "'" for t in ("",) + null_tokens())
    return f"(case when lower({trimmed}) in ({tokens}) then null else {trimmed} end)"
