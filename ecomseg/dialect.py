"""The raw folder's dialect (``<raw dir>/_dialect.yml``, docs/raw-data-contract.md
"The folder's dialect") read in Python, for the erasure (ecomseg.gdpr), with
the same keys, defaults, per-table overrides and encoding names as the dbt
loader (macros/loading/dialect.sql: dialect_keys, parse_dialect,
table_dialect). tests/python/test_gdpr_raw_files.py checks that the two
agree on the keys and defaults.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ecomseg import contract

DIALECT_FILE = "_dialect.yml"
KEYS = ("delimiter", "quote", "encoding", "decimal_separator", "thousands_separator",
        "date_format", "timestamp_format", "null_tokens")
DEFAULTS = {
    "delimiter": ",", "quote": '"', "encoding": "utf-8", "decimal_separator": ".",
    "thousands_separator": "", "date_format": None, "timestamp_format": None, "null_tokens": [],
}
_ENCODING_ALIASES = {"utf8": "utf-8", "latin1": "latin-1", "iso-8859-1": "latin-1", "iso8859-1": "latin-1",
                     "utf16": "utf-16"}


class DialectError(ValueError):
    """The dialect file is not valid; the message names the file and the key."""


def _check(settings, path: Path, where: str) -> dict:
    if not isinstance(settings, dict):
        raise DialectError(f"Dialect file {path}: {where} must be a mapping")
    for key, value in settings.items():
        if key not in KEYS:
            raise DialectError(f"Dialect file {path}: unknown key '{key}' in {where} (known: {', '.join(KEYS)}, tables)")
        if key in ("delimiter", "quote") and len(str(value)) != 1:
            raise DialectError(f"Dialect file {path}: {key} in {where} must be one character, got '{value}'")
        if key == "decimal_separator" and value not in (".", ","):
            raise DialectError(f"Dialect file {path}: decimal_separator in {where} must be '.' or ',', got '{value}'")
        if key == "thousands_separator" and value not in ("", " ", ".", ",", "'", None):
            raise DialectError(f"Dialect file {path}: thousands_separator in {where} must be one of '', ' ', '.', ',', \"'\"")
        if key == "null_tokens" and (isinstance(value, str) or not isinstance(value, (list, tuple))):
            raise DialectError(f"Dialect file {path}: null_tokens in {where} must be a list, e.g. ['NULL', '-']")
    return dict(settings)


def read_dialect(raw_dir: Path | str) -> dict:
    """The folder's parsed dialect file, ``{'folder': {...}, 'tables': {table: {...}}}``
    (both empty when there is no ``_dialect.yml``). Raises DialectError, naming the
    file, for what the loader refuses: not a mapping, an unknown key, a delimiter
    or quote that is not one character, a table outside the contract."""
    path = Path(raw_dir) / DIALECT_FILE
    if not path.exists():
        return {"folder": {}, "tables": {}}
    text = path.read_text(encoding="utf-8")
    parsed = yaml.safe_load(text) if text.strip() else {}
    parsed = {} if parsed is None else parsed
    if not isinstance(parsed, dict):
        raise DialectError(f"Dialect file {path} must be a YAML mapping of keys ({', '.join(KEYS)}, tables)")
    folder = _check({k: v for k, v in parsed.items() if k != "tables"}, path, "the folder")
    tables = {}
    known = set(contract.tables())
    for name, settings in (parsed.get("tables") or {}).items():
        if name not in known:
            raise DialectError(f"Dialect file {path}: tables.{name} is not a table of the raw data contract "
                               f"({', '.join(sorted(known))})")
        tables[name] = _check(settings or {}, path, f"tables.{name}")
    return {"folder": folder, "tables": tables}


def normalise_encoding(name: str) -> str:
    """An encoding name as the loader passes it to DuckDB: lower case,
    windows-1250 -> cp1250, utf8 -> utf-8, latin1 / iso-8859-1 -> latin-1."""
    encoding = str(name).strip().lower()
    if encoding.startswith("windows-"):
        encoding = "cp" + encoding[8:]
    return _ENCODING_ALIASES.get(encoding, encoding)


def table_dialect(dialect: dict | None, table: str) -> dict:
    """One table's dialect: DEFAULTS, then the folder's settings, then the
    table's own (``dialect`` as read_dialect returns it, or None); the encoding
    normalised (normalise_encoding), null_tokens a list of texts."""
    merged = dict(DEFAULTS)
    if dialect:
        merged.update(dialect.get("folder") or {})
        merged.update((dialect.get("tables") or {}).get(table) or {})
    merged["encoding"] = normalise_encoding(merged["encoding"])
    merged["thousands_separator"] = merged["thousands_separator"] or ""
    merged["null_tokens"] = [str(t) for t in (merged["null_tokens"] or [])]
    return merged
