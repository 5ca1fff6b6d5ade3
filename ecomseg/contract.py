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


REQUIRED_TABLES = ("orders", "order_items")
