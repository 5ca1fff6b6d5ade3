"""Reading raw values as the shop meant them (issue #11, items 2, 3, 10, 14).

- One text normalisation, defined once in the contract (meta.text_normalisation
  of _shop__sources.yml): the SQL macro clean_text and ecomseg.contract.
  normalise_text must agree on every Unicode white-space and invisible
  character, and on the null tokens.
- Timestamps: the extended ISO-8601 / RFC 3339 profile of
  docs/raw-data-contract.md, checked against Python's datetime.fromisoformat.
- A null token is no value (no customer named "NULL"); an unreadable optional
  value is null and flagged, the row kept.
- The erasure finds "C1" followed by a no-break space (or any invisible
  character) in the raw files, and the loader's erasure hash does too.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sys
import unicodedata
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse
from ecomseg import contract, gdpr, validation
from ecomseg.dbt_runner import run_dbt

# Cf characters deliberately not trimmed (docs/raw-data-contract.md): visible
# prepended concatenation marks, Egyptian hieroglyph format controls, tags.
NOT_TRIMMED_FORMAT = {0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2,
                      0x110BD, 0x110CD, *range(0x13430, 0x13439), 0xE0001, *range(0xE0020, 0xE0080)}
WHITE_SPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
FORMAT = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]


def _compile(tmp_path_factory, sql: str, dbt_vars: dict | None = None) -> str:
    """The SQL dbt compiles from an inline query using the project's macros."""
    root = tmp_path_factory.mktemp("compile")
    result = run_dbt(["compile", "--inline", sql], raw_dir=root, duckdb_path=root / "wh.duckdb",
                     target_path=root / "target", dbt_vars=dbt_vars)
    return result.raw.result.results[0].node.compiled_code


def _select_over_values(compiled: str, values: list[str | None]) -> list[tuple]:
    """The rows of a compiled query over input_values (position, value), in UTC, ordered by position."""
    con = duckdb.connect()
    try:
        con.execute("set timezone = 'UTC'")
        con.execute("create table input_values (position integer, value varchar)")
        con.executemany("insert into input_values values (?, ?)", list(enumerate(values)))
        return con.execute(f"select * from ({compiled}) as c order by position").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def sql_functions(tmp_path_factory):
    """Run clean_text / try_parse_timestamp, as compiled for DuckDB, over a list of texts."""
    compiled = _compile(tmp_path_factory, "select position, {{ clean_text('value') }} as cleaned, "
                        "{{ try_parse_timestamp('value') }} as parsed from input_values")

    def run(values: list[str | None]) -> list[tuple]:
        return [(cleaned, parsed) for _, cleaned, parsed in _select_over_values(compiled, values)]
    return run


# --------------------------------------------------------------------------
# Text normalisation (items 3 and 14)
# --------------------------------------------------------------------------

def test_the_trim_set_holds_every_white_space_and_invisible_character():
    trimmed = contract.trim_characters()
    assert set(WHITE_SPACE) <= trimmed
    assert {c for c in FORMAT if ord(c) not in NOT_TRIMMED_FORMAT} <= trimmed
    assert {"\u00a0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"} <= trimmed
    hangul_fillers = {"\u115f", "\u1160", "\u3164", "\uffa0"}  # letters by category, blank when shown
    assert not {c for c in trimmed - hangul_fillers if c.isalnum() or unicodedata.category(c)[0] in "LNPS"}


def test_normalise_text_small_cases():
    n = contract.normalise_text
    assert n("C1\u00a0") == "C1"
    assert n("\ufeff\u200b C1 \u2060\t") == "C1"
    assert n("C\u00a01") == "C\u00a01"  # inside a value: kept
    assert n(" NULL ") is None and n("null\u00a0") is None and n("N/A") is None and n("\\N") is None
    assert n("-") is None and n("nan") is None and n(float("nan")) is None and n(None) is None
    assert n("Nullable") == "Nullable" and n("--") == "--" and n("0") == "0"
    assert n(42) == "42"
    assert gdpr.clean("C1\u00a0") == "C1"


def test_sql_clean_text_equals_python_on_every_white_space_and_invisible_character(sql_functions):
    others = ["a", "\u00f3", "\U0001f6d2", "\U000e0067", "\u0600", "\u034f", "\ufe0f", "'", "\\"]
    values: list[str | None] = [None, "", "C1", "NULL", " null ", "NuLl\u00a0", "\\N", "N/A", "n/a", "-",
                                "none", "NA", "nil", "NaN", "NaT", "#N/A", "<NA>", "(null)", "undefined",
                                "nullx", "x null", "--", "Kraków", "Łódź\u00a0"]
    for c in WHITE_SPACE + FORMAT + others:
        values += [c, c + "C1", "C1" + c, c + c + "C1" + c, "C" + c + "1", c + "NULL" + c, "\u00f3" + c]
    got = sql_functions(values)
    expected = [contract.normalise_text(v) for v in values]
    mismatches = [(v, g[0], e) for v, g, e in zip(values, got, expected) if g[0] != e]
    assert not mismatches, mismatches[:10]
    assert dict(zip(values, [g[0] for g in got]))["C1\u00a0"] == "C1"


def test_the_null_tokens_var_replaces_the_contract_list(tmp_path_factory):
    compiled = _compile(tmp_path_factory, "select {{ clean_text(\"'NULL'\") }} as a, {{ clean_text(\"'-'\") }} as b, "
                        "{{ clean_text(\"'missing'\") }} as c", dbt_vars={"null_tokens": ["Missing"]})
    assert duckdb.connect().execute(compiled).fetchall() == [("NULL", "-", None)]


# --------------------------------------------------------------------------
# Timestamps (item 2)
# --------------------------------------------------------------------------

def _profile_variants() -> list[str]:
    """Every combination of the documented profile's parts, on two dates."""
    times = ["", "T10", "T10:00", "T10:00:00", "T10:00:00.5", "T10:00:00,5", "T10:00:00.123", "T10:00:00.123456",
             "T10:00:00.123456789", "T23:59:59.9999999", " 10:00", " 10:00:00", "t10:00", " 07", "T00:00"]
    offsets = ["", "Z", "z", "+01:00", "-05:30", "+0100", "-0530", "+01", "-05", "+00:00", "+14:00", "-12:00",
               "+18:00", "-1800", "-18", "+17:59"]
    variants = []
    for date, time, offset in itertools.product(["2025-03-01", "2024-12-31"], times, offsets):
        if not time and offset:
            continue  # an offset needs a time
        variants.append(date + time + offset)
        if time and offset:
            variants.append(date + time + " " + offset)  # one space before the offset
    return variants


def _outside_variants() -> list[str]:
    """Values just outside the profile, each one part wrong on otherwise valid values: the
    tester's (hour 24, a dot without digits, one minute digit, offset +25:00) and the forms an
    engine's lenient cast reads (DuckDB: all of these but the last group)."""
    wrong = [
        # time
        "2025-03-01T24:00:00", "2025-03-01T24:00", "2025-03-01T24", "2025-03-01T10:00:00.", "2025-03-01T10:00:00,",
        "2025-03-01T10:0", "2025-03-01T1:00", "2025-03-01T10:00:0", "2025-03-01T10:60", "2025-03-01T10:00:60",
        "2025-03-01T10:00:00.1234567890", "2025-03-01T10:00:00.Z", "2025-03-01T10:00:00.+01:00",
        # offset
        "2025-03-01T10:00:00+25:00", "2025-03-01T10:00:00+24:00", "2025-03-01T10:00:00-24:00", "2025-03-01T10:00:00+2400",
        "2025-03-01T10:00:00+24", "2025-03-01T10:00:00+23:59", "2025-03-01T10:00:00-2359", "2025-03-01T10:00:00+19",
        "2025-03-01T10:00:00+18:01", "2025-03-01T10:00:00+01:60", "2025-03-01T10:00:00+01:00:30", "2025-03-01T10:00:00+010030",
        "2025-03-01T10:00:00+1:00", "2025-03-01T10:00:00+01:0", "2025-03-01T10:00:00 UTC", "2025-03-01T10:00:00UTC",
        "2025-03-01T10:00:00 Europe/Warsaw", "2025-03-01 10:00:00 GMT", "2025-03-01T10:00:00  Z", "2025-03-01T10:00:00ZZ",
        # date
        "2025-3-1", "2025-03-1", "2025-3-01", "2025-3-1 10:00:00", "+2025-03-01", "-2025-03-01", "12025-03-01",
        "+12025-03-01T10:00:00Z", "0000-01-01", "0000-01-01T10:00:00", "2025-00-01", "2025-03-00", "2025-03-32",
        "2025/03/01", "2025-03-01T", "2025-03-01T 10:00",
        # trailing or leading text
        "2025-03-01T10:00:00Z x", "2025-03-01T10:00:00Zx", "2025-03-01T10:00:00 x", "x2025-03-01", "2025-03-01x",
        "2025-03-01T10:00:00Z\u00a0x", "2025-03-01 AD", "2025-03-01T10:00:00 PM",
    ]
    return wrong


# Inside the profile's shape, read by datetime.fromisoformat, outside the contract (a narrower
# range, docs/raw-data-contract.md): offsets beyond +-18:00 (Spark's limit), offset minutes 60+,
# offsets with seconds, 10+ fraction digits, a dot without digits before an offset (Python 3.11
# reads "10:00:00.Z" but not "10:00:00.").
NARROWER_THAN_FROMISOFORMAT = {"2025-03-01T10:00:00+23:59", "2025-03-01T10:00:00-2359", "2025-03-01T10:00:00+19",
                               "2025-03-01T10:00:00+18:01", "2025-03-01T10:00:00+01:60", "2025-03-01T10:00:00+01:00:30",
                               "2025-03-01T10:00:00+010030", "2025-03-01T10:00:00.1234567890",
                               "2025-03-01T10:00:00.Z", "2025-03-01T10:00:00.+01:00"}


def _reference(text: str) -> tuple[dt.datetime, bool]:
    """(the instant as UTC without zone, whether datetime.fromisoformat (Python 3.11)
    read the text as it is). Where it does not, the text uses one of the profile's
    documented extensions (lower-case t or z as RFC 3339 allows, one space before
    the offset); the instant is then that of the text without the extension."""
    try:
        parsed, direct = dt.datetime.fromisoformat(text), True
    except ValueError:
        plain = re.sub(r" ([+-]|Z$)", r"\1", text.replace("t", "T").replace("z", "Z"))
        parsed, direct = dt.datetime.fromisoformat(plain), False
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed, direct


def test_the_issue_examples(sql_functions):
    assert sql_functions(["2025-03-01T10:00Z", "2025-03-01T10:00+01:00"]) == [
        ("2025-03-01T10:00Z", dt.datetime(2025, 3, 1, 10, 0)), ("2025-03-01T10:00+01:00", dt.datetime(2025, 3, 1, 9, 0))]


def test_every_form_of_the_profile_gives_the_fromisoformat_instant(sql_functions):
    variants = _profile_variants()
    assert len(variants) > 500
    got = sql_functions(variants)
    mismatches = [(v, g[1], _reference(v)[0]) for v, g in zip(variants, got) if g[1] != _reference(v)[0]]
    assert not mismatches, mismatches[:10]
    assert sum(_reference(v)[1] for v in variants) > len(variants) // 2  # mostly read by fromisoformat itself


def test_values_just_outside_the_profile_are_null_however_lenient_the_cast(sql_functions):
    outside = _outside_variants()
    got = sql_functions(outside)
    assert [(v, g[1]) for v, g in zip(outside, got) if g[1] is not None] == []
    # the tester's four, which DuckDB's own cast read as 2025-03-02 00:00, 10:00, 10:00, 2025-02-28 09:00
    assert {"2025-03-01T24:00:00", "2025-03-01T10:00:00.", "2025-03-01T10:0", "2025-03-01T10:00:00+25:00"} <= set(outside)
    # the reference agrees: fromisoformat rejects them all, but for the documented narrower range
    read_by_python = set()
    for value in outside:
        try:
            dt.datetime.fromisoformat(value)
            read_by_python.add(value)
        except ValueError:
            pass
    assert read_by_python == NARROWER_THAN_FROMISOFORMAT
    assert not set(_profile_variants()) & set(outside)
    # the shape check (on the raw value, on DuckDB) lets the trimmed characters around a value through
    padded = ["\u00a02025-03-01T10:00Z\u200b", "\ufeff 2025-03-01 10:00:00 +0100\t", "\u00a02025-03-01T24:00Z"]
    assert [g[1] for g in sql_functions(padded)] == [dt.datetime(2025, 3, 1, 10, 0), dt.datetime(2025, 3, 1, 9, 0), None]


CONTRACT_TYPES = ["timestamp", "date", "integer", "decimal", "boolean", "text"]


@pytest.fixture(scope="module")
def both_parse_paths(tmp_path_factory):
    """Each contract type's parse (parse_as, as compiled for DuckDB) of a raw text, and of its clean_text with
    cleaned=true, as the base_ models parse their cleaned__<column>: rows of (value, {type: (raw, cleaned)})."""
    items = ", ".join(f"{{{{ parse_as('value', '{t}') }}}} as raw_{t}, "
                      f"{{{{ parse_as(clean_text('value'), '{t}', cleaned=true) }}}} as cleaned_{t}"
                      for t in CONTRACT_TYPES)
    compiled = _compile(tmp_path_factory, f"select position, value, {items} from input_values")

    def run(values: list[str | None]) -> list[tuple]:
        return [(row[1], {t: (row[2 + 2 * i], row[3 + 2 * i]) for i, t in enumerate(CONTRACT_TYPES)})
                for row in _select_over_values(compiled, values)]
    return run


def test_parsing_the_cleaned_text_equals_parsing_the_raw_text(both_parse_paths):
    """The base_ models normalise each raw value once and parse that (cleaned=true): the same value as parsing
    the raw text, for every contract type, on every form of the profile, values just outside it, padded
    values, null tokens and numbers in every shape."""
    padding = ["\u00a0", "\u200b", "\ufeff", " ", "\t", "\u3000"]
    numbers = ["12", "0012", "-3", "3.0", "1.5", "1.50", "999999999999", "1234567890123", "1e3", "12a", "+7"]
    words = ["NULL", "null", "(null)", "N/A", "-", "", "yes", "TRUE", "n", "0", "1", "f", "maybe", "page_view"]
    dates = ["2025-03-01", "2025-02-30", "2025-03-01 10:00:00", "2025-03-01T10:00:00.123456789+01:00"]
    plain = numbers + words + dates
    values = (_profile_variants() + _outside_variants() + plain + [None]
              + [pad + v + pad2 for v in plain for pad, pad2 in zip(padding, reversed(padding))])
    rows = both_parse_paths(values)
    mismatches = [(v, t, raw, cleaned) for v, by_type in rows for t, (raw, cleaned) in by_type.items()
                  if raw != cleaned]
    assert mismatches == []
    # not vacuous: every type reads some of these values and rejects others
    for t in CONTRACT_TYPES:
        read = [v for v, by_type in rows if by_type[t][0] is not None]
        assert 0 < len(read) < len(values), t
    assert dict(rows)["\u00a012\u3000"]["integer"] == (12, 12)
    assert dict(rows)["\ufeff2025-03-01 10:00:00 "]["timestamp"][1] == dt.datetime(2025, 3, 1, 10, 0)


def test_the_independent_validation_pattern_is_the_same_profile():
    """ecomseg.validation re-checks staged rows with its own regular expression: no looser, no stricter."""
    pattern = re.compile(validation.RAW_PATTERNS["timestamp"])
    assert [v for v in _profile_variants() if not pattern.match(v)] == []
    assert [v for v in _outside_variants() if pattern.match(v)] == []


def test_what_is_rejected_is_outside_the_profile(sql_functions):
    outside = ["20250301T100000Z", "2025-03-01T1000", "2025-W09-6", "2025-060", "31/12/2024", "01.03.2025",
               "2025-03-01T24:00:01", "2025-03-01T10:00:60", "2025-02-30", "2025-13-01", "2025-03-01T25:00",
               "2025-03-01Z", "2025-03-01T10:00:00+1", "2025-03-01TT10:00", "yesterday", "1709280000", "NULL"]
    got = sql_functions(outside)
    assert [v for v, g in zip(outside, got) if g[1] is not None] == []
    profile = set(_profile_variants())
    assert not profile & set(outside)


def test_the_testers_shop_quarantines_timestamps_outside_the_profile(tmp_path):
    """The tester's orders.csv (O11, O21, O22, O24): DuckDB's own cast staged them at wrong instants."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,status\n"
        "O1,C1,2025-03-01T10:00Z,delivered\n"
        "O11,C2,2025-03-01T24:00:00,delivered\n"  # was 2025-03-02 00:00
        "O21,C6,2025-03-01T10:00:00.,delivered\n"  # was 10:00
        "O22,C6,2025-03-01T10:0,delivered\n"  # was 10:00
        "O24,C6,2025-03-01T10:00:00+25:00,delivered\n"  # was 2025-02-28 09:00
        "O25,C7,2025-03-01T10:00:00 Z,delivered\n", encoding="utf-8")
    (raw / "order_items.csv").write_text(
        "order_id,line_number,product_id,quantity,unit_price\n"
        + "".join(f"{o},1,P1,1,10\n" for o in ("O1", "O11", "O21", "O22", "O24", "O25")), encoding="utf-8")
    wh = Warehouse(tmp_path / "wh", raw)
    wh.dbt(*STAGING_ONLY)
    assert wh.query("select order_id, cast(ordered_at as varchar) from staging.stg_shop__orders order by 1") == [
        ("O1", "2025-03-01 10:00:00"), ("O25", "2025-03-01 10:00:00")]
    assert wh.query("select order_id, quarantine_reason from quarantine.quarantine_shop__orders order by 1") == [
        ("O11", "unparseable:ordered_at"), ("O21", "unparseable:ordered_at"), ("O22", "unparseable:ordered_at"),
        ("O24", "unparseable:ordered_at")]


# --------------------------------------------------------------------------
# A small shop: null tokens, invisible characters, unreadable optional values
# --------------------------------------------------------------------------

ORDERS = (
    "order_id,customer_id,ordered_at,status,discount_amount\n"
    "O1,C1\u00a0,2025-03-01T10:00Z,paid,\n"  # no-break space after the id; minutes without seconds
    "O2,NULL,2025-03-01T10:00+01:00,paid,0\n"  # a null token, not a customer named NULL
    "O3,\u200bC3\ufeff,2025-03-01 10:00:00,paid,NULL\n"  # zero-width space, BOM; discount NULL = none
    "O4,C4,2025-03-01,paid,ten\n"  # unreadable optional value: kept, discount 0, flagged
    "O5,C5,2025-03-01T10:00:00.123456789z,N/A,-\n"
)
ORDER_ITEMS = (
    "order_id,line_number,product_id,quantity,unit_price\n"
    "O1,1,P1,1,10.00\nO2,1,P1,1,10.00\nO3,1,P1,1,10.00\nO4,1,P1,1,10.00\nO5,x,P1,1,10.00\n"
)
CUSTOMERS = (
    "customer_id,email,birth_date,signed_up_at,marketing_consent,preferred_contact_hour\n"
    "C1\u2060,c1@example.com,1990-01-01,2024-01-01T08:00+02:00,yes,9\n"
    "NULL,null@example.com,1990-01-01,2024-01-01,no,9\n"
    "C4,c4@example.com,someday,2024-01-01,maybe,late\n"
)


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory):
    raw = tmp_path_factory.mktemp("null_tokens_raw")
    (raw / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (raw / "order_items.csv").write_text(ORDER_ITEMS, encoding="utf-8")
    (raw / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    pq.write_table(pa.table({  # text-typed Parquet: the same normalisation as CSV
        "product_id": ["P1\u00a0", "\ufeffP2", "NULL"], "product_name": ["Widget", "None", "Gadget"],
        "category": ["N/A", " tools ", "tools"], "list_price": ["NULL", "9.99\u200b", "1"],
    }), raw / "products.parquet")
    wh = Warehouse(tmp_path_factory.mktemp("wh_null_tokens"), raw)
    wh.dbt("build", "--select", "+staging")
    return wh


def test_null_tokens_are_no_value_and_invisible_characters_no_difference(small_shop):
    rows = small_shop.query("select order_id, customer_id, cast(ordered_at as varchar), discount_amount, order_status "
                            "from staging.stg_shop__orders order by order_id")
    assert [r[:4] for r in rows if r[0] != "O2"] == [
        ("O1", "C1", "2025-03-01 10:00:00", 0), ("O3", "C3", "2025-03-01 10:00:00", 0),
        ("O4", "C4", "2025-03-01 00:00:00", 0), ("O5", "C5", "2025-03-01 10:00:00.123456", 0)]
    assert dict((r[0], r[4]) for r in rows)["O5"] == "delivered"  # status N/A: none given
    # no customer named "NULL" anywhere: the order is not staged under that id
    for table in ("stg_shop__orders", "stg_shop__customers"):
        assert small_shop.scalar(f"select count(*) from staging.{table} where lower(customer_id) = 'null'") == 0
    assert small_shop.query("select order_id, customer_id from staging.stg_shop__orders where order_id = 'O2'") in (
        [], [("O2", None)])  # quarantined as missing_required:customer_id, or a guest order
    assert small_shop.query("select customer_id from staging.stg_shop__customers order by 1") == [("C1",), ("C4",)]


def test_text_typed_parquet_is_normalised_alike(small_shop):
    assert small_shop.query("select product_id, product_name, category, list_price, unreadable_columns "
                            "from staging.stg_shop__products order by 1") == [
        ("P1", "Widget", None, None, None), ("P2", None, "tools", Decimal("9.99"), None)]
    assert small_shop.query("select quarantine_reason from quarantine.quarantine_shop__products") == [
        ("missing_required:product_id",)]


def test_unreadable_optional_values_are_null_and_flagged_not_quarantined(small_shop):
    assert small_shop.query("select order_id, discount_amount, unreadable_columns from staging.stg_shop__orders "
                            "where unreadable_columns is not null") == [("O4", 0, "discount_amount")]
    assert small_shop.query("select customer_id, birth_date, has_marketing_consent, preferred_contact_hour, "
                            "unreadable_columns from staging.stg_shop__customers where customer_id = 'C4'") == [
        ("C4", None, False, None, "birth_date,marketing_consent,preferred_contact_hour")]
    assert small_shop.query("select order_item_id, unreadable_columns from staging.stg_shop__order_items "
                            "where order_id = 'O5'") == [("O5-1", "line_number")]
    # the raw values stay findable: base_shop__orders keeps a flagged row's raw record (and reads the value as null)
    assert small_shop.query("select discount_amount, json_extract_string(raw_record, '$.discount_amount') "
                            "from staging.base_shop__orders where unreadable_columns = 'discount_amount'") == [
        (None, "ten")]
    assert small_shop.scalar("select count(*) from quarantine.quarantine_shop__orders "
                             "where quarantine_reason like 'unparseable:%'") == 0


# --------------------------------------------------------------------------
# Erasure (item 14): C1 + U+00A0 in sessions.csv and events.csv
# --------------------------------------------------------------------------

SESSIONS = (
    "session_id,visitor_id,customer_id,started_at,device\n"
    "S1,V1,C1\u00a0,2025-03-01T10:00:00Z,desktop\n"
    "S2,V2,\u200bC1,2025-03-01T11:00:00Z,mobile\n"  # second device
    "S3,V2,,2025-03-02T09:00:00Z,mobile\n"  # that device before the login: anonymous
    "S4,V4,C2,2025-03-01T10:00:00Z,desktop\n"
)
EVENTS = (
    "event_id,session_id,visitor_id,customer_id,occurred_at,event_type,search_query\n"
    "E1,S1,V1,C1\u00a0,2025-03-01T10:00:01Z,search,red shoes\n"
    "E2,S2,V2,C1\ufeff,2025-03-01T11:00:01Z,page_view,\n"
    "E3,S3,V2,,2025-03-02T09:00:01Z,search,my home address\n"
    "E4,S3,V2,\u00a0,2025-03-02T09:00:02Z,page_view,\n"
    "E5,S4,V4,C2,2025-03-01T10:00:01Z,page_view,\n"
)
ERASURE_ORDERS = "order_id,customer_id,ordered_at\nO1,C1\u2007,2025-03-01T10:30Z\nO2,C2,2025-03-01T10:30Z\n"
ERASURE_ITEMS = "order_id,line_number,product_id,quantity,unit_price\nO1,1,P1,1,10\nO2,1,P1,1,10\n"
STAGING_ONLY = ["build", "--select", "+staging", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def test_forget_finds_the_id_behind_invisible_characters(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    files = {"orders.csv": ERASURE_ORDERS, "order_items.csv": ERASURE_ITEMS, "sessions.csv": SESSIONS,
             "events.csv": EVENTS}
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    wh = Warehouse(tmp_path / "wh", raw)
    wh.dbt(*STAGING_ONLY)
    assert wh.scalar("select count(*) from staging.stg_shop__events where customer_id = 'C1'") == 2

    result = gdpr.forget_customer("C1", raw, duckdb_path=wh.path, exports=tmp_path / "exports", rebuild=False)
    assert result.raw_rows_removed == {"orders": 1, "order_items": 1, "sessions": 3, "events": 4}
    # the warehouse itself, before any rebuild: the copies of the CSV loads and staging
    assert wh.query("select event_id from raw.events__csv_rows order by 1") == [("E5",)]
    assert wh.query("select session_id from staging.stg_shop__sessions") == [("S4",)]
    wh.dbt(*STAGING_ONLY)
    assert (raw / "sessions.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "S4,V4,C2,2025-03-01T10:00:00Z,desktop"]
    assert (raw / "events.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "E5,S4,V4,C2,2025-03-01T10:00:01Z,page_view,"]
    assert wh.query("select event_id from staging.stg_shop__events") == [("E5",)]
    assert wh.query("select session_id from staging.stg_shop__sessions") == [("S4",)]

    # the old files delivered again: the loader's erasure hash normalises as the erasure did (processed files
    # rewritten in place stop an incremental build, docs/privacy.md: rebuilt from the files as they are now)
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    wh.dbt(*STAGING_ONLY, "--full-refresh")
    assert wh.query("select event_id from staging.stg_shop__events") == [("E5",)]
    assert wh.query("select session_id from staging.stg_shop__sessions") == [("S4",)]
    assert wh.query("select order_id from staging.stg_shop__orders") == [("O2",)]
    assert wh.scalar("select count(*) from raw.events") == 1
