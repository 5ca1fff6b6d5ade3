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
class Range:
    """meta.range of a column: the parsed number lies within min..max (None: no bound)."""

    min: float | int | None = None
    max: float | int | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False

    def contains(self, value) -> bool:
        if self.min is not None and (value <= self.min if self.min_exclusive else value < self.min):
            return False
        if self.max is not None and (value >= self.max if self.max_exclusive else value > self.max):
            return False
        return True

    def describe(self) -> str:
        """E.g. '> 0', '>= 0', '1-4', '<= 23'."""
        if self.min is not None and self.max is not None and not (self.min_exclusive or self.max_exclusive):
            return f"{self.min}-{self.max}"
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.min_exclusive else '>='} {self.min}")
        if self.max is not None:
            parts.append(f"{'<' if self.max_exclusive else '<='} {self.max}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Column:
    name: str
    contract_type: str  # text, timestamp, date, integer, decimal, boolean
    required: bool  # a row without a value is quarantined
    optional_column: bool  # the column may be absent from the file
    pii: bool
    # value rules (header of the sources file); empty values pass them
    accepted_values: tuple[str, ...] | None = None  # else invalid_value:<column>
    length: int | None = None  # else invalid_value:<column>
    range: Range | None = None  # else out_of_range:<column>
    known_values: tuple[str, ...] | None = None  # staged as is; another value becomes other_value
    other_value: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    required_file: bool
    primary_key: tuple[str, ...]
    record_time_column: str | None
    columns: tuple[Column, ...]
    kind: str = "fact"  # fact | entity (docs/raw-data-contract.md, "Facts and entities")
    incremental: bool = False  # loaded over new files only (macros/loading/file_manifest.sql)

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
        if meta.get("kind", "fact") not in ("fact", "entity"):
            raise ValueError(f"{path}: table {t['name']}: meta.kind must be fact or entity, not {meta.get('kind')!r}")
        cols = tuple(_column(t["name"], c) for c in t["columns"])
        result[t["name"]] = Table(
            name=t["name"],
            required_file=bool(meta.get("required_file", False)),
            primary_key=tuple(meta.get("primary_key", [])),
            record_time_column=meta.get("record_time_column"),
            columns=cols,
            kind=meta.get("kind", "fact"),
            incremental=bool(meta.get("incremental", False)),
        )
    return result


_COLUMN_META = {"contract_type", "required", "optional_column", "pii", "accepted_values", "length", "range",
                "known_values", "other_value"}
_RANGE_KEYS = {"min", "max", "min_exclusive", "max_exclusive"}


def _values(table_name: str, column_name: str, key: str, values) -> tuple[str, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list) or not values or any(str(v) != str(v).lower() for v in values):
        raise ValueError(f"contract {table_name}.{column_name}: meta.{key} must be a non-empty list of "
                         f"lower-case values, not {values!r}")
    return tuple(str(v) for v in values)


def _column(table_name: str, c: dict) -> Column:
    meta = c.get("meta") or {}
    unknown = set(meta) - _COLUMN_META
    if unknown:
        raise ValueError(f"contract {table_name}.{c['name']}: unknown meta keys {sorted(unknown)} "
                         f"(the sources file's header lists the rules)")
    rng = meta.get("range")
    if rng is not None:
        if not isinstance(rng, dict) or set(rng) - _RANGE_KEYS or ("min" not in rng and "max" not in rng):
            raise ValueError(f"contract {table_name}.{c['name']}: meta.range must be a dict with min and/or max "
                             f"(and min_exclusive, max_exclusive), not {rng!r}")
        if meta["contract_type"] not in ("integer", "decimal"):
            raise ValueError(f"contract {table_name}.{c['name']}: meta.range needs a number column")
        rng = Range(min=rng.get("min"), max=rng.get("max"), min_exclusive=bool(rng.get("min_exclusive", False)),
                    max_exclusive=bool(rng.get("max_exclusive", False)))
    value_rules = [k for k in ("accepted_values", "length", "known_values") if k in meta]
    if value_rules and meta["contract_type"] != "text":
        raise ValueError(f"contract {table_name}.{c['name']}: meta.{value_rules[0]} needs a text column")
    if "other_value" in meta and "known_values" not in meta:
        raise ValueError(f"contract {table_name}.{c['name']}: meta.other_value needs meta.known_values")
    return Column(
        name=c["name"],
        contract_type=meta["contract_type"],
        required=bool(meta.get("required", False)),
        optional_column=bool(meta.get("optional_column", False)),
        pii=bool(meta.get("pii", False)),
        accepted_values=_values(table_name, c["name"], "accepted_values", meta.get("accepted_values")),
        length=None if meta.get("length") is None else int(meta["length"]),
        range=rng,
        known_values=_values(table_name, c["name"], "known_values", meta.get("known_values")),
        other_value=None if meta.get("other_value") is None else str(meta["other_value"]),
    )


def table(name: str) -> Table:
    return tables()[name]


def column(table_name: str, column_name: str) -> Column:
    """One contract column; KeyError naming it when the contract has no such column."""
    for c in table(table_name).columns:
        if c.name == column_name:
            return c
    raise KeyError(f"the raw data contract has no column {table_name}.{column_name}")


def accepted_values(table_name: str, column_name: str) -> list[str]:
    """meta.accepted_values of a column (lower-case, in contract order): any other
    non-empty value quarantines the row as invalid_value:<column>. KeyError when the
    column has none."""
    values = column(table_name, column_name).accepted_values
    if values is None:
        raise KeyError(f"contract {table_name}.{column_name} has no meta.accepted_values")
    return list(values)


def known_values(table_name: str, column_name: str) -> list[str]:
    """meta.known_values of a column (lower-case, in contract order): the values
    staging keeps; any other value is staged as other_value(). KeyError when none."""
    values = column(table_name, column_name).known_values
    if values is None:
        raise KeyError(f"contract {table_name}.{column_name} has no meta.known_values")
    return list(values)


def staged_values(table_name: str, column_name: str) -> list[str]:
    """Every non-null value a staged (lower-cased) column can hold: the accepted
    values, or the known values plus other_value. What the dbt test
    contract_values and the GX suites check staging and marts against."""
    col = column(table_name, column_name)
    if col.accepted_values is not None:
        return list(col.accepted_values)
    if col.known_values is not None:
        other = [col.other_value] if col.other_value is not None and col.other_value not in col.known_values else []
        return list(col.known_values) + other
    raise KeyError(f"contract {table_name}.{column_name} has neither meta.accepted_values nor meta.known_values")


def value_range(table_name: str, column_name: str) -> Range:
    """meta.range of a column; KeyError when it has none."""
    rng = column(table_name, column_name).range
    if rng is None:
        raise KeyError(f"contract {table_name}.{column_name} has no meta.range")
    return rng


def value_checks(table_name: str) -> list[tuple[str, str]]:
    """(reason, column) of the per-column value rules of a table in the order the
    SQL macro contract_value_checks applies them (the first failing one names the
    row's reason): the required columns' rules first, then the other columns';
    within each, ranges (out_of_range:<column>) before value rules (accepted_values
    and length: invalid_value:<column>); each in contract column order."""
    checks = []
    for required in (True, False):
        cols = [c for c in table(table_name).columns if c.required == required]
        checks += [(f"out_of_range:{c.name}", c.name) for c in cols if c.range is not None]
        checks += [(f"invalid_value:{c.name}", c.name) for c in cols
                   if c.accepted_values is not None or c.length is not None]
    return checks


# --------------------------------------------------------------------------
# Text normalisation: one definition (source-level meta.text_normalisation of
# the sources file), applied by the SQL macro clean_text and by normalise_text
# --------------------------------------------------------------------------

PROJECT_FILE = REPO_ROOT / "dbt_project.yml"


def project_vars() -> dict:
    """The vars of dbt_project.yml as written ({name: value}; a Jinja value stays its text;
    a --vars override on a dbt command line is not seen here). Raises OSError when the file
    cannot be read."""
    return yaml.safe_load(PROJECT_FILE.read_text(encoding="utf-8")).get("vars") or {}


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
def _trim_string() -> str:
    """trim_characters() as one string, for str.strip."""
    return "".join(sorted(trim_characters()))


@lru_cache(maxsize=1)
def null_tokens() -> tuple[str, ...]:
    """The null tokens, lower-case: the dbt var null_tokens of dbt_project.yml when
    it is set (a list, or a comma-separated text), else the contract's meta.text_normalisation.null_tokens.
    (A --vars override on the dbt command line is not seen here.)"""
    configured = project_vars().get("null_tokens")
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
    text = str(value).strip(_trim_string())
    if not text or text.lower() in null_tokens():
        return None
    return text


REQUIRED_TABLES = ("orders", "order_items")


# The shape a value (after the text normalisation) must have to be read as its
# contract type, as regular expressions (Python re; use fullmatch on the
# normalised text). Deliberately as strict as the raw data contract: the
# ISO-8601 profile of docs/raw-data-contract.md "Timestamps" (year 0001-9999,
# hour 00-23, offsets -18:00..+18:00; a real calendar date is checked apart),
# plain numbers. Used by the independent validation (ecomseg.validation.raw)
# and the event collector (ecomseg.collector).
_ISO_TIMESTAMP = (r"^(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
                  r"(?:[Tt ](?:[01][0-9]|2[0-3])(?::[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?)?"
                  r"(?: ?(?:[Zz]|[+-](?:(?:0[0-9]|1[0-7])(?::?[0-5][0-9])?|18(?::?00)?)))?)?$")
VALUE_PATTERNS = {
    "integer": r"^[+-]?[0-9]+(?:\.0*)?$",
    "decimal": r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$",
    "timestamp": _ISO_TIMESTAMP,
    "date": _ISO_TIMESTAMP,
}
# The years a timestamp or date may lie in (else out_of_range:<column>; macro
# quarantine_reason, macros/staging/quarantine.sql).
YEAR_RANGE = (1900, 2100)


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


# --------------------------------------------------------------------------
# The column tables of docs/raw-data-contract.md, generated from this file
# --------------------------------------------------------------------------

DOC_FILE = REPO_ROOT / "docs" / "raw-data-contract.md"
DOC_BEGIN = ("<!-- BEGIN generated from models/staging/shop/_shop__sources.yml by "
             "`python -m ecomseg.contract --write-doc`: do not edit by hand -->")
DOC_END = "<!-- END generated -->"


def _rule_text(col: Column) -> str:
    """The value rules of a column in words, with the reason a breach gets."""
    parts = []
    if col.range is not None:
        parts.append(f"{col.range.describe()}, else `out_of_range:{col.name}`")
    if col.accepted_values is not None:
        parts.append(f"one of {', '.join(f'`{v}`' for v in col.accepted_values)} (any case), "
                     f"else `invalid_value:{col.name}`")
    if col.length is not None:
        parts.append(f"exactly {col.length} characters, else `invalid_value:{col.name}`")
    if col.known_values is not None:
        other = f"`{col.other_value}`" if col.other_value is not None else "empty (null)"
        parts.append(f"{', '.join(f'`{v}`' for v in col.known_values)} (any case); any other value is staged as "
                     f"{other}, not quarantined")
    return "; ".join(parts)


def doc_tables() -> str:
    """The generated part of docs/raw-data-contract.md: per table, its columns with
    type, required, may be absent, personal data, and value rules."""
    lines = [DOC_BEGIN, ""]
    for t in tables().values():
        key = ", ".join(t.primary_key) if t.primary_key else "none"
        loaded = "; loaded incrementally" if t.incremental else ""
        lines.append(f"**{t.name}** ({'required' if t.required_file else 'optional'} file; primary key: {key}; "
                     f"{t.kind}{loaded})")
        lines.append("")
        lines.append("| column | type | required value | may be absent | value rule |")
        lines.append("| --- | --- | --- | --- | --- |")
        for c in t.columns:
            name = f"{c.name} (personal data)" if c.pii else c.name
            lines.append(f"| {name} | {c.contract_type} | {'yes' if c.required else 'no'} | "
                         f"{'yes' if c.optional_column else 'no'} | {_rule_text(c)} |")
        lines.append("")
    lines.append(DOC_END)
    return "\n".join(lines)


def doc_with_tables(text: str) -> str:
    """text (the contract document) with its generated part replaced by doc_tables()."""
    begin, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if begin < 0 or end < begin:
        raise ValueError(f"{DOC_FILE} has no generated part between {DOC_BEGIN!r} and {DOC_END!r}")
    return text[:begin] + doc_tables() + text[end + len(DOC_END):]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ecomseg.contract",
        description="The raw data contract (models/staging/shop/_shop__sources.yml): regenerate or check the column "
                    "tables of docs/raw-data-contract.md, which are generated from it.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write-doc", action="store_true", help="rewrite the generated part of the document")
    action.add_argument("--check-doc", action="store_true",
                        help="exit 1 when the document's generated part differs from the contract")
    args = parser.parse_args(argv)
    text = DOC_FILE.read_text(encoding="utf-8")
    expected = doc_with_tables(text)
    if args.write_doc:
        if expected != text:
            DOC_FILE.write_text(expected, encoding="utf-8")
        print(f"{DOC_FILE.relative_to(REPO_ROOT)}: column tables {'rewritten' if expected != text else 'up to date'}")
        return 0
    if expected != text:
        print(f"{DOC_FILE.relative_to(REPO_ROOT)}: the column tables differ from the contract; "
              "run python -m ecomseg.contract --write-doc")
        return 1
    print(f"{DOC_FILE.relative_to(REPO_ROOT)}: column tables match the contract")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
