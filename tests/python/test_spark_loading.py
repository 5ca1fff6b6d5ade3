"""The Spark loader's error paths (macros/loading/: the spark__ variants of the loader's steps), on the cluster.

Marked `spark`: skipped unless pytest runs with --spark against a running local
cluster (scripts/spark_cluster.sh start); `make test-spark` runs them after the
two Spark builds. The same inputs as the DuckDB tests in test_bad_input.py and
test_loading.py, and the same outcome: a clear error naming the file, or
quarantined rows with a reason. Differences on Spark (docs/spark.md): no line
number for a CSV record that cannot be read, and the raw text of a record with
an invalid UTF-8 byte is its fields joined with commas.

The raw relations go to their own Spark database (var raw_schema =
raw_pytest); the base, staging and quarantine models built here overwrite the
ones of the last Spark build.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomseg.dbt_runner import run_dbt
from test_bad_input import EVENTS, ORDER_ITEMS, ORDERS, PRODUCTS, RETURNS

pytestmark = pytest.mark.spark

RAW_SCHEMA = "raw_pytest"
# Each pytest session writes a new temp raw folder: one name for the data, so that a
# second session on the same cluster is not refused (macro check_warehouse_identity).
SPARK_ENV = {"DBT_TARGET": "spark", "DBT_THREADS": "2", "WAREHOUSE_IDENTITY": "pytest-spark-loading"}


def _query(sql: str) -> list[tuple]:
    from pyhive import hive

    conn = hive.connect(host=os.environ.get("SPARK_HOST", "127.0.0.1"),
                        port=int(os.environ.get("SPARK_THRIFT_PORT", "10000")), username="pytest")
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        conn.close()


def _dbt(raw, target, *args, check=True):
    return run_dbt(list(args), raw_dir=raw, target_path=target, env=SPARK_ENV,
                   dbt_vars={"raw_schema": RAW_SCHEMA}, check=check)


@pytest.fixture(scope="module")
def spark_shop(tmp_path_factory):
    """One raw folder and one target folder for all cases (dbt parses once)."""
    return tmp_path_factory.mktemp("spark_raw"), tmp_path_factory.mktemp("spark_target")


def _write(raw, files: dict[str, bytes]) -> None:
    for old in raw.iterdir():
        old.unlink()
    for name, data in files.items():
        (raw / name).write_bytes(data)


def test_unreadable_csv_records_are_quarantined(spark_shop):
    raw, target = spark_shop
    _write(raw, {"orders.csv": ORDERS, "order_items.csv": ORDER_ITEMS.encode(), "products.csv": PRODUCTS.encode(),
                 "events.csv": EVENTS, "returns.csv": RETURNS.encode()})
    _dbt(raw, target, "run", "--select", "+quarantine_shop__orders", "+quarantine_shop__events",
         "+stg_shop__orders", "+stg_shop__events")
    orders = _query("select order_id, quarantine_reason, raw_record from quarantine.quarantine_shop__orders")
    reasons = sorted(((key, reason) for key, reason, _ in orders), key=lambda r: (r[1], r[0] or ""))
    # as on DuckDB (test_bad_input.test_hostile_rows_are_quarantined_with_reasons)
    assert reasons == sorted([
        ("O1", "duplicate_key"),
        ("O3", "out_of_range:ordered_at"),
        ("O4", "out_of_range:ordered_at"),
        (None, "unparseable:csv_record"),  # too few fields
        (None, "unparseable:csv_record"),  # too many fields
        (None, "unparseable:customer_id"),  # not UTF-8
        ("O10", "unparseable:ordered_at"),
    ], key=lambda r: (r[1], r[0] or ""))
    # an unreadable optional value costs that value only: O6 is staged, discount 0, flagged
    assert _query("select order_id, cast(discount_amount as double), unreadable_columns from staging.stg_shop__orders "
                  "where unreadable_columns is not null") == [("O6", 0.0, "discount_amount")]
    rejected = {json.loads(record)["problem"]: json.loads(record)
                for key, _, record in orders if key is None}
    assert sorted(rejected) == ["invalid_encoding", "missing_columns", "too_many_columns"]
    assert rejected["missing_columns"]["raw_line"] == "O8,C8"
    assert "extra" in rejected["too_many_columns"]["raw_line"]
    assert rejected["invalid_encoding"]["raw_line"].startswith("O7,Caf")
    assert all(record["line"] is None for record in rejected.values())  # not known on Spark

    events = _query("select event_id, quarantine_reason from quarantine.quarantine_shop__events")
    assert (None, "unparseable:search_query") in events  # the Latin-1 byte in a search query

    for table in ("orders", "events"):
        raw_rows = _query(f"select count(*) from {RAW_SCHEMA}.{table}")[0][0]
        staged = _query(f"select count(*) from staging.stg_shop__{table}")[0][0]
        quarantined = _query(f"select count(*) from quarantine.quarantine_shop__{table}")[0][0]
        assert raw_rows == staged + quarantined, (table, raw_rows, staged, quarantined)
    assert _query(f"select count(*) from {RAW_SCHEMA}.orders")[0][0] == 12


ITEMS_HEADER = b"order_id,product_id,quantity,unit_price\n"


@pytest.mark.parametrize("case, files, message", [
    ("missing required file", {"order_items.csv": ITEMS_HEADER}, "Required raw file missing: neither"),
    # Spark lists no 0-byte file (docs/spark.md): an empty required file is reported as missing
    ("empty file", {"orders.csv": b"", "order_items.csv": ITEMS_HEADER},
     "orders.csv exists as a non-empty file"),
    ("header not UTF-8", {"orders.csv": b"order_\xe9id,customer_id,ordered_at\nO1,C1,2024-01-01\n",
                          "order_items.csv": ITEMS_HEADER},
     "orders.csv: the header row (line 1) is not valid UTF-8"),
    ("UTF-16 file", {"orders.csv": "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n".encode("utf-16"),
                     "order_items.csv": ITEMS_HEADER},
     "orders.csv: the header row (line 1) is not valid UTF-8"),
    ("not a Parquet file", {"orders.parquet": b"PAR1 this is not parquet at all", "order_items.csv": ITEMS_HEADER},
     "orders.parquet"),
    ("wrong columns", {"orders.csv": b"id,client,date\n1,2,3\n", "order_items.csv": ITEMS_HEADER},
     "orders.csv lacks the column(s) order_id, customer_id, ordered_at"),
])
def test_broken_files_stop_with_a_clear_error(spark_shop, case, files, message):
    raw, target = spark_shop
    _write(raw, files)
    result = _dbt(raw, target, "run", "--select", "base_shop__orders", check=False)
    assert not result.success, case
    text = "\n".join(result.failures)
    assert message in text, text


def test_two_files_for_one_table_is_an_error(spark_shop):
    raw, target = spark_shop
    _write(raw, {"orders.csv": b"order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n", "order_items.csv": ITEMS_HEADER})
    pq.write_table(pa.table({"order_id": ["X"], "customer_id": ["C"], "ordered_at": ["2024-01-01"]}),
                   raw / "orders.parquet")
    result = _dbt(raw, target, "run", "--select", "base_shop__orders", check=False)
    assert not result.success
    assert "orders.parquet and orders.csv" in "\n".join(result.failures)
