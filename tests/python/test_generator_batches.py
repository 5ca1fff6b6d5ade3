"""The generator's daily-batch layout (ecomseg.batches, generate_data.py --batches daily).

Every check reads the written files back and compares them with the single-file
shop of the same arguments, or with what ground_truth.json lists, recomputed from
the files (folder dates, ids, statuses), not from the generator's internals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ecomseg import REPO_ROOT, batches, contract, generator

DATED = ["customers", "orders", "order_items", "returns", "sessions", "events", "campaign_sends"]
UNDATED = ["products", "exchange_rates"]
SHOP = dict(customers=300, days=75, end_date="2026-06-30", seed=11)
ISO_FMT = "%Y-%m-%dT%H:%M:%S"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def read_file(path: Path) -> pa.Table:
    """Parquet with its types; CSV with every column as text ('' stays '')."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20)).column_names \
        if path.stat().st_size else []
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False))


def day_files(folder: Path, table: str) -> dict[str, Path]:
    """{'YYYY-MM-DD': path} of a table's daily files; asserts the layout."""
    out = {}
    for d in sorted((folder / table).iterdir()):
        assert d.is_dir() and d.name.startswith("date="), d
        files = sorted(d.iterdir())
        assert [f.name for f in files] in (["part-0001.parquet"], ["part-0001.csv"]), files
        out[d.name[len("date="):]] = files[0]
    return out


def read_batches(folder: Path, table: str) -> tuple[pa.Table, list[str]]:
    """All daily files of a table concatenated, and the folder date of every row."""
    parts, days = [], []
    for day, path in day_files(folder, table).items():
        t = read_file(path)
        parts.append(t)
        days += [day] * t.num_rows
    return pa.concat_tables(parts), days


def sorted_table(t: pa.Table) -> pa.Table:
    return t.take(pc.sort_indices(t, sort_keys=[(c, "ascending") for c in t.column_names]))


def digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def date_of(value) -> str | None:
    """The UTC date of a timestamp as written (datetime or ISO text); None when malformed."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    try:
        return dt.datetime.strptime(value, ISO_FMT).date().isoformat()
    except ValueError:
        return None


def days_between(first: str, last: str) -> list[str]:
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(a + dt.timedelta(days=k)).isoformat() for k in range((b - a).days + 1)]


def as_rows(columns: dict[str, list]) -> list[dict]:
    """ground_truth's lists are columns of equal length: one dict per row."""
    assert len({len(v) for v in columns.values()}) == 1
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


NATURAL_TIME = {"customers": "signed_up_at", "orders": "ordered_at", "returns": "returned_at",
                "sessions": "started_at", "events": "occurred_at", "campaign_sends": "sent_at"}


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["parquet", "csv"])
def plain(request, tmp_path_factory):
    """(single-file shop, the same shop as daily batches, format)."""
    fmt = request.param
    root = tmp_path_factory.mktemp(f"plain_{fmt}")
    generator.generate(root / "single", fmt=fmt, **SHOP)
    batches.generate_batches(root / "daily", fmt=fmt, **SHOP)
    return root / "single", root / "daily", fmt


@pytest.fixture(scope="module", params=["parquet", "csv"])
def redelivered(request, tmp_path_factory):
    """(single-file shop, daily batches with redeliveries, format)."""
    fmt = request.param
    root = tmp_path_factory.mktemp(f"redelivered_{fmt}")
    generator.generate(root / "single", fmt=fmt, **SHOP)
    truth = batches.generate_batches(root / "daily", fmt=fmt, redeliveries=True, **SHOP)
    assert json.loads((root / "daily" / "ground_truth.json").read_text()) == truth
    return root / "single", root / "daily", fmt


# ---------------------------------------------------------------------------
# 1. the union of the batches is the single-file shop
# ---------------------------------------------------------------------------

def test_layout_one_file_per_table_and_day(plain):
    single, daily, fmt = plain
    expected_days = days_between("2026-04-17", "2026-06-30")  # 75 days ending 2026-06-30
    assert len(expected_days) == 75
    for t in DATED:
        assert list(day_files(daily, t)) == expected_days, t
    top = sorted(p.name for p in daily.iterdir())
    assert top == sorted(DATED + [f"{t}.{fmt}" for t in UNDATED] + ["_generator.json", "ground_truth.json"])
    state = json.loads((daily / "_generator.json").read_text())
    assert (state["first_day"], state["last_day"], state["written_through"]) == \
        ("2026-04-17", "2026-06-30", "2026-06-30")


def test_union_of_batches_is_exactly_the_single_file_shop(plain):
    single, daily, fmt = plain
    for t in DATED:
        union, _ = read_batches(daily, t)
        whole = read_file(single / f"{t}.{fmt}")
        assert union.schema == whole.schema, t
        assert union.num_rows == whole.num_rows > 0, t
        assert sorted_table(union).equals(sorted_table(whole)), t
    for t in UNDATED:
        assert (daily / f"{t}.{fmt}").read_bytes() == (single / f"{t}.{fmt}").read_bytes(), t
    gt_single = json.loads((single / "ground_truth.json").read_text())
    gt_daily = json.loads((daily / "ground_truth.json").read_text())
    batch_info = gt_daily.pop("batches")
    assert gt_daily == gt_single  # the same shop, the same planted truth and expected quarantine
    assert batch_info["redeliveries"] is None
    assert batch_info["rows_delivered"] == gt_single["row_counts"]


def test_every_row_is_in_the_file_of_its_day(plain):
    single, daily, fmt = plain
    first = "2026-04-17"
    order_day = {}
    malformed = Counter()
    for t, col in NATURAL_TIME.items():
        union, days = read_batches(daily, t)
        values = union.column(col).to_pylist()
        for k, (value, day) in enumerate(zip(values, days)):
            natural = date_of(value)
            if natural is None:  # a planted malformed time: dated by the time it stands for
                malformed[t] += 1
                continue
            assert day == max(natural, first), (t, value, day)
        if t == "orders":
            order_day = dict(zip(union.column("order_id").to_pylist(), days))
    gt = json.loads((daily / "ground_truth.json").read_text())
    assert malformed == Counter({k: v for k, v in {
        "orders": gt["dirt"]["malformed_order_timestamps"],
        "events": gt["dirt"]["malformed_event_timestamps"]}.items() if v})
    # customers who registered before the window come with the first day
    customers, cdays = read_batches(daily, "customers")
    early = [d for v, d in zip(customers.column("signed_up_at").to_pylist(), cdays) if date_of(v) < first]
    assert early and set(early) == {first}
    # order lines come with their order; an orphan line (no such order) with the order numbered before it
    items, idays = read_batches(daily, "order_items")
    known = sorted(order_day)
    for oid, day in zip(items.column("order_id").to_pylist(), idays):
        if oid in order_day:
            assert day == order_day[oid], oid
        else:
            before = max(o for o in known if o < oid)
            assert day == order_day[before], oid


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_arguments_give_byte_identical_batches(tmp_path, fmt):
    kw = dict(customers=200, days=60, seed=5, fmt=fmt)
    batches.generate_batches(tmp_path / "a", **kw)
    batches.generate_batches(tmp_path / "b", **kw)
    batches.generate_batches(tmp_path / "c", **{**kw, "seed": 6})
    a, b, c = ({k: v[0] for k, v in digest(tmp_path / x).items()} for x in "abc")
    assert len(a) == 7 * 60 + 2 + 2 and a == b
    assert sum(a[k] != c[k] for k in a) > 300


# ---------------------------------------------------------------------------
# 2. redeliveries
# ---------------------------------------------------------------------------

def test_redelivered_events_are_late_or_duplicate_as_listed(redelivered):
    single, daily, fmt = redelivered
    gt = json.loads((daily / "ground_truth.json").read_text())
    red = gt["batches"]["redeliveries"]
    late = {e["event_id"]: e for e in as_rows(red["late_events"])}
    dup = {e["event_id"]: e for e in as_rows(red["duplicate_deliveries"])}
    n_events = gt["row_counts"]["events"]
    assert len(late) == round(batches.LATE_EVENT_SHARE * n_events) > 0
    assert len(dup) == round(batches.DUPLICATE_EVENT_SHARE * n_events) > 0
    assert not set(late) & set(dup)
    union, days = read_batches(daily, "events")
    ids = union.column("event_id").to_pylist()
    occurred = union.column("occurred_at").to_pylist()
    where = defaultdict(list)
    for k, (eid, day) in enumerate(zip(ids, days)):
        where[eid].append((day, k))
    # late: delivered once, in a later day's file, with its original timestamp
    for eid, e in late.items():
        (day, k), = where[eid]
        assert day == e["delivered_date"] and date_of(occurred[k]) == e["occurred_date"] < day
        assert (dt.date.fromisoformat(day) - dt.date.fromisoformat(e["occurred_date"])).days <= \
            batches.MAX_DELAY_DAYS
    # every other parseable event is in the file of its own day
    own = [(date_of(occurred[k]), day) for k, (eid, day) in enumerate(zip(ids, days))
           if eid not in late and eid not in dup]
    assert all(d is None or d == day for d, day in own)  # None: a planted malformed time
    # duplicates: the same row in its own day's file and again in a later one
    rows = union.to_pylist()
    for eid, e in dup.items():
        (d1, k1), (d2, k2) = sorted(where[eid])
        assert (d1, d2) == (e["first_delivered_date"], e["redelivered_date"]) and d1 < d2
        assert rows[k1] == rows[k2]
    # the warehouse must quarantine every second delivery: the planted in-file ones and these
    extra = len(ids) - len(set(ids))
    assert extra == gt["dirt"]["duplicate_event_deliveries"] + len(dup)
    assert gt["expected_quarantine"]["events"]["duplicate_key"] == extra
    # without the redelivered copies, the events are the single-file shop's
    whole = read_file(single / f"events.{fmt}")
    second_copies = {max(where[eid])[1] for eid in dup}
    keep = [k for k in range(len(ids)) if k not in second_copies]
    assert sorted_table(union.take(pa.array(keep))).equals(sorted_table(whole))


def test_orders_are_reexported_on_status_changes_with_their_lines(redelivered):
    single, daily, fmt = redelivered
    gt = json.loads((daily / "ground_truth.json").read_text())
    red = gt["batches"]["redeliveries"]
    orders, odays = read_batches(daily, "orders")
    items, idays = read_batches(daily, "order_items")
    whole_orders = {r["order_id"]: r for r in read_file(single / f"orders.{fmt}").to_pylist()}
    whole_items = defaultdict(list)
    for r in read_file(single / f"order_items.{fmt}").to_pylist():
        whole_items[r["order_id"]].append(r)
    deliveries = defaultdict(list)
    for r, day in zip(orders.to_pylist(), odays):
        deliveries[r["order_id"]].append((day, r))
    lines = defaultdict(list)
    for r, day in zip(items.to_pylist(), idays):
        lines[(r["order_id"], day)].append(r)
    listed = defaultdict(list)
    for v in as_rows(red["order_versions"]):
        listed[v["order_id"]].append((v["delivered_date"], v["status"]))
    assert len(listed) == red["reexported_orders"] > len(whole_orders) // 2
    assert set(deliveries) == set(whole_orders)
    allowed = {("placed", "paid"), ("placed", "shipped"), ("placed", "delivered"), ("placed", "cancelled"),
               ("paid", "shipped"), ("paid", "delivered"), ("paid", "cancelled"), ("shipped", "delivered")}
    for oid, versions in deliveries.items():
        days = [d for d, _ in versions]
        assert days == sorted(set(days)), oid  # at most one export a day, in date order
        if len(versions) > 1:
            assert [(d, r["status"]) for d, r in versions] == listed[oid]
        else:
            assert oid not in listed
        statuses = [r["status"] for _, r in versions]
        assert all(pair in allowed for pair in zip(statuses, statuses[1:])), (oid, statuses)
        # every export differs only in status; the latest is the single-file row
        assert versions[-1][1] == whole_orders[oid]
        for _, r in versions[:-1]:
            assert {k: v for k, v in r.items() if k != "status"} == \
                {k: v for k, v in whole_orders[oid].items() if k != "status"}
        # the order's lines come with every export of it
        key = lambda r: r["line_number"]  # noqa: E731
        for d, _ in versions:
            assert sorted(lines[(oid, d)], key=key) == sorted(whole_items[oid], key=key), (oid, d)
    # the first export is on the day the order was placed
    for oid, versions in deliveries.items():
        placed = date_of(whole_orders[oid]["ordered_at"])
        assert placed is None or versions[0][0] == max(placed, "2026-04-17")
    assert gt["batches"]["rows_delivered"]["orders"] == orders.num_rows
    assert gt["batches"]["rows_delivered"]["order_items"] == items.num_rows


def test_redeliveries_leave_the_other_tables_as_in_the_single_file_shop(redelivered):
    single, daily, fmt = redelivered
    for t in ["customers", "returns", "sessions", "campaign_sends"]:
        union, _ = read_batches(daily, t)
        assert sorted_table(union).equals(sorted_table(read_file(single / f"{t}.{fmt}"))), t


# ---------------------------------------------------------------------------
# 3. appending days
# ---------------------------------------------------------------------------

def test_append_writes_exactly_the_next_days_and_touches_nothing(tmp_path):
    kw = dict(customers=250, seed=3, redeliveries=True)
    out = tmp_path / "shop"
    batches.generate_batches(out, days=70, end_date="2026-06-25", horizon_days=5, **kw)
    before = digest(out)
    assert not any("2026-06-26" in k for k in before)
    gt_before = (out / "ground_truth.json").read_bytes()
    done = batches.append_days(out, 2)
    assert done["days"] == ["2026-06-26", "2026-06-27"] and done["files"] == 2 * len(DATED)
    after = digest(out)
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {"_generator.json"}  # no delivered file is rewritten, not even touched
    new = sorted(set(after) - set(before))
    assert new == sorted(f"{t}/date={d}/part-0001.parquet" for t in DATED for d in ("2026-06-26", "2026-06-27"))
    assert done["rows"] == sum(read_file(out / k).num_rows for k in new) > 0
    assert (out / "ground_truth.json").read_bytes() == gt_before
    batches.append_days(out, 3)
    # the same shop written at once: the same bytes, whichever call wrote a day
    once = tmp_path / "once"
    batches.generate_batches(once, days=75, end_date="2026-06-30", **kw)
    assert {k: v[0] for k, v in digest(out).items()} == {k: v[0] for k, v in digest(once).items()}
    # past the horizon: a clear error, nothing written
    snapshot = digest(out)
    with pytest.raises(ValueError, match="0 day"):
        batches.append_days(out, 1)
    assert digest(out) == snapshot


def test_append_never_overwrites_a_file(tmp_path):
    out = tmp_path / "shop"
    batches.generate_batches(out, customers=200, days=60, end_date="2026-06-28", horizon_days=2, fmt="csv")
    stray = out / "events" / "date=2026-06-29" / "part-0001.csv"
    stray.parent.mkdir()
    stray.write_text("event_id\n")
    with pytest.raises(FileExistsError, match="date=2026-06-29"):
        batches.append_days(out, 1)
    assert stray.read_text() == "event_id\n"
    assert json.loads((out / "_generator.json").read_text())["written_through"] == "2026-06-28"


def test_append_needs_a_batch_folder(tmp_path):
    generator.generate(tmp_path / "single", customers=200, days=60)
    with pytest.raises(FileNotFoundError, match="_generator.json"):
        batches.append_days(tmp_path / "single", 1)


def test_layouts_replace_each_other_but_not_foreign_folders(tmp_path):
    out = tmp_path / "shop"
    batches.generate_batches(out, customers=200, days=60)
    generator.generate(out, customers=200, days=60)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.parquet" for t in contract.tables()] + ["ground_truth.json"])
    foreign = tmp_path / "foreign"
    (foreign / "orders").mkdir(parents=True)
    (foreign / "orders" / "x.csv").write_text("order_id\n1\n")
    with pytest.raises(FileExistsError):
        batches.generate_batches(foreign, customers=200, days=60)
    assert (foreign / "orders" / "x.csv").read_text() == "order_id\n1\n"


# ---------------------------------------------------------------------------
# 4. CLI
# ---------------------------------------------------------------------------

def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_cli_batches_and_append(tmp_path):
    res = run_cli("--customers", "200", "--days", "60", "--end-date", "2026-06-28", "--batches", "daily",
                  "--horizon-days", "2", "--redeliveries", "--format", "csv", "--out", "shop", "--quiet",
                  cwd=tmp_path)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert res.stdout.startswith("wrote 9 tables as daily batches 2026-04-30 .. 2026-06-28 "
                                 "(shop generated through 2026-06-30), 422 files as csv")
    state = json.loads((tmp_path / "shop" / "_generator.json").read_text())
    assert state["redeliveries"] is True and state["format"] == "csv" and state["customers"] == 200
    res = run_cli("--append-days", "1", "--out", "shop", "--quiet", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith("appended 1 day(s) (2026-06-29 .. 2026-06-29): 7 files")
    assert (tmp_path / "shop" / "events" / "date=2026-06-29" / "part-0001.csv").exists()
    res = run_cli("--append-days", "1", "--out", "shop", "--seed", "0", cwd=tmp_path)
    assert res.returncode == 2 and "do not give --seed" in res.stderr
    res = run_cli("--append-days", "2", "--out", "shop", cwd=tmp_path)
    assert res.returncode == 2 and "1 day(s) left" in res.stderr
    res = run_cli("--redeliveries", "--out", "other", cwd=tmp_path)
    assert res.returncode == 2 and "needs --batches daily" in res.stderr and not (tmp_path / "other").exists()
    res = run_cli("--batches", "daily", "--only-tables", "orders", "--out", "other", cwd=tmp_path)
    assert res.returncode == 2 and "--only-tables" in res.stderr
    help_text = run_cli("--help", cwd=tmp_path).stdout
    for flag in ("--batches", "--horizon-days", "--redeliveries", "--append-days", "_generator.json"):
        assert flag in help_text
    assert os.path.exists(tmp_path / "shop" / "ground_truth.json")
