"""Bad input: the generator's dirt at its highest rate, and hand-made hostile files.

Every hostile input must end in one of two ways: a clear error that names the
file and the problem, or quarantined rows with a reason (and for a CSV record
that cannot even be read, its line number and text). Never a crash without a
message, never a silently lost row: raw rows = staged + quarantined, always.
Future dates: a timestamp or date later than the build's start plus
var('future_date_tolerance_days') (default 1 day) is out_of_range:<column>.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse
from ecomseg import contract
from ecomseg.generator import generate

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
SOON = NOW + dt.timedelta(hours=2)  # within the 1-day tolerance: accepted
LATER = NOW + dt.timedelta(days=5)  # beyond it: in the future, quarantined
LONG_QUERY = "x" * 10_240

ORDERS = (
    "order_id,customer_id,ordered_at,status,discount_amount\n"
    "O1,C1,2024-03-01T10:00:00+02:00,paid,0\n"  # line 2: offset, converted to UTC
    "O2,C2,2024-03-01T22:30:00-05:00,paid,0\n"  # line 3: offset crossing midnight
    "O3,C3,2099-01-01T00:00:00,paid,0\n"  # line 4: far future
    f"O4,C4,{LATER:%Y-%m-%dT%H:%M:%S},paid,0\n"  # line 5: 5 days ahead
    f"O5,C5,{SOON:%Y-%m-%dT%H:%M:%S},paid,0\n"  # line 6: 2 hours ahead, within tolerance
    "O1,C9,2024-03-02T10:00:00,paid,0\n"  # line 7: duplicate key
    "O6,C6,2024-03-03,paid,ten\n"  # line 8: wrong type in an optional column: kept, discount null (0), flagged
    "O10,C10,31/12/2024,paid,0\n"  # line 9: not ISO-8601
    "O12'; drop table orders; --,C12,2024-03-07,paid,0\n"  # line 10: SQL-like text is just text
).encode() + (
    b"O7,Caf\xe9,2024-03-04,paid,0\n"  # line 11: not UTF-8 (Latin-1 e-acute)
    b"O8,C8\n"  # line 12: too few fields
    b"O9,C9,2024-03-05,paid,0,extra\n"  # line 13: too many fields
)
ORDER_ITEMS = (
    "order_id,line_number,product_id,quantity,unit_price\n"
    "O1,1,P1,2,10.00\n"
    "O1,2,P404,1,5.00\n"  # a product missing from the catalogue: kept
    "O2,1,P1,1.5,10\n"
    "O2,2,P1,abc,10\n"
    "O3,1,P1,1,10\n"  # its order is quarantined
    "O1,1,P2,1,1\n"  # duplicate (O1, 1)
    "O5,1,P1,1,10\n"
    "O12'; drop table orders; --,1,P1,1,1\n"
)
PRODUCTS = 'product_id,product_name,category,list_price\nP1,Widget,tools,10.00\nP2,"Gadget, large",tools,5\n'
EVENTS = (
    "event_id,session_id,visitor_id,customer_id,occurred_at,event_type,search_query\n"
    "E1,S1,V1,,2024-03-01T10:00:00,search,'; DROP TABLE orders; --\n"
    f"E2,S1,V1,,2024-03-01T10:01:00,search,{LONG_QUERY}\n"
    'E3,S1,V1,,2024-03-01T10:02:00,search,"emoji \U0001f6d2 ""quoted"" tab\there"\n'
    f"E4,S1,V1,,{LATER:%Y-%m-%dT%H:%M:%S},page_view,\n"
    "E1,S1,V1,,2024-03-01T10:00:00,search,'; DROP TABLE orders; --\n"  # a duplicate delivery
    "E6,S1,V1,,2024-03-01T10:04:00,teleport,\n"
).encode() + b"E5,S1,V1,,2024-03-01T10:03:00,search,caf\xe9 au lait\n"
RETURNS = "order_id,product_id,returned_at,quantity\n"  # header only: an empty table


def _reasons(wh: Warehouse, table: str, key: str) -> list[tuple]:
    return wh.query(f"select {key}, quarantine_reason from quarantine.quarantine_shop__{table} order by 2, 1")


def _reconciles(wh: Warehouse) -> None:
    for table in contract.tables():
        raw = wh.scalar(f"select count(*) from raw.{table}")
        staged = wh.scalar(f"select count(*) from staging.stg_shop__{table}")
        quarantined = wh.scalar(f"select count(*) from quarantine.quarantine_shop__{table}")
        assert raw == staged + quarantined, (table, raw, staged, quarantined)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    raw = tmp_path_factory.mktemp("hostile")
    (raw / "orders.csv").write_bytes(ORDERS)
    (raw / "order_items.csv").write_text(ORDER_ITEMS, encoding="utf-8")
    (raw / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    (raw / "events.csv").write_bytes(EVENTS)
    (raw / "returns.csv").write_text(RETURNS, encoding="utf-8")
    wh = Warehouse(tmp_path_factory.mktemp("wh_hostile"), raw)
    wh.dbt("build", "--select", "+staging", "+dim_products")  # data tests included: all must pass
    return wh


def test_hostile_rows_are_quarantined_with_reasons(hostile):
    assert _reasons(hostile, "orders", "order_id") == [
        ("O1", "duplicate_key"),
        ("O3", "out_of_range:ordered_at"),
        ("O4", "out_of_range:ordered_at"),
        (None, "unparseable:csv_record"),  # too few fields
        (None, "unparseable:csv_record"),  # too many fields
        (None, "unparseable:customer_id"),  # not UTF-8
        ("O10", "unparseable:ordered_at"),
    ]
    assert _reasons(hostile, "order_items", "order_id || '/' || product_id") == [
        ("O1/P2", "duplicate_key"),
        ("O3/P1", "unknown_order"),
        ("O2/P1", "unparseable:quantity"),
        ("O2/P1", "unparseable:quantity"),
    ]
    assert _reasons(hostile, "events", "event_id") == [
        ("E1", "duplicate_key"),
        ("E6", "invalid_value:event_type"),
        ("E4", "out_of_range:occurred_at"),
    ]
    _reconciles(hostile)


def test_a_value_not_utf8_in_an_optional_column_is_null_and_flagged(hostile):
    """E5's search_query is Latin-1 (not UTF-8), an optional column: the event is staged, that value null,
    the column named in unreadable_columns (issue #11 item 10); a customer_id not UTF-8 (O7) stays quarantined."""
    assert hostile.query("select event_id, event_type, search_query, unreadable_columns from staging.stg_shop__events "
                         "where event_id = 'E5'") == [("E5", "search", None, "search_query")]


def test_unreadable_csv_records_keep_file_line_and_text(hostile):
    rows = hostile.query("select source_file, raw_record from quarantine.quarantine_shop__orders "
                         "where order_id is null order by raw_record")
    records = {json.loads(r)["line"]: (f, json.loads(r)) for f, r in rows}
    assert sorted(records) == [11, 12, 13]
    assert all(f == "orders.csv" for f, _ in records.values())
    assert records[11][1]["problem"] == "invalid_encoding" and records[11][1]["raw_line"].startswith("O7,Caf")
    assert records[12][1]["problem"] == "missing_columns" and records[12][1]["raw_line"] == "O8,C8"
    assert records[13][1]["problem"] == "too_many_columns" and "extra" in records[13][1]["raw_line"]


def test_valid_rows_survive_offsets_sql_text_and_tolerance(hostile):
    assert hostile.query("select order_id, customer_id, cast(ordered_at as varchar), cast(order_date as varchar) "
                         "from staging.stg_shop__orders order by order_id") == [
        ("O1", "C1", "2024-03-01 08:00:00", "2024-03-01"),
        ("O12'; drop table orders; --", "C12", "2024-03-07 00:00:00", "2024-03-07"),
        ("O2", "C2", "2024-03-02 03:30:00", "2024-03-02"),  # -05:00 -> next day in UTC
        ("O5", "C5", f"{SOON:%Y-%m-%d %H:%M:%S}", f"{SOON:%Y-%m-%d}"),  # within the tolerance
        ("O6", "C6", "2024-03-03 00:00:00", "2024-03-03"),  # unreadable optional discount: kept
    ]
    assert hostile.query("select order_id, discount_amount, unreadable_columns from staging.stg_shop__orders "
                         "where unreadable_columns is not null") == [("O6", 0, "discount_amount")]
    assert hostile.query("select order_item_id, product_id from staging.stg_shop__order_items order by 1") == [
        ("O1-1", "P1"), ("O1-2", "P404"), ("O12'; drop table orders; ---1", "P1"), ("O5-1", "P1")]
    assert hostile.scalar("select count(*) from staging.stg_shop__returns") == 0  # header only


def test_odd_search_queries_are_kept_cut_and_flagged(hostile):
    rows = dict(hostile.query("select event_id, search_query from staging.stg_shop__events where event_type = 'search'"))
    flags = dict(hostile.query("select event_id, is_search_query_truncated from staging.stg_shop__events"))
    assert rows["E1"] == "'; drop table orders; --" and flags["E1"] is False
    assert rows["E2"] == "x" * 200 and flags["E2"] is True
    assert rows["E3"] == 'emoji \U0001f6d2 "quoted" tab here'
    assert hostile.scalar("select count(*) from raw.orders") == 12  # the SQL-like text did nothing


def test_product_missing_from_the_catalogue_is_kept(hostile):
    assert hostile.query("select product_id, is_in_catalogue, product_name from marts.dim_products order by 1") == [
        ("P1", True, "Widget"), ("P2", True, "Gadget, large"), ("P404", False, None)]


def test_wrong_types_in_parquet_are_quarantined(tmp_path):
    pq.write_table(pa.table({
        "order_id": ["A", "B", "C"],
        "customer_id": pa.array([42, 43, 44], pa.int64()),  # numbers as ids: kept as text
        "ordered_at": pa.array([1_709_280_000, None, 5], pa.int64()),  # epoch numbers are not ISO-8601
        "discount_amount": ["1.5", "abc", None],
    }), tmp_path / "orders.parquet")
    pq.write_table(pa.table({
        "order_id": ["A", "A"], "product_id": ["P1", "P2"],
        "quantity": pa.array([2.0, 1.5], pa.float64()), "unit_price": ["9.99", "1"],
    }), tmp_path / "order_items.parquet")
    wh = Warehouse(tmp_path / "wh", tmp_path)
    wh.dbt("build", "--select", "+stg_shop__orders", "+stg_shop__order_items", "+quarantine_shop__orders",
           "+quarantine_shop__order_items")
    assert _reasons(wh, "orders", "order_id") == [
        ("B", "missing_required:ordered_at"), ("A", "unparseable:ordered_at"), ("C", "unparseable:ordered_at")]
    assert wh.query("select customer_id from quarantine.quarantine_shop__orders order by 1") == [("42",), ("43",), ("44",)]
    # 2.0 is a whole number; 1.5 is not, and that is checked before the (quarantined) order
    assert _reasons(wh, "order_items", "product_id") == [("P1", "unknown_order"), ("P2", "unparseable:quantity")]


@pytest.fixture(scope="module")
def broken_shop(tmp_path_factory):
    """One raw folder and one warehouse for all broken-file cases (dbt parses once)."""
    raw = tmp_path_factory.mktemp("broken")
    return raw, Warehouse(tmp_path_factory.mktemp("wh_broken"), raw)


@pytest.mark.parametrize("case, files, message", [
    ("empty file", {"orders.csv": b"", "order_items.csv": b"order_id,product_id,quantity,unit_price\n"},
     "orders.csv is empty (0 bytes)"),
    ("header not UTF-8", {"orders.csv": b"order_\xe9id,customer_id,ordered_at\nO1,C1,2024-01-01\n",
                          "order_items.csv": b"order_id,product_id,quantity,unit_price\n"},
     "orders.csv: the header row (line 1) is not valid UTF-8"),
    ("UTF-16 file", {"orders.csv": "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n".encode("utf-16"),
                     "order_items.csv": b"order_id,product_id,quantity,unit_price\n"},
     "orders.csv: the header row (line 1) is not valid UTF-8"),
    ("not a Parquet file", {"orders.parquet": b"PAR1 this is not parquet at all",
                            "order_items.csv": b"order_id,product_id,quantity,unit_price\n"},
     "orders.parquet"),
    ("wrong columns", {"orders.csv": b"id,client,date\n1,2,3\n", "order_items.csv": b"order_id,product_id,quantity,unit_price\n"},
     "orders.csv lacks the column(s) order_id, customer_id, ordered_at"),
])
def test_broken_files_stop_with_a_clear_error(broken_shop, case, files, message):
    raw, wh = broken_shop
    for old in raw.iterdir():
        old.unlink()
    for name, data in files.items():
        (raw / name).write_bytes(data)
    result = wh.dbt("run", "--select", "base_shop__orders", check=False)
    assert not result.success, case
    text = "\n".join(result.failures)
    assert message in text, text


def test_generator_dirt_at_its_highest_rate(tmp_path_factory):
    raw = tmp_path_factory.mktemp("dirtiest")
    truth = generate(raw, customers=300, days=120, seed=23, fmt="csv", dirt_rate=0.05)
    wh = Warehouse(tmp_path_factory.mktemp("wh_dirtiest"), raw)
    wh.dbt("build", "--select", "+staging")  # every data test, reconciliation included
    found: dict[str, dict[str, int]] = {}
    for table in contract.tables():
        for reason, n in wh.query(f"select quarantine_reason, count(*) from quarantine.quarantine_shop__{table} group by 1"):
            found.setdefault(table, {})[reason] = n
    assert found == {t: r for t, r in truth["expected_quarantine"].items() if r}
    assert sum(sum(r.values()) for r in found.values()) > 150
    _reconciles(wh)
    for table, written in truth["row_counts"].items():
        assert wh.scalar(f"select count(*) from raw.{table}") == written, table
