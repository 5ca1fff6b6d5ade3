"""Loading raw files: CSV and Parquet, optional tables, quarantine, clear errors.

Small hand-made shops with exactly known content: every assertion is an exact
value worked out by hand from the rows below.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import write_csv

STAGING = ["--select", "+staging"]

ORDERS = """
order_id,customer_id,ordered_at,status,discount_amount,Extra_Column
00042,C1,2024-03-01T10:00:00+02:00,delivered,5.00,ignored
00043,C1,2024-03-05 09:00:00,,0,
00044,,2024-03-06 09:00:00,paid,,
00045,C2,31/02/2025,paid,,
00046,C2,2024-04-01,CANCELLED,1,
00042,C9,2024-03-01T10:00:00,delivered,0,
00047,C3,2024-04-02,refunded,0,
00048,C3,2024-04-03,paid,-2,
"""

ORDER_ITEMS = """
order_id,line_number,product_id,quantity,unit_price
00042,1,P1,2,10.00
00042,2,P2,1,5.50
00042,2,P3,1,5.50
00043,,P1,1,10
00043,,P1,2,10
00043,,P1,1,10.0
00044,1,P1,1,10
99999,1,P1,1,10
00046,1,P2,-1,3
00046,2,P2,1.5,3
00046,3,P2,1,abc
"""

SESSIONS = """
session_id,visitor_id,customer_id,started_at,traffic_source,device
S1,V1,,2024-03-01 09:00:00,Google,Desktop
S2,V1,C1,2024-03-02 09:00:00,tiktok_ads,phone
S3,V2,,2024-03-03 09:00:00,,app
S3,V2,,2024-03-03 09:00:00,,app
"""

EXPECTED_ORDER_QUARANTINE = [
    ("00042", "duplicate_key"),
    ("00045", "unparseable:ordered_at"),
    ("00047", "invalid_value:status"),
    ("00048", "out_of_range:discount_amount"),
]
EXPECTED_ITEM_QUARANTINE = [
    ("00042", "P3", "duplicate_key"),
    ("00043", "P1", "duplicate_key"),  # no line_number: an exact repeat (same product, quantity, price)
    ("00046", "P2", "out_of_range:quantity"),
    ("00046", "P2", "unparseable:quantity"),
    ("00046", "P2", "unparseable:unit_price"),
    ("99999", "P1", "unknown_order"),
]


@pytest.fixture(scope="module")
def csv_shop(tmp_path_factory):
    raw = tmp_path_factory.mktemp("csv_shop")
    write_csv(raw, "orders", ORDERS)
    write_csv(raw, "order_items", ORDER_ITEMS)
    write_csv(raw, "sessions", SESSIONS)
    return raw


@pytest.fixture(scope="module")
def parquet_shop(csv_shop, tmp_path_factory):
    """The same shop as Parquet, every column read as text, as an exporter would write it."""
    raw = tmp_path_factory.mktemp("parquet_shop")
    for name in ("orders", "order_items", "sessions"):
        frame = pd.read_csv(csv_shop / f"{name}.csv", dtype=str, keep_default_na=False)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), raw / f"{name}.parquet")
    return raw


@pytest.fixture(scope="module")
def csv_warehouse(csv_shop, tmp_path_factory):
    from conftest import Warehouse
    wh = Warehouse(tmp_path_factory.mktemp("wh_csv"), csv_shop)
    wh.dbt("build", *STAGING)
    return wh


def test_valid_rows_are_typed_and_kept_verbatim(csv_warehouse):
    rows = csv_warehouse.query(
        "select order_id, customer_id, cast(ordered_at as varchar), order_status, is_cancelled, discount_amount "
        "from staging.stg_shop__orders order by order_id")
    assert rows == [
        ("00042", "C1", "2024-03-01 08:00:00", "delivered", False, pytest.approx(5)),  # +02:00 -> UTC
        ("00043", "C1", "2024-03-05 09:00:00", "delivered", False, 0),  # empty status -> delivered
        ("00044", None, "2024-03-06 09:00:00", "paid", False, 0),  # no customer: a guest order, kept
        ("00046", "C2", "2024-04-01 00:00:00", "cancelled", True, 1),
    ]


def test_order_lines_numbered_and_priced(csv_warehouse):
    rows = csv_warehouse.query(
        "select order_item_id, product_id, quantity, cast(unit_price as varchar), cast(gross_amount as varchar) "
        "from staging.stg_shop__order_items order by order_item_id")
    assert rows == [
        ("00042-1", "P1", 2, "10.000000", "20.000000"),  # money keeps 6 decimals
        ("00042-2", "P2", 1, "5.500000", "5.500000"),
        ("00043-1", "P1", 1, "10.000000", "10.000000"),  # no line numbers: numbered 1, 2
        ("00043-2", "P1", 2, "10.000000", "20.000000"),
        ("00044-1", "P1", 1, "10.000000", "10.000000"),  # a line of a guest order
    ]


def test_every_bad_row_is_quarantined_with_its_reason(csv_warehouse):
    assert csv_warehouse.query(
        "select order_id, quarantine_reason from quarantine.quarantine_shop__orders order by 1, 2"
    ) == EXPECTED_ORDER_QUARANTINE
    assert csv_warehouse.query(
        "select order_id, product_id, quarantine_reason from quarantine.quarantine_shop__order_items order by 1, 2, 3"
    ) == EXPECTED_ITEM_QUARANTINE
    # the raw row is kept exactly as read
    record = csv_warehouse.scalar(
        "select raw_record from quarantine.quarantine_shop__orders where order_id = '00045'")
    assert '"ordered_at":"31/02/2025"' in record and '"customer_id":"C2"' in record


def test_raw_rows_equal_staged_plus_quarantined(csv_warehouse):
    for table, raw_rows in (("orders", 8), ("order_items", 11), ("sessions", 4), ("events", 0)):
        staged = csv_warehouse.scalar(f"select count(*) from staging.stg_shop__{table}")
        quarantined = csv_warehouse.scalar(f"select count(*) from quarantine.quarantine_shop__{table}")
        assert csv_warehouse.scalar(f"select count(*) from raw.{table}") == raw_rows
        assert staged + quarantined == raw_rows, table


def test_traffic_sources_and_devices_are_normalised(csv_warehouse):
    assert csv_warehouse.query(
        "select session_id, traffic_source, source_traffic_source, device from staging.stg_shop__sessions order by 1"
    ) == [
        ("S1", "organic_search", "google", "desktop"),  # seed alias, case-insensitive
        ("S2", "other", "tiktok_ads", "other"),  # unknown values -> other
        ("S3", "direct", None, "app"),  # empty source -> direct
    ]
    assert csv_warehouse.query("select session_id, quarantine_reason from quarantine.quarantine_shop__sessions") == [
        ("S3", "duplicate_key")]


def test_reconciliation_test_fails_when_a_row_is_lost(csv_warehouse):
    """The rows_reconcile data test must catch a staged row that disappeared."""
    import duckdb
    con = duckdb.connect(str(csv_warehouse.path))
    con.execute("delete from staging.stg_shop__orders where order_id = '00043'")
    con.close()
    result = csv_warehouse.dbt("test", "--select", "source:shop.orders,test_name:rows_reconcile",
                               "--indirect-selection", "eager", check=False)
    assert not result.success
    assert any("rows_reconcile" in f for f in result.failures)
    # restore for later tests (stg_shop__orders is incremental: rebuilt from all of base_shop__orders)
    csv_warehouse.dbt("build", "--select", "stg_shop__orders", "--full-refresh")


def test_parquet_and_csv_give_the_same_staging(parquet_shop, csv_warehouse, make_warehouse):
    wh = make_warehouse(parquet_shop)
    wh.dbt("build", *STAGING)
    for table in ("stg_shop__orders", "stg_shop__order_items", "stg_shop__sessions"):
        sql = f"select * from staging.{table} order by all"
        assert wh.query(sql) == csv_warehouse.query(sql), table
    sql = "select quarantine_reason, raw_record from quarantine.quarantine_shop__order_items order by all"
    assert [r[0] for r in wh.query(sql)] == [r[0] for r in csv_warehouse.query(sql)]


def test_typed_parquet_columns_are_read_as_text(tmp_path, make_warehouse):
    """Parquet written with real types (timestamps, decimals, ints) loads the same way."""
    import datetime as dt
    import decimal
    pq.write_table(pa.table({
        "order_id": ["00001", "00002"],
        "customer_id": ["C1", "C2"],
        "ordered_at": pa.array([dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 2, 13, 30)], pa.timestamp("us", tz="UTC")),
        "discount_amount": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(18, 2)),
    }), tmp_path / "orders.parquet")
    pq.write_table(pa.table({
        "order_id": ["00001", "00002"], "product_id": ["P1", "P1"],
        "quantity": pa.array([1, 3], pa.int32()), "unit_price": [9.99, 1.0],
    }), tmp_path / "order_items.parquet")
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.query("select order_id, cast(ordered_at as varchar), discount_amount from staging.stg_shop__orders order by 1") == [
        ("00001", "2024-01-01 12:00:00", pytest.approx(1.5)), ("00002", "2024-01-02 13:30:00", 0)]
    assert wh.query("select order_item_id, quantity, cast(unit_price as varchar) from staging.stg_shop__order_items order by 1") == [
        ("00001-1", 1, "9.990000"), ("00002-1", 3, "1.000000")]


def test_shop_with_orders_only_builds_everything(tmp_path, make_warehouse):
    write_csv(tmp_path, "orders", "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n")
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,2.50\n")
    wh = make_warehouse(tmp_path)
    wh.dbt("build")  # every model, not just staging
    assert wh.scalar("select count(*) from staging.stg_shop__orders") == 1
    for table in ("customers", "products", "returns", "sessions", "events", "campaign_sends"):
        assert wh.scalar(f"select count(*) from staging.stg_shop__{table}") == 0, table


def test_header_only_csv_is_an_empty_table(tmp_path, make_warehouse):
    write_csv(tmp_path, "orders", "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n")
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,2.50\n")
    write_csv(tmp_path, "events", "event_id,occurred_at,event_type\n")
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.scalar("select count(*) from staging.stg_shop__events") == 0


@pytest.mark.parametrize("case, files, message", [
    ("missing required file", {"orders": "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n"},
     "Required raw file missing: neither"),
    ("missing required column", {"orders": "order_id,ordered_at\nO1,2024-01-01\n",
                                 "order_items": "order_id,product_id,quantity,unit_price\nO1,P1,1,1\n"},
     "lacks the column(s) customer_id"),
    ("empty file", {"orders": "", "order_items": "order_id,product_id,quantity,unit_price\n"},
     "is empty (0 bytes)"),
])
def test_broken_input_gives_a_clear_error(tmp_path, make_warehouse, case, files, message):
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    wh = make_warehouse(tmp_path)
    result = wh.dbt("build", *STAGING, check=False)
    assert not result.success, case
    text = "\n".join(result.failures)
    assert message in text, text
    if case != "missing required file":
        assert "orders.csv" in text  # the error names the file


def test_two_files_for_one_table_is_an_error(tmp_path, csv_shop, make_warehouse):
    for name in ("orders", "order_items"):
        (tmp_path / f"{name}.csv").write_text((csv_shop / f"{name}.csv").read_text())
    pq.write_table(pa.table({"order_id": ["X"], "customer_id": ["C"], "ordered_at": ["2024-01-01"]}),
                   tmp_path / "orders.parquet")
    result = make_warehouse(tmp_path).dbt("build", *STAGING, check=False)
    assert not result.success
    assert "orders.parquet and orders.csv" in "\n".join(result.failures)


def test_table_file_names_match_case_insensitively(tmp_path, make_warehouse):
    """Orders.csv and ORDER_ITEMS.CSV are the orders and order_items tables (issue #11, item 12)."""
    (tmp_path / "Orders.csv").write_text("order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n", encoding="utf-8")
    (tmp_path / "ORDER_ITEMS.CSV").write_text("order_id,product_id,quantity,unit_price\nO1,P1,2,2.50\n",
                                              encoding="utf-8")
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING)
    assert wh.query("select order_id, customer_id from staging.stg_shop__orders") == [("O1", "C1")]
    assert wh.scalar("select distinct _source_file from raw.orders") == "Orders.csv"
    assert wh.query("select order_item_id, quantity from staging.stg_shop__order_items") == [("O1-1", 2)]
    # two files for one table stay an error, whatever their case
    pq.write_table(pa.table({"order_id": ["X"], "customer_id": ["C"], "ordered_at": ["2024-01-01"]}),
                   tmp_path / "orders.PARQUET")
    result = wh.dbt("build", *STAGING, check=False)
    assert not result.success
    assert "orders.PARQUET and Orders.csv" in "\n".join(result.failures)
