"""The right to be forgotten on the shop's own raw files (docs/privacy.md):
the erased person's records go, every other byte stays (stray quotes, quoted
line breaks, CRLF), and the files are read in the folder's dialect
(_dialect.yml: delimiter, quote, encoding, null tokens), as the loader reads them.

The inputs are a tester's tiny shops (issue #11), written here byte for byte.
"""

from __future__ import annotations

import re

import pytest

from ecomseg import REPO_ROOT, dialect, gdpr

STAGING = ["--select", "+stg_shop__orders", "+quarantine_shop__orders"]

# the tester's s3 shop: stray quotes on O2 and O6, a legit quoted comma (O5), a
# legit quoted line break (O8), doubled quotes (O9); C1 written with a trailing
# no-break space (O1) and a leading zero-width space (O9)
S3_ORDERS = (
    "order_id,customer_id,ordered_at,status,shipping_city\n"
    "O1,C1\u00a0,2025-01-10T10:00:00Z,delivered,Kraków\n"
    'O2,C2,"2025-01-11T10:00:00Z,delivered,Gdańsk\n'
    "O3,C3,2025-01-12T10:00:00Z,delivered,Łódź\n"
    "O4,C1,2025-01-13T10:00:00Z,delivered,Kraków\n"
    'O5,C5,2025-01-14T10:00:00Z,delivered,"Warszawa, Mokotów"\n'
    'O6,C6,2025-01-15T10:00:00Z,"delivered,Poznań\n'
    "O7,C7,2025-01-16T10:00:00Z,delivered,Wrocław\n"
    'O8,C8,2025-01-17T10:00:00Z,delivered,"Nowa\n'
    'Huta"\n'
    'O9,\u200bC1,2025-01-18T10:00:00Z,delivered,"say ""hi"""\n'
).encode("utf-8")
S3_ITEMS = b"order_id,product_id,quantity,unit_price\n" + b"".join(
    f"O{i},A,1,10\n".encode() for i in range(1, 10))

# the tester's s5 shop: ';'-separated, CP1250, decimal commas, dates as DD.MM.YYYY
S5_DIALECT = ('delimiter: ";"\nencoding: windows-1250\ndecimal_separator: ","\nthousands_separator: " "\n'
              'date_format: "%d.%m.%Y"\ntimestamp_format: "%d.%m.%Y %H:%M"\n')
S5_FILES = {
    "customers.csv": "customer_id;email;birth_date;city\nK1;a@b.pl;15.05.1980;Łódź\nK2;b@b.pl;;Kraków\n",
    "order_items.csv": ("order_id;product_id;quantity;unit_price\nO1;A;2;49,99\nO1;B;1;1 234,50\n"
                        "O2;A;1;0,005678\nO3;C;1;1\u00a0000,00\nO4;A;1;10\n"),
    "orders.csv": ("order_id;customer_id;ordered_at;status;discount_amount;shipping_city\n"
                   "O1;K1;31.12.2024 10:00;delivered;1,50;Łódź\nO2;K2;01.01.2025;delivered;;Kraków\n"
                   "O3;K3;2025-01-02T10:00:00Z;delivered;;Gdańsk\n"
                   "O4;K4;02.01.2025 10:00;delivered;NULL;Zażółć gęślą jaźń\n"),
}


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def test_stray_quotes_erasure_removes_all_their_orders_and_keeps_every_other_byte(tmp_path, make_warehouse):
    """C1 has orders O1, O4 (swallowed by O2's open quote: the loader reads it on its
    own line) and O9: all three go; every other line is byte-identical; the rebuild
    stages and quarantines the other orders exactly as before."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_bytes(S3_ORDERS)
    (raw / "order_items.csv").write_bytes(S3_ITEMS)
    wh = make_warehouse(raw)
    wh.dbt("build", *STAGING)
    staged_sql = "select order_id, customer_id, order_status, shipping_city from staging.stg_shop__orders order by 1"
    quarantined_sql = "select raw_record from quarantine.quarantine_shop__orders order by 1"
    staged_before = wh.query(staged_sql)
    quarantined_before = wh.query(quarantined_sql)
    assert {r[0] for r in staged_before} >= {"O1", "O4", "O9"}

    # with the warehouse: orders and order_items are loaded incrementally, so the erasure updates the file
    # manifest (else the rewritten files are changed processed files) and deletes the rows already staged
    result = gdpr.forget_customer("C1", raw, duckdb_path=wh.path, exports=tmp_path / "exports", rebuild=False)
    assert result.raw_rows_removed == {"orders": 3, "order_items": 3}
    lines = _lines(S3_ORDERS)
    assert (raw / "orders.csv").read_bytes() == b"".join(lines[i] for i in range(len(lines)) if i not in (1, 4, 10))
    assert (raw / "order_items.csv").read_bytes() == b"".join(
        line for line in _lines(S3_ITEMS) if line[:3] not in (b"O1,", b"O4,", b"O9,"))

    wh.dbt("build", *STAGING)
    assert wh.query(staged_sql) == [r for r in staged_before if r[0] not in ("O1", "O4", "O9")]
    # the quarantined lines are the same; only their line numbers moved up
    unnumbered = [re.sub(r'"line":\s*\d+', "", r[0]) for r in quarantined_before]
    assert [re.sub(r'"line":\s*\d+', "", r[0]) for r in wh.query(quarantined_sql)] == unnumbered


def test_crlf_and_an_open_quote_line_of_the_erased_person(tmp_path):
    """CRLF line endings are kept; a line with an open quote that holds the erased id
    in customer_id is removed alone, the lines it would swallow are judged on their own."""
    raw = tmp_path / "raw"
    raw.mkdir()
    orders = (b"order_id,customer_id,ordered_at,status\r\n"
              b'O1,C1,"2025-01-10T10:00:00Z,delivered\r\n'
              b"O2,C2,2025-01-11T10:00:00Z,delivered\r\n"
              b"O3,C1,2025-01-12T10:00:00Z,delivered\r\n"
              b'O4,C4,2025-01-13T10:00:00Z,"multi\r\nline"\r\n'
              b"O5,C5,2025-01-14T10:00:00Z,delivered")
    (raw / "orders.csv").write_bytes(orders)
    (raw / "order_items.csv").write_bytes(b"order_id,product_id,quantity,unit_price\r\nO2,A,1,1\r\n")
    result = gdpr.forget_customer("C1", raw, exports=tmp_path / "exports", rebuild=False)
    assert result.raw_rows_removed == {"orders": 2}
    lines = _lines(orders)
    assert (raw / "orders.csv").read_bytes() == b"".join(lines[i] for i in (0, 2, 4, 5, 6))


def test_the_polish_shop_is_erased_in_its_own_dialect(tmp_path):
    """The tester's s5 shop (';', CP1250): K1's customer row, order O1 and its two
    lines go; the files stay CP1250 and ';'-separated, every other byte as it was."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "_dialect.yml").write_text(S5_DIALECT, encoding="utf-8")
    for name, text in S5_FILES.items():
        (raw / name).write_bytes(text.encode("cp1250"))
    result = gdpr.forget_customer("K1", raw, exports=tmp_path / "exports", rebuild=False)
    assert result.raw_rows_removed == {"orders": 1, "order_items": 2, "customers": 1}
    for name, text in S5_FILES.items():
        kept = [line for line in text.splitlines(keepends=True) if not line.startswith(("K1;", "O1;"))]
        assert (raw / name).read_bytes() == "".join(kept).encode("cp1250"), name


def test_dialect_null_tokens_make_a_row_anonymous(tmp_path):
    """A dialect null token in customer_id is no customer, as the loader reads it: the
    anonymous sessions of the erased person's visitor go, another customer's stays."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "_dialect.yml").write_text("null_tokens: ['brak']\n", encoding="utf-8")
    (raw / "orders.csv").write_text("order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\n")
    (raw / "order_items.csv").write_text("order_id,product_id,quantity,unit_price\nO1,A,1,1\n")
    sessions = ("session_id,visitor_id,customer_id,started_at\nS1,V1,brak,2025-01-10T09:00:00Z\n"
                "S2,V1,C1,2025-01-10T09:30:00Z\nS3,V1,C2,2025-01-11T09:00:00Z\n")
    (raw / "sessions.csv").write_text(sessions)
    gdpr.forget_customer("C1", raw, exports=tmp_path / "exports", rebuild=False)
    assert (raw / "sessions.csv").read_text() == (
        "session_id,visitor_id,customer_id,started_at\nS3,V1,C2,2025-01-11T09:00:00Z\n")


def test_the_python_dialect_reader_agrees_with_the_loader():
    """ecomseg.dialect has the keys and defaults of macros/loading/dialect.sql."""
    sql = (REPO_ROOT / "macros" / "loading" / "dialect.sql").read_text(encoding="utf-8")
    keys = re.search(r"macro dialect_keys\(\).*?return\(\[(.*?)\]\)", sql, re.S).group(1)
    assert tuple(re.findall(r"'(\w+)'", keys)) == dialect.KEYS
    block = re.search(r"set merged = \{(.*?)\}\s*-%\}", sql, re.S).group(1)
    defaults = dict(re.findall(r"'(\w+)':\s*('[^']*'|none|\[\])", block))
    as_python = {"none": None, "[]": []}
    assert {k: as_python.get(v, v[1:-1] if v.startswith("'") else v) for k, v in defaults.items()} == {
        k: v for k, v in dialect.DEFAULTS.items()}
    assert dialect.normalise_encoding("Windows-1250") == "cp1250"
    assert dialect.table_dialect({"folder": {"delimiter": ";"}, "tables": {"orders": {"delimiter": "|"}}},
                                 "orders")["delimiter"] == "|"


def test_a_bad_dialect_file_stops_the_erasure_before_anything_changes(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "_dialect.yml").write_text("delimeter: ';'\n", encoding="utf-8")
    (raw / "orders.csv").write_text("order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\n")
    with pytest.raises(gdpr.ErasureError, match="unknown key 'delimeter'"):
        gdpr.forget_customer("C1", raw, exports=tmp_path / "exports", rebuild=False)
    assert (raw / "orders.csv").read_text() == "order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\n"


def test_a_table_given_as_a_folder_is_erased_in_every_file_and_the_manifest_follows(tmp_path):
    """orders/ holds a CSV and a Parquet part (Hive partitions): C1's orders go from both,
    the other rows stay; the warehouse's file manifest gets each rewritten file's new size,
    time, hash and rows, so the next incremental build reads nothing new and stops at nothing."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    from conftest import Warehouse

    raw = tmp_path / "raw"
    (raw / "orders" / "day=1").mkdir(parents=True)
    (raw / "orders" / "day=2").mkdir()
    csv_part = raw / "orders" / "day=1" / "part-0001.csv"
    csv_part.write_bytes(b"order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\nO2,C2,2025-01-11T10:00:00Z\n")
    parquet_part = raw / "orders" / "day=2" / "part-0001.parquet"
    pq.write_table(pa.table({"order_id": ["O3", "O4"], "customer_id": ["C1", "C3"],
                             "ordered_at": ["2025-01-12T10:00:00Z", "2025-01-13T10:00:00Z"]}), parquet_part)
    (raw / "order_items.csv").write_text("order_id,product_id,quantity,unit_price\n"
                                         "O1,A,1,1\nO2,A,1,1\nO3,A,1,1\nO4,A,1,1\n", encoding="utf-8")
    wh = Warehouse(tmp_path / "wh", raw)
    incremental = {"incremental_raw_tables": ["orders"]}
    wh.dbt("run", "--select", "+base_shop__orders", dbt_vars=incremental)
    wh.dbt("run-operation", "record_processed_files", "--args", "{table_name: orders}", dbt_vars=incremental)
    manifest_sql = "select file_path, row_count, content_hash, size_bytes from raw._file_manifest order by 1"
    assert [r[:2] for r in wh.query(manifest_sql)] == [("orders/day=1/part-0001.csv", 2),
                                                       ("orders/day=2/part-0001.parquet", 2)]

    result = gdpr.forget_customer("C1", raw, duckdb_path=wh.path, exports=tmp_path / "exports", rebuild=False)
    assert result.raw_rows_removed == {"orders": 2, "order_items": 2}
    assert csv_part.read_bytes() == b"order_id,customer_id,ordered_at\nO2,C2,2025-01-11T10:00:00Z\n"
    assert pq.read_table(parquet_part).to_pydict()["order_id"] == ["O4"]
    assert wh.query(manifest_sql) == [
        ("orders/day=1/part-0001.csv", 1, hashlib.md5(csv_part.read_bytes()).hexdigest(), csv_part.stat().st_size),
        ("orders/day=2/part-0001.parquet", 1, hashlib.md5(parquet_part.read_bytes()).hexdigest(),
         parquet_part.stat().st_size),
    ]
    wh.dbt("run", "--select", "+base_shop__orders", dbt_vars=incremental)  # no "changed file" error
    assert wh.scalar("select count(*) from raw.orders") == 0  # nothing new to read
