"""A raw table given as a folder of files (issue #12, point 3).

A hand-made orders folder (CSV and Parquet parts in Hive partitions, marker
files to ignore, a corrupt Parquet file and a CSV record that cannot be read):
every raw row keeps its file (path relative to the raw folder) and its line,
an unreadable file is quarantined while the others load, and the layout errors
name the files. Loaded by on-run-start only (dbt run of one base_ model).
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Warehouse, write_csv

ITEMS = "order_id,line_number,product_id,quantity,unit_price\nO1,1,P1,1,2.50\n"


def _orders_folder(raw):
    day1 = raw / "orders" / "date=2024-03-01"
    day1.mkdir(parents=True)
    # line 3 has a field too many: a record that cannot be read, quarantined with its line
    (day1 / "part-0001.csv").write_text(
        "order_id,customer_id,ordered_at\n"
        "O1,C1,2024-03-01 10:00:00\n"
        "O2,C2,2024-03-01 11:00:00,extra\n"
        "O3,C3,2024-03-01 12:00:00\n", encoding="utf-8")
    # another column order and case: matched by name
    (day1 / "part-0002.CSV").write_text("Ordered_At,ORDER_ID,customer_id,status\n2024-03-01 13:00:00,O4,C4,paid\n",
                                        encoding="utf-8")
    (day1 / "_SUCCESS").write_text("", encoding="utf-8")  # ignored: starts with _ (and is 0 bytes)
    (day1 / ".part-0001.csv.crc").write_bytes(b"\x00crc")  # ignored: starts with .
    day2 = raw / "orders" / "date=2024-03-02"
    day2.mkdir()
    pq.write_table(pa.table({"order_id": ["O5", "O6"], "customer_id": ["C5", None],
                             "ordered_at": ["2024-03-02 09:00:00", "2024-03-02 10:00:00"]}),
                   day2 / "part-0001.parquet")
    (day2 / "part-0002.parquet").write_bytes(b"PAR1 truncated, not a Parquet file")
    # the same header as day 1's part-0001.csv: both read by one multi-file read; line 3 has a field too few
    day3 = raw / "orders" / "date=2024-03-03"
    day3.mkdir()
    (day3 / "part-0001.csv").write_text(
        "order_id,customer_id,ordered_at\n"
        "O7,C7,2024-03-03 10:00:00\n"
        "O8,C8\n"
        "O9,C9,2024-03-03 12:00:00\n", encoding="utf-8")
    (raw / "orders" / "_tmp").mkdir()
    (raw / "orders" / "_tmp" / "half-written.csv").write_text("garbage", encoding="utf-8")  # ignored folder


@pytest.fixture(scope="module")
def folder_warehouse(tmp_path_factory):
    raw = tmp_path_factory.mktemp("folder_shop")
    _orders_folder(raw)
    write_csv(raw, "order_items", ITEMS)
    wh = Warehouse(tmp_path_factory.mktemp("wh_folder"), raw)
    wh.dbt("build", "--select", "+stg_shop__orders", "+quarantine_shop__orders")
    return wh


def test_every_row_keeps_its_file_and_line(folder_warehouse):
    rows = folder_warehouse.query(
        "select order_id, customer_id, status, _source_file, _source_line, _load_id, _load_error "
        "from raw.orders order by _source_file, _source_line")
    assert rows == [
        ("O1", "C1", None, "orders/date=2024-03-01/part-0001.csv", 2, 1, None),
        (None, None, None, "orders/date=2024-03-01/part-0001.csv", 3, 1, "unparseable:csv_record"),
        ("O3", "C3", None, "orders/date=2024-03-01/part-0001.csv", 4, 1, None),
        ("O4", "C4", "paid", "orders/date=2024-03-01/part-0002.CSV", 2, 1, None),
        ("O5", "C5", None, "orders/date=2024-03-02/part-0001.parquet", 1, 1, None),
        ("O6", None, None, "orders/date=2024-03-02/part-0001.parquet", 2, 1, None),
        (None, None, None, "orders/date=2024-03-02/part-0002.parquet", None, 1, "unparseable:file"),
        ("O7", "C7", None, "orders/date=2024-03-03/part-0001.csv", 2, 1, None),
        (None, None, None, "orders/date=2024-03-03/part-0001.csv", 3, 1, "unparseable:csv_record"),
        ("O9", "C9", None, "orders/date=2024-03-03/part-0001.csv", 4, 1, None),
    ]
    # the partition value is no column; the contract columns and the loader's own, in this order
    names = [r[0] for r in folder_warehouse.query("describe raw.orders")]
    assert names[-7:] == ["_source_file", "_source_line", "_load_id", "_record_at", "_load_error",
                          "_rejected_record", "_unreadable_columns"]
    assert "date" not in names


def test_an_unreadable_file_is_quarantined_naming_the_file(folder_warehouse):
    rows = folder_warehouse.query(
        "select source_file, quarantine_reason, raw_record from quarantine.quarantine_shop__orders order by 1, 2")
    assert [(f, r) for f, r, _ in rows] == [
        ("orders/date=2024-03-01/part-0001.csv", "unparseable:csv_record"),
        ("orders/date=2024-03-02/part-0002.parquet", "unparseable:file"),
        ("orders/date=2024-03-03/part-0001.csv", "unparseable:csv_record"),
    ]
    record = json.loads(rows[1][2])
    assert record["file"] == "orders/date=2024-03-02/part-0002.parquet"
    assert record["problem"] == "not_parquet" and "PAR1" in record["message"]
    assert json.loads(rows[0][2])["line"] == 3
    staged = folder_warehouse.query("select order_id from staging.stg_shop__orders order by 1")
    assert staged == [("O1",), ("O3",), ("O4",), ("O5",), ("O6",), ("O7",), ("O9",)]


def _two_tables(raw, orders_files: dict[str, bytes]):
    for relative, data in orders_files.items():
        path = raw / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_csv(raw, "order_items", ITEMS)


HEADER = b"order_id,customer_id,ordered_at\n"


@pytest.mark.parametrize("case, files, message", [
    ("file and folder", {"orders.csv": HEADER, "Orders/a.csv": HEADER + b"O1,C1,2024-01-01\n"},
     "Two raw files for table 'orders'"),
    ("required column missing in one file", {"orders/a.csv": HEADER + b"O1,C1,2024-01-01\n",
                                              "orders/b.csv": b"order_id,ordered_at\nO2,2024-01-02\n"},
     "orders/b.csv lacks the column(s) customer_id"),
    ("required column missing in one Parquet file", {"orders/a.csv": HEADER + b"O1,C1,2024-01-01\n",
                                                      "orders/b.parquet": None},
     "orders/b.parquet lacks the column(s) ordered_at"),
    ("empty file in a folder", {"orders/a.csv": HEADER + b"O1,C1,2024-01-01\n", "orders/b.csv": b""},
     "orders/b.csv is empty (0 bytes)"),
])
def test_layout_errors_name_the_files(tmp_path_factory, case, files, message):
    raw = tmp_path_factory.mktemp("layout")
    parquet = {k: v for k, v in files.items() if v is None}
    _two_tables(raw, {k: v for k, v in files.items() if v is not None})
    for relative in parquet:
        pq.write_table(pa.table({"order_id": ["O9"], "customer_id": ["C9"]}), raw / relative)
    wh = Warehouse(tmp_path_factory.mktemp("wh_layout"), raw)
    result = wh.dbt("run", "--select", "base_shop__orders", check=False)
    assert not result.success, case
    text = "\n".join(result.failures)
    assert message in text, text
    if case == "file and folder":
        assert "orders.csv and Orders/" in text


def test_a_folder_header_that_cannot_be_decoded_is_quarantined(tmp_path_factory):
    """In a folder, a CSV whose header is not in the encoding stops nothing else (a single file still stops the run)."""
    raw = tmp_path_factory.mktemp("bad_header")
    _two_tables(raw, {"orders/a.csv": HEADER + b"O1,C1,2024-01-01\n",
                      "orders/b.csv": "order_id,customer_id,ordered_at\nO2,C2,2024-01-02\n".encode("utf-16")})
    wh = Warehouse(tmp_path_factory.mktemp("wh_bad_header"), raw)
    wh.dbt("run", "--select", "+base_shop__orders")
    assert wh.query("select order_id, _source_file, _load_error, _rejected_record->>'problem' from raw.orders "
                    "order by 2") == [
        ("O1", "orders/a.csv", None, None),
        (None, "orders/b.csv", "unparseable:file", "invalid_encoding"),
    ]
