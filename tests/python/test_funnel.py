"""Issue #14 part A: the funnel and the abandoned carts on a generated shop,
checked against an independent pandas computation from the raw files.

The shop is generated without dirt (dirt_rate=0), so the raw rows are the
staged rows and pandas can read them directly. What is recomputed here:

- per session the furthest funnel step (1 visit .. 9 purchase) from the raw
  sessions, events and orders: the distribution of fct_session_funnel, and
  per person of a known customer the session counts of fct_visitor_funnel;
- the abandoned carts: which sessions, their units and value (adds minus
  removes per product at the products file's list price), the stage, and for
  carts of sessions that name their customer, the first later order.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import without_json_artifacts, without_unit_tests
from ecomseg.dbt_runner import run_dbt

CUSTOMERS = 300
SEED = 20240614
IDLE_MINUTES = 60  # var cart_abandoned_after_minutes (default)


class Shop:
    def __init__(self, root: Path):
        self.raw_dir = root / "raw"
        self.path = root / "wh.duckdb"
        self.target = root / "target"
        self.logs = root / "logs"

    def frame(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def raw(self, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.raw_dir / f"{table}.parquet")


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Shop:
    from ecomseg.generator import generate

    s = Shop(tmp_path_factory.mktemp("funnel_shop"))
    generate(s.raw_dir, customers=CUSTOMERS, seed=SEED, dirt_rate=0.0)
    run_dbt(without_json_artifacts(without_unit_tests(["build", "--select", "+fct_session_funnel", "+fct_visitor_funnel",
                                                       "+abandoned_carts", "--log-path", str(s.logs)])),
            raw_dir=s.raw_dir, duckdb_path=s.path, target_path=s.target)
    return s


def _ts(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="ISO8601")


@pytest.fixture(scope="module")
def raw(shop):
    events = shop.raw("events")
    events["occurred_at"] = _ts(events["occurred_at"])
    orders = shop.raw("orders")
    orders["ordered_at"] = _ts(orders["ordered_at"])
    sessions = shop.raw("sessions")
    return {"events": events, "orders": orders, "sessions": sessions,
            "order_items": shop.raw("order_items"), "products": shop.raw("products")}


def _session_funnel(raw) -> pd.Series:
    """furthest step per session id, computed from the raw files."""
    events, orders, sessions = raw["events"], raw["orders"], raw["sessions"]
    ids = set(sessions["session_id"].dropna()) | set(events["session_id"].dropna()) | set(orders["session_id"].dropna())
    step = pd.Series(1, index=sorted(ids))
    ev = events[events["session_id"].notna()]

    def having(kind):
        return set(ev.loc[ev["event_type"] == kind, "session_id"])

    for kind, number in [("category_view", 2), ("product_view", 3), ("add_to_cart", 4)]:
        hit = list(having(kind))
        step.loc[hit] = step.loc[hit].clip(lower=number)
    checkout = ev[ev["event_type"] == "checkout_step"].groupby("session_id")["checkout_step"].max()
    for session_id, k in checkout.items():
        if 1 <= k <= 4:
            step.loc[session_id] = max(step.loc[session_id], 4 + int(k))
    bought = having("purchase") | set(orders["session_id"].dropna())
    step.loc[list(bought)] = 9
    return step


def test_session_funnel_matches_pandas(shop, raw):
    expected = _session_funnel(raw)
    got = shop.frame("select session_id, furthest_step_number, left_at_step_name from marts.fct_session_funnel")
    got = got.set_index("session_id")
    assert len(got) == len(expected)
    assert got["furthest_step_number"].sort_index().tolist() == expected.sort_index().tolist()
    # every step up to 7 is reached by some session in the generated shop, and purchases leave 'purchased'
    assert set(expected.unique()) >= {1, 3, 4, 5, 6, 7, 9}
    assert (got.loc[got["furthest_step_number"] == 9, "left_at_step_name"] == "purchased").all()
    assert (got.loc[got["furthest_step_number"] == 4, "left_at_step_name"] == "checkout_cart").all()


def test_visitor_funnel_counts_match_pandas(shop, raw):
    """For customers named by the sessions file itself, every session of theirs is theirs after stitching too;
    stitching may add anonymous sessions, so the mart counts at least as many."""
    step = _session_funnel(raw)
    sessions = raw["sessions"].dropna(subset=["customer_id"])
    per_customer = sessions.assign(step=sessions["session_id"].map(step)).groupby("customer_id")
    got = shop.frame("select customer_id, session_count, sessions_reaching_add_to_cart, sessions_reaching_purchase, "
                     "furthest_step_number from marts.fct_visitor_funnel where person_type = 'customer'")
    got = got.set_index("customer_id")
    expected_sessions = per_customer.size()
    assert set(expected_sessions.index) <= set(got.index)
    assert (got.loc[expected_sessions.index, "session_count"] >= expected_sessions).all()
    expected_purchases = per_customer["step"].apply(lambda s: int((s >= 9).sum()))
    assert (got.loc[expected_purchases.index, "sessions_reaching_purchase"] >= expected_purchases).all()
    # the funnel never grows downwards, and the per-person sessions add up to the session mart
    assert (got["sessions_reaching_add_to_cart"] >= got["sessions_reaching_purchase"]).all()
    total = shop.frame("select (select sum(session_count) from marts.fct_visitor_funnel) as persons, "
                       "(select count(*) from marts.fct_session_funnel where person_key is not null) as sessions")
    assert int(total["persons"][0]) == int(total["sessions"][0])


def _abandoned_carts(raw) -> pd.DataFrame:
    events, orders, products = raw["events"], raw["orders"], raw["products"]
    ev = events[events["session_id"].notna()]
    cart = ev[ev["event_type"].isin(["add_to_cart", "remove_from_cart"]) & ev["product_id"].notna()]
    signed = cart.assign(units=cart["event_type"].map({"add_to_cart": 1, "remove_from_cart": -1}))
    net = signed.groupby(["session_id", "product_id"])["units"].sum().reset_index()
    net = net[net["units"] > 0]
    prices = products.set_index("product_id")["list_price"].map(lambda v: Decimal(str(v)) if pd.notna(v) else None)
    net["value"] = [Decimal(u) * prices.get(p) for u, p in zip(net["units"], net["product_id"])]
    per_cart = net.groupby("session_id").agg(item_count=("units", "sum"), value=("value", "sum"))
    per_cart["cart_value"] = per_cart["value"].map(lambda d: d.quantize(Decimal("0.01"), ROUND_HALF_UP))

    activity = ev[ev["event_type"].isin(["add_to_cart", "remove_from_cart", "checkout_step"])]
    last = activity.groupby("session_id")["occurred_at"].max()
    started = cart.groupby("session_id")["occurred_at"].min()
    stage_step = ev[ev["event_type"] == "checkout_step"].groupby("session_id")["checkout_step"].max()
    bought = set(ev.loc[ev["event_type"] == "purchase", "session_id"]) | set(orders["session_id"].dropna())
    as_of = max(orders["ordered_at"].max(), events["occurred_at"].max()).normalize()
    cutoff = as_of + pd.Timedelta(days=1) - pd.Timedelta(minutes=IDLE_MINUTES)

    per_cart["last_activity"] = last.reindex(per_cart.index)
    per_cart["started"] = started.reindex(per_cart.index)
    per_cart = per_cart[~per_cart.index.isin(bought) & (per_cart["last_activity"] <= cutoff)]
    names = {0: "cart", 1: "cart", 2: "delivery", 3: "payment", 4: "confirmation"}
    per_cart["abandoned_stage"] = stage_step.reindex(per_cart.index).fillna(0).astype(int).map(names)
    per_cart.attrs["as_of"] = as_of
    return per_cart


def test_abandoned_carts_match_pandas(shop, raw):
    expected = _abandoned_carts(raw)
    got = shop.frame("select cart_id, item_count, cart_value, abandoned_stage, abandoned_at, cart_started_at, "
                     "customer_id, bought_later_at, is_bought_later, cart_products, product_count "
                     "from marts.abandoned_carts").set_index("cart_id")
    assert len(expected) > 50, "the generated shop should abandon carts"
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    assert got["item_count"].tolist() == expected["item_count"].tolist()
    assert [Decimal(str(v)) for v in got["cart_value"]] == expected["cart_value"].tolist()
    assert got["abandoned_stage"].tolist() == expected["abandoned_stage"].tolist()
    assert (pd.to_datetime(got["abandoned_at"]) == expected["last_activity"]).all()
    assert (pd.to_datetime(got["cart_started_at"]) == expected["started"]).all()
    assert (got["cart_products"].str.count("; ") + 1 == got["product_count"].clip(upper=10)).all()


def test_abandoned_carts_bought_later_match_pandas(shop, raw):
    """Carts of sessions that name their customer: the first non-cancelled order of that customer placed after the
    cart started, in another session, up to the as-of date."""
    expected = _abandoned_carts(raw)
    sessions = raw["sessions"].dropna(subset=["customer_id"]).set_index("session_id")["customer_id"]
    orders = raw["orders"]
    orders = orders[(orders["status"] != "cancelled") & orders["customer_id"].notna()
                    & (orders["ordered_at"] < expected.attrs["as_of"] + pd.Timedelta(days=1))]
    got = shop.frame("select cart_id, customer_id, bought_later_at from marts.abandoned_carts").set_index("cart_id")
    checked = 0
    for cart_id, row in expected.iterrows():
        customer = sessions.get(cart_id)
        if customer is None:
            continue
        later = orders[(orders["customer_id"] == customer) & (orders["ordered_at"] > row["started"])
                       & (orders["session_id"].fillna("") != cart_id)]["ordered_at"]
        assert got.loc[cart_id, "customer_id"] == customer
        want = later.min() if len(later) else None
        have = got.loc[cart_id, "bought_later_at"]
        if want is None:
            assert pd.isna(have), cart_id
        else:
            assert pd.Timestamp(have) == want, cart_id
        checked += 1
    assert checked > 20
