"""Tests of the synthetic data generator (ecomseg.generator) and its CLI.

Every check reads the written files back (pyarrow / pandas) and recomputes what
ground_truth.json claims, independently of the generator's internals.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecomseg import REPO_ROOT, contract, generator

CUSTOMERS = 2000
ISO_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
ISO_FMT = "%Y-%m-%dT%H:%M:%S"
EVENT_TYPES = set(contract.accepted_values("events", "event_type"))
CANONICAL_SOURCES = {"organic_search", "paid_search", "social", "email", "price_comparison",
                     "marketplace", "referral", "direct"}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def read(folder: Path, table: str) -> pd.DataFrame:
    """A table as written: Parquet with its types, CSV as text ('' for empty)."""
    pq_path, csv_path = folder / f"{table}.parquet", folder / f"{table}.csv"
    if pq_path.exists():
        return pq.read_table(pq_path).to_pandas()
    return pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8")


def truth(folder: Path) -> dict:
    return json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))


def empty(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip() == "")


def parse_ts(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    return pd.to_datetime(s.astype("string"), format=ISO_FMT, errors="coerce")


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def quarantine(folder: Path) -> dict[str, Counter]:
    """The warehouse's quarantine rules, reimplemented: first failing reason wins."""

    def first_reason(df: pd.DataFrame, checks: list[tuple[str, pd.Series]]) -> pd.Series:
        reason = pd.Series([None] * len(df), index=df.index, dtype=object)
        for code, failed in checks:
            reason = reason.where(reason.notna() | ~failed.fillna(False), code)
        return reason

    out: dict[str, Counter] = {}
    o = read(folder, "orders")
    # an empty customer_id is a guest order: kept (issue #11 item 4)
    o_checks = [(f"missing_required:{c}", empty(o[c])) for c in ("order_id", "ordered_at")]
    o_checks.append(("unparseable:ordered_at", ~empty(o.ordered_at) & parse_ts(o.ordered_at).isna()))
    r = first_reason(o, o_checks)
    dup = o.order_id.duplicated() & r.isna()
    r = r.where(~dup, "duplicate_key")
    out["orders"] = Counter(r.dropna())
    valid_orders = set(o.order_id[r.isna()])

    li = read(folder, "order_items")
    qty = pd.to_numeric(li.quantity, errors="coerce")
    price = pd.to_numeric(li.unit_price.astype("string"), errors="coerce")
    li_checks = [(f"missing_required:{c}", empty(li[c])) for c in ("order_id", "product_id", "quantity", "unit_price")]
    li_checks += [("unparseable:quantity", qty.isna()), ("unparseable:unit_price", price.isna()),
                  ("out_of_range:quantity", qty <= 0), ("out_of_range:unit_price", price < 0),
                  ("unknown_order", ~li.order_id.isin(valid_orders))]
    r = first_reason(li, li_checks)
    dup = li.duplicated(["order_id", "line_number"]) & r.isna()
    out["order_items"] = Counter(r.where(~dup, "duplicate_key").dropna())

    e = read(folder, "events")
    e_checks = [(f"missing_required:{c}", empty(e[c])) for c in ("event_id", "occurred_at", "event_type")]
    e_checks += [("unparseable:occurred_at", parse_ts(e.occurred_at).isna()),
                 ("invalid_value:event_type", ~e.event_type.isin(EVENT_TYPES))]
    r = first_reason(e, e_checks)
    dup = e.event_id.duplicated() & r.isna()
    out["events"] = Counter(r.where(~dup, "duplicate_key").dropna())

    rt = read(folder, "returns")
    rq = pd.to_numeric(rt.quantity, errors="coerce")
    rt_checks = [(f"missing_required:{c}", empty(rt[c])) for c in ("order_id", "product_id", "quantity")]
    rt_checks += [("out_of_range:quantity", rq <= 0), ("unknown_order", ~rt.order_id.isin(valid_orders))]
    out["returns"] = Counter(first_reason(rt, rt_checks).dropna())
    return out


# ---------------------------------------------------------------------------
# fixtures: each data set is generated once per test session
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generator.generate(out, customers=CUSTOMERS, dirt_rate=0)
    return out


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dirty")
    generator.generate(out, customers=CUSTOMERS)  # default dirt rate
    return out


@pytest.fixture(scope="module")
def dirty_csv(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dirty_csv")
    generator.generate(out, customers=CUSTOMERS, fmt="csv")
    return out


@pytest.fixture(scope="module")
def clean_tables(clean) -> dict[str, pd.DataFrame]:
    return {t: read(clean, t) for t in contract.tables()}


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path):
    kw = dict(customers=400, days=200)
    generator.generate(tmp_path / "a", seed=7, **kw)
    generator.generate(tmp_path / "b", seed=7, **kw)
    generator.generate(tmp_path / "c", seed=8, **kw)
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert len(a) == len(contract.tables()) + 1
    assert a == b
    differing = {name for name in a if a[name] != c[name]}
    # the catalogue layout may coincide, the behaviour must not
    assert {"orders.parquet", "order_items.parquet", "events.parquet", "sessions.parquet",
            "customers.parquet", "ground_truth.json"} <= differing


def test_same_seed_csv_is_byte_identical(tmp_path):
    generator.generate(tmp_path / "a", customers=300, days=120, fmt="csv", seed=3)
    generator.generate(tmp_path / "b", customers=300, days=120, fmt="csv", seed=3)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


# ---------------------------------------------------------------------------
# contract conformance
# ---------------------------------------------------------------------------

def test_every_contract_table_and_column_in_contract_order(clean):
    gt = truth(clean)
    assert list(gt["row_counts"]) == list(contract.tables())
    for name, table in contract.tables().items():
        schema = pq.read_schema(clean / f"{name}.parquet")
        assert schema.names == table.column_names, name
        assert pq.ParquetFile(clean / f"{name}.parquet").metadata.num_rows == gt["row_counts"][name]
        assert gt["row_counts"][name] > 0, name


def test_parquet_types_follow_the_contract(clean):
    for name, table in contract.tables().items():
        schema = pq.read_schema(clean / f"{name}.parquet")
        for col in table.columns:
            t = schema.field(col.name).type
            kind = col.contract_type
            if kind == "timestamp" and (name, col.name) in generator.STRING_TIMESTAMP_COLUMNS:
                assert pa.types.is_string(t), (name, col.name, t)
                values = pq.read_table(clean / f"{name}.parquet", columns=[col.name]).column(0).to_pandas()
                assert values.str.fullmatch(ISO_RE).all(), (name, col.name)
            elif kind == "timestamp":
                assert pa.types.is_timestamp(t) and t.tz in (None, "UTC"), (name, col.name, t)
            elif kind == "text":
                assert pa.types.is_string(t), (name, col.name, t)
            elif kind == "integer":
                assert pa.types.is_integer(t), (name, col.name, t)
            elif kind == "decimal":
                assert pa.types.is_decimal(t) and t.scale == 2, (name, col.name, t)
            elif kind == "boolean":
                assert pa.types.is_boolean(t), (name, col.name, t)
            elif kind == "date":
                assert pa.types.is_date(t), (name, col.name, t)
            else:  # pragma: no cover - a new contract type must be handled here
                pytest.fail(f"unknown contract type {kind}")


def test_keys_unique_and_required_columns_filled_on_clean_data(clean_tables):
    for name, table in contract.tables().items():
        df = clean_tables[name]
        if table.primary_key:
            assert not df.duplicated(list(table.primary_key)).any(), name
        for col in table.columns:
            if col.required:
                assert not empty(df[col.name]).any(), (name, col.name)


def test_clean_data_has_no_quarantine_and_refs_resolve(clean, clean_tables):
    q = quarantine(clean)
    assert all(not c for c in q.values()), q
    t = clean_tables
    assert t["order_items"].product_id.isin(t["products"].product_id).all()
    assert t["orders"].customer_id.isin(t["customers"].customer_id).all()
    sess_ids = set(t["sessions"].session_id)
    assert t["events"].session_id.isin(sess_ids).all()
    assert t["orders"].session_id.dropna().isin(sess_ids).all()
    assert (t["order_items"].quantity > 0).all() and (t["order_items"].unit_price.astype(float) >= 0).all()
    assert (t["orders"].discount_amount.astype(float) >= 0).all()
    # discounts never exceed the order's value
    lines = t["order_items"].assign(v=lambda d: d.quantity * d.unit_price.astype(float))
    value = lines.groupby("order_id").v.sum()
    o = t["orders"].set_index("order_id")
    assert (o.discount_amount.astype(float) <= value.reindex(o.index) + 1e-9).all()


def test_identifier_formats(clean_tables):
    t = clean_tables
    patterns = {("customers", "customer_id"): r"C\d{7}", ("products", "product_id"): r"P\d{4}",
                ("orders", "order_id"): r"O\d{8}", ("sessions", "session_id"): r"S\d{9}",
                ("events", "event_id"): r"E\d{10}", ("sessions", "visitor_id"): r"V\d{9}",
                ("campaign_sends", "send_id"): r"M\d{9}"}
    for (table, col), pat in patterns.items():
        assert t[table][col].str.fullmatch(pat).all(), (table, col)
    assert (t["customers"].email == t["customers"].customer_id.str.lower() + "@example.com").all()


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def test_csv_header_timestamps_and_text_identifiers(dirty_csv):
    for name, table in contract.tables().items():
        path = dirty_csv / f"{name}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            header = fh.readline().rstrip("\r\n")
        assert header.replace('"', "").split(",") == table.column_names, name
    c = read(dirty_csv, "customers")
    assert c.customer_id.str.fullmatch(r"C\d{7}").all()
    assert c.customer_id.iloc[0] == "C0000001"  # leading zeros kept
    assert c.signed_up_at.str.fullmatch(ISO_RE).all()
    assert c.birth_date.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(c.marketing_consent) == {"true", "false", ""}
    s = read(dirty_csv, "sessions")
    assert s.started_at.str.fullmatch(ISO_RE).all()
    rt = read(dirty_csv, "returns")
    assert rt.returned_at.str.fullmatch(ISO_RE).all()
    o = read(dirty_csv, "orders")
    assert parse_ts(o.ordered_at).isna().sum() == truth(dirty_csv)["dirt"]["malformed_order_timestamps"]
    assert o.ordered_at[parse_ts(o.ordered_at).notna()].str.fullmatch(ISO_RE).all()
    assert o.discount_amount.str.fullmatch(r"\d+\.\d{2}").all()
    # raw text of the file: identifiers are quoted strings
    raw = (dirty_csv / "orders.csv").read_text(encoding="utf-8")
    assert '"O00000001"' in raw


def test_csv_holds_the_same_data_as_parquet(dirty, dirty_csv):
    assert truth(dirty)["row_counts"] == truth(dirty_csv)["row_counts"]
    assert truth(dirty)["dirt"] == truth(dirty_csv)["dirt"]
    for name in ("orders", "events", "order_items", "customers"):
        p = pq.read_table(dirty / f"{name}.parquet")
        c = read(dirty_csv, name)
        for col in p.column_names:
            pv = p.column(col).to_pandas()
            if pa.types.is_timestamp(p.schema.field(col).type):
                pv = pv.dt.strftime(ISO_FMT)
            elif pa.types.is_boolean(p.schema.field(col).type):
                pv = pv.map({True: "true", False: "false"})
            elif pa.types.is_date(p.schema.field(col).type):
                pv = pv.astype(str)
            pv = pv.astype(object).where(pv.notna(), "").astype(str)
            if col in ("quantity", "line_number", "checkout_step", "preferred_contact_hour"):
                pv = pv.str.replace(r"\.0$", "", regex=True)
            # CSV cannot tell "" from null: both read back as ""
            assert (pv.values == c[col].values).all(), (name, col)


# ---------------------------------------------------------------------------
# realistic behaviour
# ---------------------------------------------------------------------------

def test_shop_volumes_and_mixes_are_realistic(clean_tables):
    t = clean_tables
    o, c, s, e = t["orders"], t["customers"], t["sessions"], t["events"]
    per = o.groupby("customer_id").size()
    assert 0.55 < len(per) / len(c) < 0.85  # some customers never order
    assert 2.0 <= per.mean() <= 4.5 and per.max() >= 10 * per.median()  # heavy tail
    lines = t["order_items"].assign(v=lambda d: d.quantity * d.unit_price.astype(float))
    rev = lines.merge(o[["order_id", "customer_id"]]).groupby("customer_id").v.sum().sort_values()[::-1]
    assert rev.head(len(rev) // 10).sum() / rev.sum() > 0.4  # a few customers bring most revenue
    assert 7 <= len(s) / len(c) <= 13 and 28 <= len(e) / len(c) <= 55
    status = o.status.value_counts(normalize=True)
    assert status["delivered"] > 0.85 and 0.02 < status["cancelled"] < 0.09
    assert set(o.status) <= set(contract.accepted_values("orders", "status"))
    recent = parse_ts(o.ordered_at) > pd.Timestamp("2026-06-25")
    assert not o.status[~recent].isin(["placed", "paid", "shipped"]).any()
    assert set(o.payment_method) == {"card", "blik", "transfer", "cash_on_delivery"}
    assert set(o.delivery_method) == {"courier", "parcel_locker", "pickup"}
    assert set(s.device) == set(contract.known_values("sessions", "device"))
    assert set(c.gender.dropna()) == set(contract.known_values("customers", "gender")) and c.gender.isna().any()
    assert 0.5 < c.marketing_consent.mean() < 0.7 and c.marketing_consent.isna().any()
    assert c.preferred_contact_hour.between(0, 23).all()
    assert "mazowieckie" in set(c.region) and "Warszawa" in set(c.city)
    ts = parse_ts(o.ordered_at)
    assert ts.min() >= pd.Timestamp("2024-07-01") and ts.max() < pd.Timestamp("2026-07-01")
    by_month = ts.dt.month.value_counts(normalize=True)
    assert by_month[[11, 12]].mean() > 1.2 * by_month[[1, 2, 7, 8]].mean()  # Nov/Dec peak
    by_dow = ts.dt.day_of_week.value_counts(normalize=True)
    assert by_dow[6] > by_dow[5] * 1.2  # Sunday busier than Saturday
    # returns: a few percent of delivered lines, some complaints
    delivered_lines = t["order_items"].merge(o[o.status == "delivered"][["order_id"]])
    assert 0.04 < len(t["returns"]) / len(delivered_lines) < 0.09
    assert 0.1 < t["returns"].is_complaint.mean() < 0.6
    assert (parse_ts(t["returns"].returned_at) < pd.Timestamp("2026-07-01")).all()
    # deal seekers: discounts concentrate on a minority of customers
    disc = (o.discount_amount.astype(float) > 0).groupby(o.customer_id).mean()
    assert (disc > 0.5).mean() > 0.05 and 0.08 < (o.discount_amount.astype(float) > 0).mean() < 0.35


def test_funnel_and_purchase_events(clean_tables):
    t = clean_tables
    o, e = t["orders"], t["events"]
    assert set(e.event_type) == EVENT_TYPES
    p = e[e.event_type == "purchase"]
    assert not p.order_id.duplicated().any()
    with_session = o[o.session_id.notna()]
    assert 0.85 < len(with_session) / len(o) < 0.97
    m = with_session.merge(p[["order_id", "session_id", "occurred_at"]], on="order_id", how="left",
                           suffixes=("", "_ev"))
    assert (m.session_id == m.session_id_ev).all()  # every order with a session has its purchase event
    assert (m.ordered_at == m.occurred_at).all()
    # checkout steps 1..4 precede the purchase in purchase sessions
    ck = e[(e.event_type == "checkout_step") & e.session_id.isin(p.session_id)]
    steps = ck.groupby("session_id").checkout_step.apply(lambda x: list(x))
    assert (steps.map(lambda x: x == [1, 2, 3, 4])).all()
    last = e.groupby("session_id").tail(1)
    assert last[last.session_id.isin(p.session_id)].event_type.eq("purchase").all()
    # drop-off: fewer sessions reach each later stage
    reach = {k: e[e.event_type == k].session_id.nunique()
             for k in ("page_view", "product_view", "add_to_cart", "checkout_step", "purchase")}
    assert reach["page_view"] > reach["product_view"] > reach["add_to_cart"] > reach["checkout_step"] > reach["purchase"]
    assert e[e.event_type == "search"].search_query.notna().all()
    assert e[e.event_type == "product_view"].product_id.notna().all()
    assert e[e.event_type == "category_view"].category.notna().all()
    # clean file is in time order
    assert parse_ts(e.occurred_at).is_monotonic_increasing


def test_anonymous_visitors_and_identity(clean_tables):
    t = clean_tables
    s, e, c = t["sessions"], t["events"], t["customers"]
    signup = c.set_index("customer_id").signed_up_at
    known = s[s.customer_id.notna()]
    # a session is known from registration on (the registration session may start a bit earlier)
    early = parse_ts(known.started_at) < signup.reindex(known.customer_id).values - pd.Timedelta(hours=2)
    assert not early.any()
    # events carry the customer only from registration on, and only in known sessions
    ev = e.merge(s[["session_id", "customer_id"]], on="session_id", suffixes=("", "_s"))
    assert (ev.customer_id.isna() | (ev.customer_id == ev.customer_id_s)).all()
    ev_known = ev[ev.customer_id.notna()]
    assert (parse_ts(ev_known.occurred_at) >= signup.reindex(ev_known.customer_id).values).all()
    # visitors who browsed anonymously and registered later
    vis = s.groupby("visitor_id").agg(anon=("customer_id", lambda x: x.isna().any()),
                                       known=("customer_id", lambda x: x.notna().any()),
                                       n_cust=("customer_id", "nunique"))
    assert (vis.n_cust <= 1).all()
    assert (vis.anon & vis.known).sum() > 0.2 * len(c)
    assert (vis.anon & ~vis.known).sum() > 0.3 * len(c)  # never registered (or never logged in)
    # order sessions always know the customer
    placed = t["orders"][t["orders"].session_id.notna()]
    assert not placed.session_id.duplicated().any()  # a session places at most one order
    osess = s.set_index("session_id").customer_id.reindex(placed.session_id)
    assert osess.notna().all() and (osess.values == placed.customer_id.values).all()


def test_traffic_sources_and_campaigns(clean, clean_tables):
    gt = truth(clean)
    s = clean_tables["sessions"]
    raw = gt["traffic_source_raw_values"]
    assert set(s.traffic_source) == set(raw)
    assert CANONICAL_SOURCES <= set(raw) and all(raw[k] == k for k in CANONICAL_SOURCES)
    assert {"google", "newsletter", "Facebook", "tiktok_ads"} <= set(raw)
    assert raw["google"] == "organic_search" and raw["newsletter"] == "email" and raw["tiktok_ads"] == "other"
    aliases = ~s.traffic_source.isin(CANONICAL_SOURCES)
    assert 0.01 < aliases.mean() < 0.08
    mapped = s.traffic_source.map(raw)
    assert s.campaign[mapped == "paid_search"].notna().all()
    assert s.campaign[mapped.isin(["organic_search", "direct", "referral"]) & s.campaign.notna()].isin(
        clean_tables["campaign_sends"].campaign_id).all()
    cs = clean_tables["campaign_sends"]
    cust = clean_tables["customers"].set_index("customer_id")
    assert cust.marketing_consent.reindex(cs.customer_id).eq(True).all()  # consent only
    assert set(cs.variant) == {"A", "B", "control"} and set(cs.channel) == set(contract.accepted_values("campaign_sends", "channel"))
    assert (cs.sent_at.values > cust.signed_up_at.reindex(cs.customer_id).values).all()


# ---------------------------------------------------------------------------
# planted truth
# ---------------------------------------------------------------------------

def test_ground_truth_keys(dirty):
    gt = truth(dirty)
    assert list(gt) == ["generator_version", "seed", "customers", "days", "end_date", "format", "dirt_rate",
                        "row_counts", "product_pairs", "accessories", "purchase_drivers", "person_purchase_drivers",
                        "campaign_ab_effect",
                        "traffic_source_raw_values", "dirt", "expected_quarantine"]
    assert (gt["generator_version"], gt["seed"], gt["customers"], gt["days"], gt["end_date"], gt["format"],
            gt["dirt_rate"]) == (2, 42, CUSTOMERS, 730, "2026-06-30", "parquet", 0.002)
    assert len(gt["product_pairs"]) >= 5 and len(gt["accessories"]) >= 3 and len(gt["purchase_drivers"]) >= 3
    assert set(gt["dirt"]) == {"duplicate_event_deliveries", "late_events", "orphan_order_items",
                               "negative_quantities", "missing_customer_ids", "malformed_order_timestamps",
                               "malformed_event_timestamps", "odd_search_queries"}
    assert all(v > 0 for v in gt["dirt"].values())
    assert set(gt["expected_quarantine"]) == {"orders", "order_items", "events", "returns"}
    for name, n in gt["row_counts"].items():
        assert len(read(dirty, name)) == n


def test_planted_pairs_have_high_lift(clean, clean_tables):
    li = clean_tables["order_items"]
    n_orders = li.order_id.nunique()
    orders_of = li.groupby("product_id").order_id.apply(set)
    products = set(clean_tables["products"].product_id)
    for pair in truth(clean)["product_pairs"]:
        assert {pair["product_a"], pair["product_b"]} <= products
        a, b = orders_of[pair["product_a"]], orders_of[pair["product_b"]]
        assert len(a) >= 40, pair
        both = len(a & b)
        lift = both * n_orders / (len(a) * len(b))
        assert lift > 8, (pair, lift)
        assert both / len(a) > 0.8 * pair["planted_probability"], pair
    # an arbitrary popular pair is near independence
    top = li.product_id.value_counts().index[:2]
    x, y = orders_of[top[0]], orders_of[top[1]]
    assert len(x & y) * n_orders / (len(x) * len(y)) < 3


def test_planted_accessories_are_bought_later(clean, clean_tables):
    li, o = clean_tables["order_items"], clean_tables["orders"]
    lo = li.merge(o[["order_id", "customer_id", "ordered_at"]])
    lo["ts"] = parse_ts(lo.ordered_at)
    end = pd.Timestamp("2026-07-01")
    for acc in truth(clean)["accessories"]:
        days = pd.Timedelta(days=acc["max_days_after"])
        main = lo[lo.product_id == acc["main_product_id"]].groupby("customer_id").ts.min()
        main = main[main <= end - days]
        assert len(main) >= 30, acc
        later = lo[lo.product_id == acc["accessory_product_id"]][["customer_id", "ts"]].merge(
            main.rename("t_main").reset_index())
        hit = later[(later.ts > later.t_main) & (later.ts <= later.t_main + days)].customer_id.nunique()
        rate = hit / len(main)
        assert abs(rate - acc["probability"]) < 0.17, (acc, rate)
        # and not in the same order: the accessory follows the main product
        same = lo[lo.product_id.isin([acc["main_product_id"], acc["accessory_product_id"]])]
        both = same.groupby("order_id").product_id.nunique()
        assert (both == 2).sum() < 0.1 * len(main)


def test_planted_purchase_drivers(clean, clean_tables):
    gt = truth(clean)
    s, e = clean_tables["sessions"], clean_tables["events"]
    counts = e.groupby(["session_id", "event_type"]).size().unstack(fill_value=0).reindex(s.session_id, fill_value=0)
    purchase = counts["purchase"].values > 0
    behaviour = {
        "added_to_cart": counts["add_to_cart"].values >= 1,
        "viewed_3plus_products": counts["product_view"].values >= 3,
        "used_search": counts["search"].values >= 1,
        "came_from_email": s.traffic_source.map(gt["traffic_source_raw_values"]).eq("email").values,
    }
    assert {d["behaviour"] for d in gt["purchase_drivers"]} == set(behaviour)
    for d in gt["purchase_drivers"]:
        b = behaviour[d["behaviour"]]
        rel = purchase[b].mean() / purchase[~b].mean()
        planted = d["planted_relative_purchase_rate"]
        assert planted >= 2 and abs(rel - planted) / planted < 0.2, (d["behaviour"], rel, planted)


def test_planted_person_level_drivers(clean):
    """Person level (the scorecard's unit): the measured likelihood ratios follow the planted
    pre-purchase lifts (test_scorecard.py checks the same ratios on the built warehouse)."""
    person = truth(clean)["person_purchase_drivers"]
    drivers = person["drivers"]
    assert [d["behaviour"] for d in drivers] == ["added_to_cart", "came_from_email", "viewed_3plus_products",
                                                  "used_search"]
    lifts = [d["planted_pre_purchase_lift"] for d in drivers]
    ratios = [d["likelihood_ratio"] for d in drivers]
    assert lifts == sorted(lifts, reverse=True) and min(lifts) > 1
    assert ratios == sorted(ratios, reverse=True) and min(ratios) > 1, ratios
    assert person["scorecard_defaults"]["recent_days"] == person["pre_purchase_days"] == 14


def test_campaign_ab_effect_matches_the_files(clean, clean_tables):
    ab = truth(clean)["campaign_ab_effect"]
    cs, o = clean_tables["campaign_sends"], clean_tables["orders"]
    sends = cs[cs.campaign_id == ab["campaign_id"]]
    assert len(sends) > 300
    ot = o[["customer_id"]].assign(ts=parse_ts(o.ordered_at))
    m = sends.merge(ot, on="customer_id", how="left")
    win = pd.Timedelta(days=ab["window_days"])
    m["hit"] = (m.ts > m.sent_at) & (m.ts <= m.sent_at + win)
    conv = m.groupby(["send_id", "variant"]).hit.any().groupby("variant").mean()
    for v, rate in ab["variant_conversion_rate"].items():
        assert conv[v] == pytest.approx(rate, abs=1e-4), v
    r = ab["variant_conversion_rate"]
    assert r["B"] > 1.5 * r["A"] and r["A"] > r["control"]
    # the campaign itself brought visits from the message
    s = clean_tables["sessions"]
    assert (s.campaign == ab["campaign_id"]).sum() > 20


# ---------------------------------------------------------------------------
# dirt
# ---------------------------------------------------------------------------

def test_dirt_counts_match_the_files(dirty):
    gt = truth(dirty)
    dirt = gt["dirt"]
    o, li, e = read(dirty, "orders"), read(dirty, "order_items"), read(dirty, "events")
    assert empty(o.customer_id).sum() == dirt["missing_customer_ids"]
    assert (o.customer_id == "").any() and o.customer_id.isna().any()  # both kinds of empty
    assert parse_ts(o.ordered_at).isna().sum() == dirt["malformed_order_timestamps"]
    assert (empty(o.customer_id) & parse_ts(o.ordered_at).isna()).sum() == 0  # one defect per row
    assert (li.quantity < 0).sum() == dirt["negative_quantities"]
    assert (~li.order_id.isin(o.order_id)).sum() == dirt["orphan_order_items"]
    bad_ts = parse_ts(e.occurred_at).isna()
    assert bad_ts.sum() == dirt["malformed_event_timestamps"]
    assert not e[bad_ts].event_type.eq("purchase").any()
    dup = e.event_id.duplicated(keep="first")
    assert dup.sum() == dirt["duplicate_event_deliveries"]
    # duplicate deliveries are exact copies, written after the original, never of a malformed row
    firsts = e[~dup].set_index("event_id")
    copies = e[dup].set_index("event_id")
    assert copies.astype(object).fillna("<null>").equals(firsts.loc[copies.index].astype(object).fillna("<null>"))
    assert not bad_ts[e.event_id.isin(copies.index)].any()
    # late events: written after an event that happened later
    ts = parse_ts(e.occurred_at)
    keep = ~dup & ts.notna()
    running = ts[keep].cummax().shift(1)
    late = ts[keep] < running
    assert late.sum() == dirt["late_events"]
    # odd search queries: survive the round trip, include the nasty kinds
    q = e.search_query.dropna()
    normal = q.str.fullmatch(r"[a-z0-9ąćęłńóśźżé][a-z0-9ąćęłńóśźżé ,'-]{0,39}")
    odd = q[~normal]
    assert len(odd) == dirt["odd_search_queries"]
    assert odd.str.len().max() >= 9_000
    assert odd.str.contains("drop table", regex=False).any()
    assert odd.str.contains(r"[\x01-\x08\x0b-\x1f]").any()
    assert odd.str.contains("🎧", regex=False).any() and not q.str.contains("\x00", regex=False).any()


def test_expected_quarantine_matches_rules_including_cascade(dirty):
    gt = truth(dirty)
    got = quarantine(dirty)
    for table, expected in gt["expected_quarantine"].items():
        assert dict(got[table]) == {k: v for k, v in expected.items() if v}, table
    # the cascade is part of it: lines of quarantined orders are unknown_order too
    cascade = gt["expected_quarantine"]["order_items"]["unknown_order"] - gt["dirt"]["orphan_order_items"]
    assert cascade > 0
    # orders without a customer id are guest orders: kept, never quarantined
    assert gt["dirt"]["missing_customer_ids"] > 0
    assert "missing_required:customer_id" not in gt["expected_quarantine"]["orders"]


def test_expected_quarantine_also_holds_for_csv(dirty_csv):
    gt = truth(dirty_csv)
    got = quarantine(dirty_csv)
    for table, expected in gt["expected_quarantine"].items():
        assert dict(got[table]) == {k: v for k, v in expected.items() if v}, table


def test_dirt_rate_zero_plants_no_dirt(clean):
    gt = truth(clean)
    assert all(v == 0 for v in gt["dirt"].values())
    assert all(v == 0 for reasons in gt["expected_quarantine"].values() for v in reasons.values())


# ---------------------------------------------------------------------------
# only-tables mode, folder hygiene, CLI
# ---------------------------------------------------------------------------

def test_only_tables_writes_the_same_orders(tmp_path, dirty):
    out = tmp_path / "orders_only"
    gt = generator.generate(out, customers=CUSTOMERS, tables=["order_items", "orders"])
    assert sorted(p.name for p in out.iterdir()) == ["ground_truth.json", "order_items.parquet", "orders.parquet"]
    assert list(gt["row_counts"]) == ["orders", "order_items"]
    for name in ("orders.parquet", "order_items.parquet"):
        assert (out / name).read_bytes() == (dirty / name).read_bytes()
    full = truth(dirty)
    assert gt["product_pairs"] == full["product_pairs"]
    assert gt["expected_quarantine"]["orders"] == full["expected_quarantine"]["orders"]
    assert gt["expected_quarantine"]["order_items"] == full["expected_quarantine"]["order_items"]
    assert gt["dirt"]["duplicate_event_deliveries"] == 0 and gt["expected_quarantine"]["events"]["duplicate_key"] == 0
    assert gt["expected_quarantine"]["returns"]["unknown_order"] == 0
    got = quarantine_orders_only(out)
    assert got == {k: v for k, v in gt["expected_quarantine"]["order_items"].items() if v}


def quarantine_orders_only(folder: Path) -> dict:
    o, li = read(folder, "orders"), read(folder, "order_items")
    valid = o[parse_ts(o.ordered_at).notna()].order_id  # an empty customer_id is a valid guest order
    neg = li.quantity <= 0
    return dict(Counter({"out_of_range:quantity": int(neg.sum()),
                         "unknown_order": int((~neg & ~li.order_id.isin(valid)).sum())}))


def test_rerun_replaces_stale_files_but_not_foreign_ones(tmp_path):
    out = tmp_path / "shop"
    generator.generate(out, customers=200, days=90)
    generator.generate(out, customers=200, days=90, fmt="csv", tables=["orders", "order_items"])
    assert sorted(p.name for p in out.iterdir()) == ["ground_truth.json", "order_items.csv", "orders.csv"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "orders.csv").write_text("order_id\n1\n")
    with pytest.raises(FileExistsError):
        generator.generate(foreign, customers=200, days=90)
    assert (foreign / "orders.csv").read_text() == "order_id\n1\n"


def test_invalid_arguments_are_rejected(tmp_path):
    with pytest.raises(ValueError):
        generator.generate(tmp_path, customers=200, tables=["orders", "nope"])
    with pytest.raises(ValueError):
        generator.generate(tmp_path, customers=200, fmt="xlsx")
    with pytest.raises(ValueError):
        generator.generate(tmp_path, customers=200, dirt_rate=-0.1)


def test_cli_generates_and_reports(tmp_path):
    out = tmp_path / "cli"
    script = REPO_ROOT / "scripts" / "generate_data.py"
    res = subprocess.run([sys.executable, str(script), "--customers", "200", "--days", "90", "--out", str(out),
                          "--format", "csv", "--only-tables", "orders,order_items,customers", "--seed", "5"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "orders" in res.stderr and re.search(r"\d+\.\ds\]", res.stderr)  # progress with elapsed seconds
    assert res.stdout.startswith("wrote 3 tables") and res.stdout.count("\n") == 1
    gt = truth(out)
    assert (gt["seed"], gt["customers"], gt["days"], gt["format"]) == (5, 200, 90, "csv")
    assert sorted(p.name for p in out.iterdir()) == ["customers.csv", "ground_truth.json", "order_items.csv",
                                                     "orders.csv"]
    quiet = subprocess.run([sys.executable, str(script), "--customers", "200", "--days", "90",
                            "--out", str(tmp_path / "q"), "--quiet", "--dirt-rate", "0"],
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == "" and truth(tmp_path / "q")["dirt_rate"] == 0
    bad = subprocess.run([sys.executable, str(script), "--only-tables", "orders,bogus", "--out", str(tmp_path / "b")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "bogus" in bad.stderr


@pytest.mark.parametrize("script", ["generate_data.py", "benchmark_generator.py"])
def test_scripts_have_help(script):
    res = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / script), "--help"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "--scale" in res.stdout and "--customers" in res.stdout
