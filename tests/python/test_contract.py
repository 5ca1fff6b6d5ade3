"""One contract, read by everything (issue #12, point 1).

The rules of a raw column (type, required, value sets, lengths, ranges) are
written once, in the column meta of models/staging/shop/_shop__sources.yml.
These tests prove that the base_ checks generated from it give the exact
reasons (and precedence) on a small inlined shop, that the Great Expectations
suites, the staging/mart value test and the document read the same rules, and
that no list of a column's values is written anywhere else.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import Warehouse, write_csv
from dbt_sandbox import Sandbox
from ecomseg import REPO_ROOT, contract, validation
from ecomseg.validation import dbt_tests

# --------------------------------------------------------------------------
# ecomseg.contract: the accessors and the schema of the value rules
# --------------------------------------------------------------------------


def test_value_checks_list_reasons_in_precedence_order():
    """Required columns' rules first, then the others'; ranges before value rules; column order.
    This is exactly the order the base_ models applied before the rules moved into the contract."""
    assert contract.value_checks("orders") == [
        ("out_of_range:discount_amount", "discount_amount"),
        ("invalid_value:status", "status"),
        ("invalid_value:currency", "currency"),
    ]
    assert contract.value_checks("order_items") == [
        ("out_of_range:quantity", "quantity"),
        ("out_of_range:unit_price", "unit_price"),
        ("out_of_range:line_number", "line_number"),
    ]
    assert contract.value_checks("events") == [
        ("invalid_value:event_type", "event_type"),
        ("out_of_range:checkout_step", "checkout_step"),
    ]
    assert contract.value_checks("exchange_rates") == [
        ("out_of_range:rate_to_shop_currency", "rate_to_shop_currency"),
        ("invalid_value:currency", "currency"),
    ]
    assert contract.value_checks("sessions") == []


def test_ranges_and_value_sets_read_from_the_contract():
    quantity = contract.value_range("order_items", "quantity")
    assert (quantity.contains(1), quantity.contains(0), quantity.contains(-1)) == (True, False, False)
    price = contract.value_range("order_items", "unit_price")
    assert (price.contains(0), price.contains(-0.01)) == (True, False)
    step = contract.value_range("events", "checkout_step")
    assert [step.contains(v) for v in (0, 1, 4, 5)] == [False, True, True, False]
    assert step.describe() == "1-4" and quantity.describe() == "> 0" and price.describe() == ">= 0"
    assert contract.column("orders", "currency").length == 3
    assert len(contract.accepted_values("orders", "status")) == 5
    assert "purchase" in contract.accepted_values("events", "event_type")
    # known values: staging keeps them and stages anything else as other_value (or null)
    assert contract.staged_values("customers", "gender")[-1] == "other"
    assert contract.staged_values("customers", "preferred_channel") == contract.known_values("customers",
                                                                                              "preferred_channel")
    with pytest.raises(KeyError, match="no meta.accepted_values"):
        contract.accepted_values("orders", "order_id")
    with pytest.raises(KeyError, match="no column orders.nope"):
        contract.column("orders", "nope")


def _contract_file(tmp_path: Path, column_meta: dict) -> Path:
    doc = {"version": 2, "sources": [{"name": "shop", "tables": [{"name": "t", "columns": [
        {"name": "c", "meta": column_meta}]}]}]}
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("meta, message", [
    ({"contract_type": "text", "accepted_value": ["a"]}, "unknown meta keys"),
    ({"contract_type": "text", "accepted_values": ["A"]}, "lower-case"),
    ({"contract_type": "text", "accepted_values": []}, "non-empty list"),
    ({"contract_type": "integer", "accepted_values": ["1"]}, "needs a text column"),
    ({"contract_type": "text", "range": {"min": 0}}, "needs a number column"),
    ({"contract_type": "integer", "range": {"minimum": 0}}, "min and/or max"),
    ({"contract_type": "text", "other_value": "x"}, "needs meta.known_values"),
])
def test_a_malformed_rule_is_a_clear_error(tmp_path, meta, message):
    with pytest.raises(ValueError, match=message):
        contract.tables(_contract_file(tmp_path, meta))


# --------------------------------------------------------------------------
# The document: its column tables are generated from the contract
# --------------------------------------------------------------------------


def test_the_documents_column_tables_are_the_generated_ones():
    text = contract.DOC_FILE.read_text(encoding="utf-8")
    assert contract.doc_with_tables(text) == text, "run: python -m ecomseg.contract --write-doc"
    assert contract.main(["--check-doc"]) == 0


def test_the_generated_tables_state_every_rule():
    tables = contract.doc_tables()
    assert ("| status | text | no | yes | one of " + ", ".join(f"`{v}`" for v in contract.accepted_values(
        "orders", "status")) + " (any case), else `invalid_value:status` |") in tables
    assert "| quantity | integer | yes | no | > 0, else `out_of_range:quantity` |" in tables
    assert "| checkout_step | integer | no | yes | 1-4, else `out_of_range:checkout_step` |" in tables
    assert "| currency | text | no | yes | exactly 3 characters, else `invalid_value:currency` |" in tables
    assert "| email (personal data) | text | no | yes |  |" in tables


def test_a_stale_document_is_detected():
    text = contract.DOC_FILE.read_text(encoding="utf-8")
    stale = text.replace("| quantity | integer | yes | no | > 0,", "| quantity | integer | yes | no | >= 0,", 1)
    assert stale != text and contract.doc_with_tables(stale) == text


def test_the_documents_tables_table_agrees_with_the_contract():
    """The hand-written "Tables" table (with its explanations) names the same required files and values."""
    text = contract.DOC_FILE.read_text(encoding="utf-8")
    section = text[text.index("## Tables"):text.index("### Columns")]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    found = {cells[0].strip(): cells for cells in rows[1:]}
    assert set(found) == set(contract.tables())
    for name, table in contract.tables().items():
        cells = found[name]
        assert cells[1].strip() == ("yes" if table.required_file else "no"), name
        required = [c.name for c in table.columns if c.required]
        assert re.sub(r"\s*\(.*\)\s*$", "", cells[3].strip()) == ", ".join(required), name


# --------------------------------------------------------------------------
# One place: no list of a column's values outside the contract
# --------------------------------------------------------------------------

SCANNED = ("models", "macros", "ecomseg", "scripts", "tests", "docs", "seeds", "README.md", "Makefile",
           "dbt_project.yml")
SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".md", ".csv", ".sh", ""}
CONTRACT_FILE = contract.SOURCES_FILE.relative_to(REPO_ROOT)


def value_lists() -> dict[str, list[str]]:
    """Every value list of the contract with three or more values, by table.column."""
    lists = {}
    for table in contract.tables().values():
        for col in table.columns:
            for values in (col.accepted_values, col.known_values):
                if values and len(values) >= 3:
                    lists[f"{table.name}.{col.name}"] = list(values)
    return lists


# What may stand between the items of a written list: white space, punctuation of lists, sets,
# SQL and Markdown, and the words "or" / "and".
LIST_GAP = re.compile(r"""(?:[\s,;'"`/|()\[\]{}]|\bor\b|\band\b)*""", re.IGNORECASE)


def find_value_list(text: str, values: list[str]) -> str | None:
    """The first place in text where the values are written as a list: a run of values separated
    only by LIST_GAP (a Python list or set, an SQL in (...), a YAML list, a sentence "a, b or c")
    holding every value, each once; or None. A value used on its own (= 'cancelled'), a mapping
    of each value to something ("mobile": 0.45), or pairs of values (transitions) are not lists."""
    hits = sorted((m.start(), m.end(), m.group(0).lower())
                  for value in values
                  for m in re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text, flags=re.IGNORECASE))
    wanted = {v.lower() for v in values}
    run: list[tuple[int, int, str]] = []
    for hit in hits + [(len(text) + 1, len(text) + 1, "")]:
        if run and (hit[2] == "" or not LIST_GAP.fullmatch(text[run[-1][1]:hit[0]])):
            names = [h[2] for h in run]
            if set(names) >= wanted and len(names) == len(set(names)):
                return text[run[0][0]:run[-1][1]]
            run = []
        run.append(hit)
    return None


# dbt compiles a unit test without the sources graph, so a model with unit tests cannot read the
# contract when it is compiled: staging keeps its mapping of a column's known values (meta
# known_values: kept, anything else staged as other_value) as an SQL list, which
# test_staging_mappings_equal_the_contract holds equal to the contract.
STAGING_SQL = REPO_ROOT / "models" / "staging"
SQL_LIST = re.compile(r"\bin\s*\(\s*('[^']*'(?:\s*,\s*'[^']*')*)\s*\)", re.IGNORECASE)


def _sql_lists(text: str) -> list[tuple[re.Match, list[str]]]:
    return [(m, re.findall(r"'([^']*)'", m.group(1))) for m in SQL_LIST.finditer(text)]


def _known_value_lists() -> dict[str, list[str]]:
    return {f"{t.name}.{c.name}": list(c.known_values) for t in contract.tables().values() for c in t.columns
            if c.known_values}


def _without_staging_mappings(text: str) -> str:
    """text without the SQL lists that equal a column's known values exactly."""
    known = [sorted(v) for v in _known_value_lists().values()]
    for match, values in reversed(_sql_lists(text)):
        if sorted(values) in known:
            text = text[:match.start()] + text[match.end():]
    return text


def _scanned_files():
    for entry in SCANNED:
        path = REPO_ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            rel = file.relative_to(REPO_ROOT)
            if rel == CONTRACT_FILE or file.suffix not in SUFFIXES or "__pycache__" in rel.parts:
                continue
            if rel.parts[0] == "docs" and file.name == contract.DOC_FILE.name:
                text = file.read_text(encoding="utf-8")
                begin, end = text.index(contract.DOC_BEGIN), text.index(contract.DOC_END)
                yield rel, text[:begin] + text[end:]  # the generated part is the contract itself
            elif file.suffix == ".sql" and STAGING_SQL in file.parents:
                yield rel, _without_staging_mappings(file.read_text(encoding="utf-8"))
            else:
                yield rel, file.read_text(encoding="utf-8", errors="replace")


def test_the_scanner_finds_a_list_and_allows_single_uses():
    statuses = contract.accepted_values("orders", "status")
    quoted = ", ".join(f"'{v}'" for v in statuses)
    assert find_value_list(f"when lower(status) not in ({quoted}) then", statuses)
    assert find_value_list("Status: " + ", ".join(reversed(statuses[1:])) + " or " + statuses[0] + ".", statuses)
    assert find_value_list(f"STATUSES = {{{', '.join(repr(v) for v in statuses)}}}", statuses)
    assert not find_value_list(f"where order_status = '{statuses[-1]}'\n" * 5, statuses)
    assert find_value_list("values: [" + ", ".join(statuses) + "]", statuses)
    weights = ", ".join(f'"{v}": 0.1' for v in statuses)
    assert not find_value_list(f"WEIGHTS = {{{weights}}}", statuses)
    pairs = ", ".join(f'("{a}", "{b}")' for a, b in zip(statuses, statuses[1:]))
    assert not find_value_list(f"TRANSITIONS = [{pairs}]", statuses)
    prose = f"exported when {statuses[0]} and again when " + ", then ".join(statuses[1:])
    assert not find_value_list(prose, statuses)


def test_value_lists_are_written_only_in_the_contract():
    lists = value_lists()
    assert {"orders.status", "events.event_type", "campaign_sends.channel", "sessions.device"} <= set(lists)
    found = []
    for rel, text in _scanned_files():
        for name, values in lists.items():
            where = find_value_list(text, values)
            if where:
                found.append(f"{rel}: the values of {name}: {where!r}")
    assert not found, ("a list of contract values written outside models/staging/shop/_shop__sources.yml; "
                       "read it from the contract instead (ecomseg.contract, macro contract_staged_values, "
                       "generic test contract_values):\n" + "\n".join(found))


def test_staging_mappings_equal_the_contract():
    """Each column with known values is mapped in a staging model by an SQL list equal to them;
    no staging list holds some of a column's known values but not exactly them."""
    mapped, wrong = set(), []
    for file in sorted(STAGING_SQL.rglob("*.sql")):
        for _, values in _sql_lists(file.read_text(encoding="utf-8")):
            for name, known in _known_value_lists().items():
                if sorted(values) == sorted(known):
                    mapped.add(name)
                elif len(set(values) & set(known)) >= 2:
                    wrong.append(f"{file.relative_to(REPO_ROOT)}: {values} is not the known values of {name}: {known}")
    assert not wrong, "\n".join(wrong)
    assert mapped == {"customers.gender", "customers.preferred_channel", "sessions.device"}


# --------------------------------------------------------------------------
# Readers: GX suites and the generic test contract_values
# --------------------------------------------------------------------------


def _kwargs(exps, expectation_type, column):
    found = [e.configuration.kwargs for e in exps
             if e.expectation_type == expectation_type and e.configuration.kwargs.get("column") == column]
    assert len(found) == 1, (expectation_type, column, found)
    return found[0]


def test_gx_raw_suites_take_the_contracts_rules():
    suite = validation.accepted_rows_suite(None, contract.table("orders"), None)
    assert _kwargs(suite.expectations, "expect_column_values_to_be_in_set", "status__lower")["value_set"] == \
        contract.accepted_values("orders", "status")
    length = _kwargs(suite.expectations, "expect_column_values_to_be_between", "currency__length")
    assert (length["min_value"], length["max_value"]) == (3, 3)
    discount = _kwargs(suite.expectations, "expect_column_values_to_be_between", "discount_amount__number")
    assert (discount["min_value"], discount.get("strict_min", False)) == (0, False) and "max_value" not in discount
    events = validation.accepted_rows_suite(None, contract.table("events"), None)
    step = _kwargs(events.expectations, "expect_column_values_to_be_between", "checkout_step__number")
    assert (step["min_value"], step["max_value"], step.get("strict_min", False), step.get("strict_max", False)) == \
        (1, 4, False, False)


def test_gx_staging_suites_take_the_contracts_ranges():
    returns = validation.staging_extra_expectations("stg_shop__returns")
    quantity = _kwargs(returns, "expect_column_values_to_be_between", "returned_quantity")
    assert (quantity["min_value"], quantity["strict_min"]) == (0, True)
    items = validation.staging_extra_expectations("stg_shop__order_items")
    assert {e.configuration.kwargs["column"] for e in items} == {"quantity", "unit_price", "line_number",
                                                                 "gross_amount"}
    hour = _kwargs(validation.staging_extra_expectations("stg_shop__customers"),
                   "expect_column_values_to_be_between", "preferred_contact_hour")
    assert (hour["min_value"], hour["max_value"]) == (0, 23)


def test_gx_reads_the_generic_test_contract_values():
    node = {"unique_id": "model.p.m", "columns": {}}
    manifest = {"nodes": {"test.p.t": {
        "resource_type": "test", "unique_id": "test.p.t", "attached_node": "model.p.m", "column_name": "order_status",
        "test_metadata": {"name": "contract_values", "kwargs": {"table": "orders", "column": "status"}}, "config": {}}}}
    exps = dbt_tests.dbt_test_expectations(manifest, node, set())
    assert _kwargs(exps, "expect_column_values_to_be_in_set", "order_status")["value_set"] == \
        contract.accepted_values("orders", "status")


SANDBOX_SOURCES = """
version: 2
sources:
  - name: shop
    schema: main
    tables:
      - name: things
        columns:
          - name: kind
            meta: {contract_type: text, accepted_values: [a, b]}
          - name: size
            meta: {contract_type: text, known_values: [s, m], other_value: other}
          - name: step
            meta: {contract_type: integer, range: {min: 1, max: 4}}
          - name: weight
            meta: {contract_type: decimal, range: {min: 0, min_exclusive: true}}
"""

SANDBOX_SCHEMA = """
version: 2
seeds:
  - name: {seed}
    columns:
      - name: kind
        data_tests:
          - contract_values: {{name: {seed}_kind, arguments: {{table: things, column: kind}}}}
      - name: size
        data_tests:
          - contract_values: {{name: {seed}_size, arguments: {{table: things, column: size}}}}
      - name: step
        data_tests:
          - contract_values: {{name: {seed}_step, arguments: {{table: things, column: step}}}}
      - name: weight
        data_tests:
          - contract_values: {{name: {seed}_weight, arguments: {{table: things, column: weight}}}}
"""


@pytest.fixture(scope="module")
def contract_values_box(tmp_path_factory):
    box = Sandbox(tmp_path_factory.mktemp("contract_values"))
    box.write("models/sources.yml", SANDBOX_SOURCES)
    box.write("seeds/good.csv", "kind,size,step,weight\na,s,1,0.5\nb,other,4,1\n,,,\n")
    box.write("seeds/bad.csv", "kind,size,step,weight\nc,l,0,0\nc,m,5,-1\na,s,2,1\n")
    box.write("seeds/good.yml", SANDBOX_SCHEMA.format(seed="good"))
    box.write("seeds/bad.yml", SANDBOX_SCHEMA.format(seed="bad"))
    result = box.dbt("build", "--store-failures")
    return box, result


def test_contract_values_passes_on_values_of_the_contract(contract_values_box):
    _, result = contract_values_box
    for column in ("kind", "size", "step", "weight"):
        assert result.status(f"good_{column}") == "pass", result.messages()


def test_contract_values_fails_on_values_outside_the_contract(contract_values_box):
    box, result = contract_values_box
    for column in ("kind", "size", "step", "weight"):
        assert result.status(f"bad_{column}") == "fail", column
    rows = {column: sorted(box.query(f"select * from dbt_test__audit.bad_{column}"), key=str)
            for column in ("kind", "size", "step", "weight")}
    assert rows["kind"] == [("c", 2)]
    assert rows["size"] == [("l", 1)]
    assert rows["step"] == [(0, 1), (5, 1)]
    assert [(float(v), n) for v, n in rows["weight"]] == [(-1.0, 1), (0.0, 1)]


# --------------------------------------------------------------------------
# The generated base_ checks: exact reasons on a small inlined shop
# --------------------------------------------------------------------------

TS = "2024-03-01T10:00:00"
RAW = {
    "orders": f"""
        order_id,customer_id,ordered_at,status,discount_amount,currency
        O1,C1,{TS},PAID,0,pln
        O2,C1,{TS},lost,0,
        O3,C1,{TS},paid,-1,
        O4,C1,{TS},lost,-1,
        O5,C1,{TS},paid,0,EURO
        O6,C1,{TS},lost,0,EURO
        O7,C1,{TS},,0,
        O8,C1,{TS},paid,0,usd
        O9,C1,{TS},paid,ten,
        """,
    "order_items": """
        order_id,line_number,product_id,quantity,unit_price
        O1,1,P1,1,10
        O1,2,P1,0,10
        O1,0,P1,0,10
        O1,0,P1,1,10
        O1,3,P1,1,-1
        O1,-1,P1,1,-1
        O1,4,P1,1,0
        O2,1,P1,1,10
        """,
    "exchange_rates": """
        currency,rate_date,rate_to_shop_currency
        EUR,2024-01-01,4.3
        EURO,2024-01-01,0
        EURO,2024-01-02,1
        GBP,2024-01-01,0
        """,
    "customers": """
        customer_id,gender,preferred_channel,preferred_contact_hour
        C1,FEMALE,SMS,23
        C2,,,24
        C3,robot,pigeon,0
        C4,,,-1
        """,
    "products": "product_id,list_price\nP1,10\nP2,-0.01\nP3,0\n",
    "returns": f"order_id,product_id,returned_at,quantity\nO1,P1,{TS},0\nO1,P1,{TS},1\n",
    "events": f"""
        event_id,session_id,visitor_id,customer_id,occurred_at,event_type,checkout_step
        E1,S1,V1,C1,{TS},Checkout_Step,4
        E2,S1,V1,C1,{TS},checkout_step,5
        E3,S1,V1,C1,{TS},teleport,5
        E4,S1,V1,C1,{TS},checkout_step,0
        E5,S1,V1,C1,{TS},page_view,
        """,
    "campaign_sends": f"""
        send_id,campaign_id,customer_id,channel,sent_at
        M1,K1,C1,EMAIL,{TS}
        M2,K1,C1,fax,{TS}
        M3,K1,C1,,{TS}
        """,
}


@pytest.fixture(scope="module")
def ruled(tmp_path_factory):
    raw = tmp_path_factory.mktemp("contract_rules")
    for table, text in RAW.items():
        write_csv(raw, table, textwrap.dedent(text))
    wh = Warehouse(tmp_path_factory.mktemp("wh_contract_rules"), raw)
    wh.dbt("build", "--select", "+staging")  # the staging tests (contract_values among them) must pass
    return wh


def _quarantined(wh: Warehouse, table: str, *columns: str) -> list[tuple]:
    """(raw values of columns joined by '/', reason) of the table's quarantined rows."""
    key = " || '/' || ".join(f"json_extract_string(raw_record, '$.{c}')" for c in columns)
    return wh.query(f"select {key}, quarantine_reason from quarantine.quarantine_shop__{table} order by 1, 2")


def test_generated_checks_give_the_exact_reasons(ruled):
    assert _quarantined(ruled, "orders", "order_id") == [
        ("O2", "invalid_value:status"),
        ("O3", "out_of_range:discount_amount"),
        ("O4", "out_of_range:discount_amount"),  # the range is checked before the value set
        ("O5", "invalid_value:currency"),
        ("O6", "invalid_value:status"),  # status comes before currency in the contract
        ("O8", "unknown_exchange_rate:currency"),  # a model's own check comes after the contract's
    ]
    assert _quarantined(ruled, "order_items", "order_id", "line_number") == [
        ("O1/-1", "out_of_range:unit_price"),  # a required column's rule before an optional one's
        ("O1/0", "out_of_range:line_number"),
        ("O1/0", "out_of_range:quantity"),  # quantity 0 and line_number 0: the required column
        ("O1/2", "out_of_range:quantity"),
        ("O1/3", "out_of_range:unit_price"),
        ("O2/1", "unknown_order"),
    ]
    assert _quarantined(ruled, "exchange_rates", "currency", "rate_date") == [
        ("EURO/2024-01-01", "out_of_range:rate_to_shop_currency"),  # range before length
        ("EURO/2024-01-02", "invalid_value:currency"),
        ("GBP/2024-01-01", "out_of_range:rate_to_shop_currency"),
    ]
    assert _quarantined(ruled, "customers", "customer_id") == [
        ("C2", "out_of_range:preferred_contact_hour"),
        ("C4", "out_of_range:preferred_contact_hour"),
    ]
    assert _quarantined(ruled, "products", "product_id") == [("P2", "out_of_range:list_price")]
    assert _quarantined(ruled, "returns", "quantity") == [("0", "out_of_range:quantity")]
    assert _quarantined(ruled, "events", "event_id") == [
        ("E2", "out_of_range:checkout_step"),
        ("E3", "invalid_value:event_type"),  # the required event_type before the optional checkout_step
        ("E4", "out_of_range:checkout_step"),
    ]
    assert _quarantined(ruled, "campaign_sends", "send_id") == [("M2", "invalid_value:channel")]


def test_values_the_contract_accepts_are_staged(ruled):
    assert ruled.query("select order_id, order_status, discount_amount from staging.stg_shop__orders order by 1") == [
        ("O1", "paid", 0), ("O7", "delivered", 0), ("O9", "paid", 0)]  # O9's unreadable discount: 0, flagged
    assert ruled.query("select event_id, event_type, checkout_step from staging.stg_shop__events order by 1") == [
        ("E1", "checkout_step", 4), ("E5", "page_view", None)]
    # known values: kept lower-cased; another value is staged as other_value (gender) or null (channel)
    assert ruled.query("select customer_id, gender, preferred_channel, preferred_contact_hour "
                       "from staging.stg_shop__customers order by 1") == [
        ("C1", "female", "sms", 23), ("C3", "other", None, 0)]
    assert ruled.query("select send_id, channel from staging.stg_shop__campaign_sends order by 1") == [
        ("M1", "email"), ("M3", None)]
    assert ruled.query("select product_id from staging.stg_shop__products order by 1") == [("P1",), ("P3",)]


def test_the_independent_python_reading_gives_the_same_first_reasons(ruled):
    """The same rules applied in Python from ecomseg.contract (Range.contains, accepted values, length)
    to the raw rows that passed the type checks give the SQL's value reasons."""
    for table in ("orders", "order_items", "exchange_rates", "customers", "products", "events", "campaign_sends"):
        columns = contract.table(table).column_names
        header = textwrap.dedent(RAW[table]).strip().splitlines()[0].split(",")
        present = [c for c in columns if c in header]
        # base_shop__<table> holds typed values and, for a quarantined row, its raw text in raw_record
        # (a valid row's typed value, as text, passes the same rules as its raw text)
        values_sql = ", ".join(f"coalesce(json_extract_string(raw_record, '$.{c}'), cast({c} as varchar))" for c in present)
        rows = ruled.query(f"select {values_sql}, quarantine_reason from staging.base_shop__{table}")
        for row in rows:
            values = dict(zip(present, row[:-1]))
            reason = row[-1]
            expected = None
            for rule, name in contract.value_checks(table):
                text = (values.get(name) or "").strip()
                col = contract.column(table, name)
                if not text:
                    continue
                if rule.startswith("out_of_range:"):
                    try:
                        number = float(text)
                    except ValueError:
                        continue
                    broken = not col.range.contains(number)
                else:
                    broken = ((col.accepted_values is not None and text.lower() not in col.accepted_values)
                              or (col.length is not None and len(text) != col.length))
                if broken:
                    expected = rule
                    break
            if expected is not None or (reason or "").split(":")[0] in ("out_of_range", "invalid_value"):
                assert reason == expected, (table, values, reason, expected)


def test_every_table_says_whether_it_is_a_fact_or_an_entity():
    """docs/raw-data-contract.md, "Facts and entities": a key delivered again is a duplicate (fact) or a
    new version (entity); the facts, the orders and the customers of a daily batch are loaded incrementally."""
    doc = yaml.safe_load(contract.SOURCES_FILE.read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == "shop"]
    kinds = {t["name"]: t["meta"]["kind"] for t in source["tables"]}
    assert kinds == {"orders": "entity", "order_items": "entity", "exchange_rates": "entity", "customers": "entity",
                     "products": "entity", "returns": "fact", "sessions": "fact", "events": "fact",
                     "campaign_sends": "fact"}
    assert {t.name for t in contract.tables().values() if t.incremental} == {
        "events", "sessions", "orders", "order_items", "campaign_sends", "returns", "customers"}
