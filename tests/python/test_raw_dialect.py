"""Shops in their own dialect (issue #11): _dialect.yml, stray quotes, quarantine limits.

Small hand-made shops with exactly known content; every expected value is
worked out by hand from the rows below.
"""

from __future__ import annotations

import json

import pytest

from conftest import write_csv

STAGING = ["--select", "+staging"]


def _orders(n: int) -> str:
    return "order_id,customer_id,ordered_at\n" + "".join(
        f"O{i},C{i % 7},2024-0{1 + i % 9}-1{i % 10}T10:00:00\n" for i in range(1, n + 1))


def test_mostly_quarantined_table_fails_the_build_with_a_diagnosis(tmp_path, make_warehouse):
    """Decimal commas without a dialect: every line is quarantined, the build must fail and say why."""
    write_csv(tmp_path, "orders", _orders(120))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n" + "".join(
        f'O{i},P1,1,"{i},99"\n' for i in range(1, 121)))
    wh = make_warehouse(tmp_path)
    result = wh.dbt("build", *STAGING, check=False)
    assert not result.success
    text = "\n".join(result.failures)
    assert "Raw table 'order_items': 120 of 120 rows (100.0 %) quarantined, above the limit of 20 %" in text, text
    assert "Top reasons: unparseable:unit_price (120)" in text
    assert 'Examples (unparseable:unit_price): "1,99", "10,99", "100,99"' in text
    assert "values look like decimal commas: set decimal_separator: ',' in _dialect.yml" in text
    # orders itself is clean: not named
    assert "Raw table 'orders'" not in text
    # a failing node, counted by dbt (ERROR=1), not an on-run-end hook that raises
    # ("Exited because of keyboard interrupt", "ERROR=0")
    assert result.raw.exception is None, result.raw.exception
    statuses = {r.node.name: str(r.status) for r in result.raw.result.results}
    assert statuses["quarantine_limits"] == "error"
    assert [f for f in result.failures if f.startswith("model.ecommerce_segmentation.quarantine_limits: error:")]


def test_mostly_unreadable_optional_column_fails_the_build(tmp_path, make_warehouse):
    """discount_amount with decimal commas, no dialect: the orders stay (discount read as null, 0),
    but most rows name the column in unreadable_columns, so the build fails with the hint."""
    write_csv(tmp_path, "orders", "order_id,customer_id,ordered_at,discount_amount\n" + "".join(
        f'O{i},C{i % 7},2024-01-1{i % 10}T10:00:00,"{"5,00" if i > 10 else "1.50"}"\n' for i in range(1, 121)))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,9.99\n")
    wh = make_warehouse(tmp_path)
    result = wh.dbt("build", *STAGING, check=False)
    assert not result.success
    text = "\n".join(result.failures)
    assert ("Raw table 'orders', column 'discount_amount': 110 of 120 staged rows (91.7 %) unreadable, "
            "read as null, above the limit of 20 %") in text, text
    assert 'Examples: "5,00"' in text
    assert "values look like decimal commas: set decimal_separator: ',' in _dialect.yml" in text
    assert [f for f in result.failures if f.startswith("model.ecommerce_segmentation.quarantine_limits: error:")]
    # the rows themselves are staged, not quarantined
    assert wh.scalar("select count(*) from staging.stg_shop__orders") == 120
    assert wh.scalar("select count(*) from staging.stg_shop__orders where unreadable_columns = 'discount_amount'") == 110
    # a few such rows only warn; the limit table records the share
    wh.dbt("build", *STAGING, dbt_vars={"quarantine_share_overrides": {"orders": {"fail_share": 0.95}}})
    assert wh.query("select table_name, column_name, checked_rows, affected_rows, check_level "
                    "from quarantine.quarantine_limits where column_name is not null") == [
        ("orders", "discount_amount", 120, 110, "warn")]


def test_quarantine_limits_are_vars(tmp_path, make_warehouse):
    """The same shop builds when the limit for order_items is raised; a small table only warns."""
    write_csv(tmp_path, "orders", _orders(120))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n" + "".join(
        f'O{i},P1,1,"{i},99"\n' for i in range(1, 121)))
    wh = make_warehouse(tmp_path)
    wh.default_vars = {"incremental_raw_tables": []}  # the files are rewritten in place between builds
    wh.dbt("build", *STAGING, dbt_vars={"quarantine_share_overrides": {"order_items": {"fail_share": 1.0}}})
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__order_items") == 120
    # 99 rows, all bad: below quarantine_min_rows (100), a warning only
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n" + "".join(
        f'O{i},P1,1,"{i},99"\n' for i in range(1, 100)))
    wh.dbt("build", *STAGING)
    # ... and failing again when min_rows is lowered
    result = wh.dbt("build", *STAGING, check=False, dbt_vars={"quarantine_min_rows": 10})
    assert not result.success
    assert "Raw table 'order_items': 99 of 99 rows" in "\n".join(result.failures)


POLISH_DIALECT = """\
# a Polish shop's export: semicolons, decimal commas, Windows-1250, day-first dates
delimiter: ";"
decimal_separator: ","
thousands_separator: " "
encoding: windows-1250
date_format: "%d.%m.%Y"
timestamp_format: "%d.%m.%Y %H:%M"
null_tokens: ["NULL"]
tables:
  customers:
    timestamp_format: "%d.%m.%Y %H:%M:%S"
"""


def _cp1250(folder, name, text):
    (folder / f"{name}.csv").write_bytes(text.encode("cp1250"))


@pytest.fixture(scope="module")
def polish_shop(tmp_path_factory):
    raw = tmp_path_factory.mktemp("polish_shop")
    (raw / "_dialect.yml").write_text(POLISH_DIALECT, encoding="utf-8")
    _cp1250(raw, "orders",
            "order_id;customer_id;ordered_at;shipping_city;discount_amount\n"
            "O1;C1;31.12.2024 18:30;Łódź;2,50\n"
            "O2;C2;01.02.2025 09:05;Kraków;NULL\n"
            "O3;C1;2025-02-03;Gdańsk;0\n"        # ISO stays ISO: no match, kept as is
            "O4;C2;2025/02/30 10:00;Poznań;0\n")  # neither: quarantined as unparseable
    _cp1250(raw, "order_items",
            "order_id;line_number;product_id;quantity;unit_price\n"
            "O1;1;P1;2;49,99\n"
            "O1;2;P2;1;1 234,50\n"
            "O2;1;P1;3;\"10,00\"\n"
            "O3;1;P2;1;12.5\n"  # already canonical: no match, kept as is
            "O3;2;P3;1;12,5,0\n")  # neither: quarantined as unparseable
    _cp1250(raw, "customers",
            "customer_id;city;birth_date;signed_up_at\n"
            "C1;Łódź;05.06.1990;01.01.2024 08:00:00\n"
            "C2;Żółć;NULL;02.01.2024 09:00:00\n")
    return raw


@pytest.fixture(scope="module")
def polish_warehouse(polish_shop, tmp_path_factory):
    from conftest import Warehouse
    wh = Warehouse(tmp_path_factory.mktemp("wh_polish"), polish_shop)
    wh.dbt("build", *STAGING)
    return wh


def test_dialect_decodes_text_and_reads_dates(polish_warehouse):
    assert polish_warehouse.query(
        "select order_id, customer_id, cast(ordered_at as varchar), shipping_city, cast(discount_amount as varchar) "
        "from staging.stg_shop__orders order by 1") == [
        ("O1", "C1", "2024-12-31 18:30:00", "Łódź", "2.500000"),
        ("O2", "C2", "2025-02-01 09:05:00", "Kraków", "0.000000"),  # NULL token: empty, means 0
        ("O3", "C1", "2025-02-03 00:00:00", "Gdańsk", "0.000000"),
    ]
    assert polish_warehouse.query(
        "select order_id, quarantine_reason from quarantine.quarantine_shop__orders") == [
        ("O4", "unparseable:ordered_at")]
    assert polish_warehouse.query(
        "select customer_id, city, cast(birth_date as varchar), cast(signed_up_at as varchar) "
        "from staging.stg_shop__customers order by 1") == [
        ("C1", "Łódź", "1990-06-05", "2024-01-01 08:00:00"),
        ("C2", "Żółć", None, "2024-01-02 09:00:00"),
    ]


def test_dialect_decimal_commas_give_the_right_amounts(polish_warehouse):
    assert polish_warehouse.query(
        "select order_item_id, quantity, cast(unit_price as varchar) from staging.stg_shop__order_items order by 1") == [
        ("O1-1", 2, "49.990000"),
        ("O1-2", 1, "1234.500000"),
        ("O2-1", 3, "10.000000"),
        ("O3-1", 1, "12.500000"),
    ]
    assert polish_warehouse.query(
        "select order_id, product_id, quarantine_reason from quarantine.quarantine_shop__order_items") == [
        ("O3", "P3", "unparseable:unit_price")]


STRAY_QUOTE_ORDERS = (
    "order_id,customer_id,ordered_at,status,shipping_city\n"
    'O1,C1,2025-01-10T10:00:00Z,delivered,"Warszawa, Mokotów"\n'
    'O2,C2,"2025-01-11T10:00:00Z,delivered,Kraków\n'    # line 3: a quote opened, never closed
    "O3,C3,2025-01-12T10:00:00Z,delivered,Gdańsk\n"
    'O4,C4,2025-01-13T10:00:00Z,paid,"Łódź ""Centrum"""\n'  # a doubled quote inside quotes: a value
    "O5,C5,2025-01-14T10:00:00Z,delivered\n"             # line 6: too few fields, quarantined alone
    "O6,C6,2025-01-15T10:00:00Z,delivered,Poznań\n"
)


def test_a_stray_quote_costs_its_own_line_only(tmp_path, make_warehouse):
    """Issue #11 item 5: the lines after an unclosed quote are read, the broken line is quarantined alone."""
    write_csv(tmp_path, "orders", STRAY_QUOTE_ORDERS)
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n"
              'O1,P1,1,"2.50"\nO6,P1,1,1\n'
              'O3,"P\n2",1,1\n')  # a legitimate quoted field over two lines (RFC 4180) still works
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.query("select order_id, order_status, shipping_city from staging.stg_shop__orders order by 1") == [
        ("O1", "delivered", "Warszawa, Mokotów"),
        ("O3", "delivered", "Gdańsk"),
        ("O4", "paid", 'Łódź "Centrum"'),
        ("O6", "delivered", "Poznań"),
    ]
    quarantined = {}
    for reason, record in wh.query("select quarantine_reason, raw_record from quarantine.quarantine_shop__orders"):
        record = json.loads(record)
        quarantined[record["line"]] = (reason, record["problem"], record["raw_line"])
    assert quarantined == {
        3: ("unparseable:csv_record", "unterminated_quote", 'O2,C2,"2025-01-11T10:00:00Z,delivered,Kraków'),
        6: ("unparseable:csv_record", "missing_columns", "O5,C5,2025-01-14T10:00:00Z,delivered"),
    }
    # 6 data lines, 6 raw rows: 4 staged + 2 quarantined, every line accounted for
    assert wh.scalar("select count(*) from raw.orders") == 6
    assert wh.query("select order_item_id, product_id from staging.stg_shop__order_items order by 1") == [
        ("O1-1", "P1"), ("O3-1", "P\n2"), ("O6-1", "P1")]


def test_a_stray_quote_at_the_end_of_a_long_file(tmp_path, make_warehouse):
    """The quote runs to the end of the file: every later line is read on its own (no 10,000-character cut)."""
    lines = [f"O{i},C1,2025-01-10T10:00:00Z" for i in range(1, 2001)]
    lines[9] = 'O10,C1,"2025-01-10T10:00:00Z'
    lines[1999] = 'O2000,"C1,2025-01-10T10:00:00Z'  # the last line has one too: quarantined alone as well
    write_csv(tmp_path, "orders", "order_id,customer_id,ordered_at\n" + "\n".join(lines) + "\n")
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n")
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.scalar("select count(*) from staging.stg_shop__orders") == 1998
    assert wh.query("select quarantine_reason, raw_record->>'line', raw_record->>'problem' "
                    "from quarantine.quarantine_shop__orders order by 2") == [
        ("unparseable:csv_record", "11", "unterminated_quote"),
        ("unparseable:csv_record", "2001", "unterminated_quote"),
    ]


def test_windows_1250_file_without_a_dialect_fails_with_the_encoding_hint(tmp_path, make_warehouse):
    (tmp_path / "orders.csv").write_bytes(("order_id,customer_id,ordered_at\n" + "".join(
        f"O{i},KŁ{i},2024-01-01\n" for i in range(1, 121))).encode("cp1250"))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n")
    result = make_warehouse(tmp_path).dbt("build", *STAGING, check=False)
    assert not result.success
    text = "\n".join(result.failures)
    assert "Raw table 'orders': 120 of 120 rows (100.0 %) quarantined" in text, text
    assert "Top reasons: unparseable:customer_id (120)" in text
    assert "Likely cause: file is not UTF-8: looks like Windows-1250" in text


def test_semicolon_file_without_a_dialect_names_the_delimiter(tmp_path, make_warehouse):
    write_csv(tmp_path, "orders", "order_id;customer_id;ordered_at\nO1;C1;2024-01-01\n")
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n")
    result = make_warehouse(tmp_path).dbt("build", *STAGING, check=False)
    assert not result.success
    assert ("The header looks ';'-separated: set delimiter: ';' in the folder's _dialect.yml"
            in "\n".join(result.failures))


def test_a_bad_dialect_file_is_an_error_naming_it(tmp_path, make_warehouse):
    write_csv(tmp_path, "orders", "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n")
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n")
    (tmp_path / "_dialect.yml").write_text("delimiter: ';'\ndecimal_seperator: ','\n", encoding="utf-8")
    result = make_warehouse(tmp_path).dbt("build", *STAGING, check=False)
    assert not result.success
    assert "_dialect.yml: unknown key 'decimal_seperator' in the folder" in "\n".join(result.failures)


def test_no_break_space_is_a_thousands_separator(tmp_path, make_warehouse):
    """thousands_separator " ": an ordinary space, U+00A0 and U+202F (Polish locales, Excel) all separate groups."""
    (tmp_path / "_dialect.yml").write_text(
        'delimiter: ";"\ndecimal_separator: ","\nthousands_separator: " "\n', encoding="utf-8")
    write_csv(tmp_path, "orders", "order_id;customer_id;ordered_at\nO1;C1;2025-01-10T10:00:00Z\n")
    write_csv(tmp_path, "order_items", "order_id;line_number;product_id;quantity;unit_price\n"
              "O1;1;P1;1;1\u00a0000,00\n"
              "O1;2;P2;1;2\u202f000,50\n"
              "O1;3;P3;1;3 000,25\n"
              "O1;4;P4;1;1\u00a0234\u00a0567,89\n")
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.query("select line_number, cast(unit_price as varchar) from staging.stg_shop__order_items "
                    "order by 1") == [(1, "1000.000000"), (2, "2000.500000"), (3, "3000.250000"),
                                      (4, "1234567.890000")]
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__order_items") == 0


def test_a_stray_quote_does_not_break_a_later_multi_line_record(tmp_path, make_warehouse):
    """Tester's shop s3: after the broken line 7, a valid RFC 4180 record over two lines (O8) is one record."""
    write_csv(tmp_path, "orders",
              "order_id,customer_id,ordered_at,status,shipping_city\n"
              'O1,C1,2025-01-10T10:00:00Z,delivered,"Nowa\nHuta"\n'            # lines 2-3: legitimate
              "O2,C2,2025-01-11T10:00:00Z,delivered,Gdańsk\n"
              "O3,C3,2025-01-12T10:00:00Z,delivered,Łódź\n"
              "O4,C1,2025-01-13T10:00:00Z,delivered,Kraków\n"
              'O6,C6,2025-01-15T10:00:00Z,"delivered,Poznań\n'                   # line 7: a quote never closed
              "O7,C7,2025-01-16T10:00:00Z,delivered,Wrocław\n"
              'O8,C8,2025-01-17T10:00:00Z,delivered,"Nowa\nHuta"\n'            # lines 9-10: legitimate
              "O9,C9,2025-01-18T10:00:00Z,delivered,Gdynia\n")
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n")
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.query("select order_id, shipping_city from staging.stg_shop__orders order by 1") == [
        ("O1", "Nowa\nHuta"), ("O2", "Gdańsk"), ("O3", "Łódź"), ("O4", "Kraków"),
        ("O7", "Wrocław"), ("O8", "Nowa\nHuta"), ("O9", "Gdynia")]
    assert wh.query("select quarantine_reason, raw_record->>'line', raw_record->>'problem', raw_record->>'raw_line' "
                    "from quarantine.quarantine_shop__orders") == [
        ("unparseable:csv_record", "7", "unterminated_quote", 'O6,C6,2025-01-15T10:00:00Z,"delivered,Poznań')]
    assert wh.scalar("select count(*) from raw.orders") == 8


def test_a_value_not_in_the_encoding_of_an_optional_column_costs_that_value_only(tmp_path, make_warehouse):
    """Tester's shop s7: comma-separated, CP1250 bytes only in shipping_city, no dialect. The orders are
    staged with that city null and flagged; most rows flagged, so the build fails with the encoding hint."""
    cities = ["Łódź", "Kraków", "Gdańsk", "Poznań"]
    text = "order_id,customer_id,ordered_at,status,shipping_city\n" + "".join(
        f"O{i},K{i},2025-01-{1 + i % 28:02d}T10:00:00Z,delivered,{cities[i % 4] if i > 10 else 'Lublin'}\n"
        for i in range(1, 121))
    (tmp_path / "orders.csv").write_bytes(text.encode("cp1250"))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n")
    wh = make_warehouse(tmp_path)
    result = wh.dbt("build", *STAGING, check=False)
    assert not result.success
    text = "\n".join(result.failures)
    assert ("Raw table 'orders', column 'shipping_city': 110 of 120 staged rows (91.7 %) unreadable, "
            "read as null, above the limit of 20 %") in text, text
    assert "file is not UTF-8: looks like Windows-1250" in text and "set encoding" in text
    assert "Raw table 'orders':" not in text  # nothing quarantined
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__orders") == 0
    assert wh.query("select order_id, customer_id, shipping_city, unreadable_columns from staging.stg_shop__orders "
                    "where order_id in ('O1', 'O11') order by 1") == [
        ("O1", "K1", "Lublin", None), ("O11", "K11", None, "shipping_city")]
    assert wh.scalar("select count(*) from raw.orders") == 120
