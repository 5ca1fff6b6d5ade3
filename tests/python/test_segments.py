"""Segments (models/marts/segments, docs/segments.md) on a generated small shop.

The shop (ecomseg.generator defaults: 2,000 customers, 730 days ending
2026-06-30) is built twice with dbt's Python API into one throw-away DuckDB,
the way the history is meant to grow (one build per day on the data of that
day): first on a copy of the raw files cut at the end of FROM_DATE (rows
recorded later removed) with var as_of_date FROM_DATE, then on the full files
with as_of_date TO_DATE. customer_segment_history then holds two dates and
segment_migration compares them. (Replaying an earlier as-of date on the full
data would move nobody between RFM segments: customer_rfm counts orders after
its as-of date, and shifting every recency by the same days keeps the
quintile ranks. The lifecycle only counts orders up to its as-of date.) Then:

* customer_lifecycle: every customer of dim_customers has exactly one stage,
  every stage is reached on both dates, and stage and stage_entered_date equal
  an independent day-by-day simulation of the rules (reference_stage below:
  the stage on a day from the orders up to that day; the entered date is the
  first day of the current run of equal days).
* customer_behaviour_segments: every membership equals a pandas computation
  from the intermediate order, session and item tables; every segment has
  members.
* segment_summary reconciles with customer_rfm (customers, revenue), lists
  every segment of the seed.
* segment_migration: counts per dimension sum to the customers present on
  both dates and equal a pandas cross-tab of the history.
* customer_segment_history is idempotent: building it again for a stored
  as-of date leaves every row as it was; --full-refresh starts it over
  (only the rows of that build's as-of date are left).

The two builds read two folders of one shop (the cut and the full files),
so the fixture names the shop with WAREHOUSE_IDENTITY: without it, the
warehouse would refuse the second folder (macro check_warehouse_identity).

Reachability: "reactivated" (ordered again after more than a year without
orders, less than 30 days ago) is rare in the generated shop - 1 to 5
customers of 2,000 on any date tried - because the generator's customers seldom
come back after such a gap; it is reached honestly on both dates here.
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from ecomseg import REPO_ROOT, contract
from ecomseg.generator import generate

FROM_DATE = "2026-05-31"
TO_DATE = "2026-06-30"  # the generator's last day
STAGES = {"prospect", "churned", "new", "reactivated", "at_risk", "loyal", "active"}
BEHAVIOURS = {"browser_never_buys", "cart_abandoner", "searcher", "deal_seeker", "category_loyalist",
              "heavy_returner", "one_channel_shopper"}
SEGMENT = "path:models/marts/segments"


def project_vars() -> dict:
    return yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


# Raw timestamp column of each table that has one: a row recorded after the cut is left out.
RECORDED_AT = {"orders": "ordered_at", "events": "occurred_at", "sessions": "started_at",
               "customers": "signed_up_at", "returns": "returned_at", "campaign_sends": "sent_at"}


def cut_raw(full: Path, out: Path, last_day: str) -> None:
    """Copy the raw files as they were at the end of last_day (ISO text and
    timestamps compare the same way; order lines follow their order)."""
    end = (dt.date.fromisoformat(last_day) + dt.timedelta(days=1)).isoformat()
    out.mkdir(parents=True, exist_ok=True)
    removed_orders: set[str] = set()
    for table in ["orders", "order_items", "products", "customers", "returns", "sessions", "events",
                  "campaign_sends"]:
        data = pd.read_parquet(full / f"{table}.parquet")
        schema = pq.read_schema(full / f"{table}.parquet")
        if table in RECORDED_AT:
            column = data[RECORDED_AT[table]]
            text = column.astype(str).str.replace(" ", "T")
            keep = column.isna() | (text < end)
            if table == "orders":
                removed_orders = set(data.order_id[~keep])
            data = data[keep]
        if table == "order_items":
            data = data[~data.order_id.isin(removed_orders)]
        pq.write_table(pa.Table.from_pandas(data, schema=schema, preserve_index=False), out / f"{table}.parquet")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from conftest import NO_DATA_TESTS, Warehouse
    logs = tmp_path_factory.mktemp("segments_logs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_LOG_PATH", str(logs))
        mp.setenv("WAREHOUSE_IDENTITY", "segments-test-shop")  # one shop, delivered in two folders
        raw = tmp_path_factory.mktemp("segments_raw")
        generate(raw)
        cut = tmp_path_factory.mktemp("segments_raw_cut")
        cut_raw(raw, cut, FROM_DATE)
        wh = Warehouse(tmp_path_factory.mktemp("segments_wh"), cut)
        # the shop grows by files rewritten in place (cut, then whole): read every table in full each build
        wh.default_vars = {"incremental_raw_tables": []}
        # the data tests on the second build (the whole shop), the state the tests read
        wh.dbt("build", "--select", f"+{SEGMENT}", *NO_DATA_TESTS, dbt_vars={"as_of_date": FROM_DATE})
        wh.raw_dir = raw
        wh.dbt("build", "--select", f"+{SEGMENT}", dbt_vars={"as_of_date": TO_DATE})
        yield wh


def frame(wh, sql: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(wh.query(sql), columns=columns)


# --------------------------------------------------------------------------
# Lifecycle: an independent day-by-day implementation of the rules
# --------------------------------------------------------------------------

class Rules:
    def __init__(self, v: dict):
        self.new = int(v["lifecycle_new_days"])
        self.loyal = int(v["lifecycle_loyal_min_orders"])
        self.multiplier = float(v["lifecycle_at_risk_gap_multiplier"])
        self.default_gap = float(v["lifecycle_default_gap_days"])
        self.min_days = float(v["lifecycle_at_risk_min_days"])
        self.churn = int(v["lifecycle_churn_days"])

    def stage_on(self, day: dt.date, dates: list[dt.date]) -> str:
        """Stage on `day` from the (sorted) order dates up to that day."""
        k = bisect.bisect_right(dates, day)
        if k == 0:
            return "prospect"
        first, last = dates[0], dates[k - 1]
        since_last = (day - last).days
        if since_last > self.churn:
            return "churned"
        if (day - first).days < self.new:
            return "new"
        reactivations = [dates[i] for i in range(1, k) if (dates[i] - dates[i - 1]).days - 1 > self.churn]
        if reactivations and (day - reactivations[-1]).days < self.new:
            return "reactivated"
        usual_gap = (last - first).days / (k - 1) if k >= 2 else self.default_gap
        if since_last > max(self.multiplier * usual_gap, self.min_days):
            return "at_risk"
        return "loyal" if k >= self.loyal else "active"

    def stage_and_entered(self, as_of: dt.date, dates: list[dt.date]) -> tuple[str, dt.date]:
        stage = self.stage_on(as_of, dates)
        day = as_of
        while day > dates[0] and self.stage_on(day - dt.timedelta(days=1), dates) == stage:
            day -= dt.timedelta(days=1)
        return stage, day


def order_dates(wh, as_of: str) -> dict[str, list[dt.date]]:
    orders = frame(wh, f"""
        select customer_id, order_date from intermediate.int_order_revenue
        where not is_cancelled and order_date <= date '{as_of}'""", ["customer_id", "order_date"])
    return {c: sorted(g.tolist()) for c, g in orders.groupby("customer_id").order_date}


@pytest.mark.parametrize("as_of", [FROM_DATE, TO_DATE])
def test_lifecycle_equals_a_day_by_day_simulation_of_the_rules(shop, as_of):
    rules = Rules(project_vars())
    history = frame(shop, f"""
        select customer_id, lifecycle_stage, stage_entered_date from marts.customer_segment_history
        where as_of_date = date '{as_of}'""", ["customer_id", "lifecycle_stage", "stage_entered_date"])
    dates = order_dates(shop, as_of)
    as_of_day = dt.date.fromisoformat(as_of)
    mismatches = []
    for row in history.itertuples():
        customer_dates = dates.get(row.customer_id)
        if not customer_dates:
            if row.lifecycle_stage != "prospect" or row.stage_entered_date > as_of_day:
                mismatches.append((row.customer_id, "prospect", row.lifecycle_stage))
            continue
        expected = rules.stage_and_entered(as_of_day, customer_dates)
        if expected != (row.lifecycle_stage, row.stage_entered_date):
            mismatches.append((row.customer_id, expected, (row.lifecycle_stage, row.stage_entered_date)))
    assert not mismatches, f"{len(mismatches)} differ, e.g. {mismatches[:5]}"
    # every stage is reached on both dates
    counts = history.lifecycle_stage.value_counts()
    assert set(counts.index) == STAGES, counts.to_dict()


def test_every_customer_has_exactly_one_stage(shop):
    customers = {r[0] for r in shop.query("select customer_id from marts.dim_customers")}
    lifecycle = shop.query("select customer_id, lifecycle_stage, as_of_date from marts.customer_lifecycle")
    assert len(lifecycle) == len(customers)
    assert {r[0] for r in lifecycle} == customers
    assert {r[1] for r in lifecycle} == STAGES
    assert {r[2] for r in lifecycle} == {dt.date.fromisoformat(TO_DATE)}
    # dates: entered on or before the as-of date, and not before the first order for buyers
    bad = shop.scalar("""
        select count(*) from marts.customer_lifecycle
        where stage_entered_date > as_of_date
           or (order_count > 0 and stage_entered_date < first_order_date)
           or (lifecycle_stage = 'prospect') <> (order_count = 0)""")
    assert bad == 0


# --------------------------------------------------------------------------
# Behaviour segments against pandas
# --------------------------------------------------------------------------

def expected_behaviour(wh, v: dict) -> set[tuple[str, str, float, int]]:
    as_of = TO_DATE
    sessions = frame(wh, f"""
        select customer_id, search_count, cart_add_count, is_converted
        from intermediate.int_sessions_stitched
        where customer_id is not null and session_date <= date '{as_of}'""",
                     ["customer_id", "search_count", "cart_add_count", "is_converted"])
    orders = frame(wh, f"""
        select o.order_id, o.customer_id, o.discount_amount, o.gross_revenue, o.returned_revenue, s.device
        from intermediate.int_order_revenue as o
        left join intermediate.int_sessions_stitched as s on o.session_id = s.session_id
        where not o.is_cancelled and o.order_date <= date '{as_of}'""",
                   ["order_id", "customer_id", "discount", "gross", "returned", "device"])
    items = frame(wh, f"""
        select distinct i.customer_id, i.order_id, p.category
        from intermediate.int_order_item_revenue as i
        inner join staging.stg_shop__products as p on i.product_id = p.product_id
        where not i.is_cancelled and i.order_date <= date '{as_of}' and p.category is not null""",
                  ["customer_id", "order_id", "category"])
    out: set[tuple[str, str, float, int]] = set()
    s = sessions.assign(search=sessions.search_count > 0, cart=sessions.cart_add_count > 0,
                        abandoned=(sessions.cart_add_count > 0) & ~sessions.is_converted.astype(bool))
    per_session = s.groupby("customer_id").agg(n=("search", "size"), search=("search", "sum"),
                                               cart=("cart", "sum"), abandoned=("abandoned", "sum"))
    per_order = orders.assign(disc=orders.discount > 0).groupby("customer_id").agg(
        n=("order_id", "size"), disc=("disc", "sum"),
        gross=("gross", lambda x: sum(int(d * 100) for d in x)),
        returned=("returned", lambda x: sum(int(d * 100) for d in x)))
    buyers = set(per_order.index)
    for c, r in per_session.iterrows():
        if c not in buyers and r.n >= v["behaviour_browser_min_sessions"]:
            out.add((c, "browser_never_buys", float(r.n), int(r.n)))
        if r.cart >= v["behaviour_cart_abandoner_min_cart_sessions"] and \
                r.abandoned / r.cart >= v["behaviour_cart_abandoner_min_rate"]:
            out.add((c, "cart_abandoner", r.abandoned / r.cart, int(r.cart)))
        if r.n >= v["behaviour_searcher_min_sessions"] and r.search / r.n >= v["behaviour_searcher_min_share"]:
            out.add((c, "searcher", r.search / r.n, int(r.n)))
    for c, r in per_order.iterrows():
        if r.n >= v["behaviour_deal_seeker_min_orders"] and r.disc / r.n >= v["behaviour_deal_seeker_min_share"]:
            out.add((c, "deal_seeker", r.disc / r.n, int(r.n)))
        if r.n >= v["behaviour_heavy_returner_min_orders"] and r.gross > 0 and \
                r.returned / r.gross >= v["behaviour_heavy_returner_min_return_rate"]:
            out.add((c, "heavy_returner", r.returned / r.gross, int(r.n)))
    for c, g in items.groupby("customer_id"):
        n = g.order_id.nunique()
        top = g.groupby("category").order_id.nunique().max()
        if n >= v["behaviour_category_loyalist_min_orders"] and top / n >= v["behaviour_category_loyalist_min_share"]:
            out.add((c, "category_loyalist", top / n, n))
    known = orders[orders.device.isin(contract.known_values("sessions", "device"))]
    for c, g in known.groupby("customer_id"):
        n, top = len(g), g.device.value_counts().max()
        if n >= v["behaviour_one_channel_min_orders"] and top / n >= v["behaviour_one_channel_min_share"]:
            out.add((c, "one_channel_shopper", top / n, n))
    return {(c, seg, round(float(val), 9), n) for c, seg, val, n in out}


def test_behaviour_segments_equal_pandas(shop):
    actual = {(c, seg, round(val, 9), n) for c, seg, val, n in shop.query(
        "select customer_id, behaviour_segment, metric_value, basis_count from marts.customer_behaviour_segments")}
    expected = expected_behaviour(shop, project_vars())
    assert actual == expected, (sorted(actual - expected)[:5], sorted(expected - actual)[:5])
    assert {seg for _, seg, _, _ in actual} == BEHAVIOURS
    # every row explains itself: the metric meets the threshold, the reason carries the numbers
    bad = shop.scalar("""
        select count(*) from marts.customer_behaviour_segments
        where metric_value < threshold or reason is null or reason not like '%threshold%'""")
    assert bad == 0
    multi = shop.scalar("""
        select count(*) from (select customer_id from marts.customer_behaviour_segments
                              group by customer_id having count(*) > 1) as m""")
    assert multi > 0  # a customer can be in several segments


# --------------------------------------------------------------------------
# Segment summary
# --------------------------------------------------------------------------

def test_segment_summary_reconciles_with_customer_rfm(shop):
    summary = frame(shop, "select segment_name, customer_count, net_revenue, customer_share, revenue_share, "
                          "order_count from marts.segment_summary",
                    ["segment_name", "customer_count", "net_revenue", "customer_share", "revenue_share",
                     "order_count"])
    seeds = pd.read_csv(REPO_ROOT / "seeds" / "rfm_segments.csv")
    assert sorted(summary.segment_name) == sorted(seeds.segment_name)  # every segment, even an empty one
    customers, revenue, orders = shop.query(
        "select count(*), sum(monetary), sum(frequency) from marts.customer_rfm")[0]
    assert summary.customer_count.sum() == customers
    assert sum(summary.net_revenue, Decimal("0")) == revenue
    assert summary.order_count.sum() == orders
    per_segment = dict(shop.query("select segment_name, count(*) from marts.customer_rfm group by segment_name"))
    for row in summary.itertuples():
        assert row.customer_count == per_segment.get(row.segment_name, 0)
    assert summary.customer_share.sum() == pytest.approx(1.0)
    assert summary.revenue_share.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------
# History and migration
# --------------------------------------------------------------------------

def test_history_holds_both_dates_and_migration_compares_them(shop):
    dates = shop.query("select as_of_date, count(*) from marts.customer_segment_history group by 1 order by 1")
    assert [d for d, _ in dates] == [dt.date.fromisoformat(FROM_DATE), dt.date.fromisoformat(TO_DATE)]
    history = frame(shop, "select as_of_date, customer_id, rfm_segment_name, lifecycle_stage "
                          "from marts.customer_segment_history",
                    ["as_of_date", "customer_id", "rfm_segment_name", "lifecycle_stage"])
    history["rfm_segment_name"] = history.rfm_segment_name.fillna("(none)")
    before = history[history.as_of_date == dt.date.fromisoformat(FROM_DATE)].set_index("customer_id")
    after = history[history.as_of_date == dt.date.fromisoformat(TO_DATE)].set_index("customer_id")
    both = before.add_suffix("_from").join(after.add_suffix("_to"), how="inner")

    migration = frame(shop, "select dimension, from_date, to_date, from_value, to_value, is_moved, customer_count "
                            "from marts.segment_migration",
                      ["dimension", "from_date", "to_date", "from_value", "to_value", "is_moved", "customer_count"])
    assert len(migration) > 0
    assert set(migration.from_date) == {dt.date.fromisoformat(FROM_DATE)}
    assert set(migration.to_date) == {dt.date.fromisoformat(TO_DATE)}
    for dimension, column in (("rfm_segment", "rfm_segment_name"), ("lifecycle_stage", "lifecycle_stage")):
        rows = migration[migration.dimension == dimension]
        assert rows.customer_count.sum() == len(both), dimension
        expected = both.groupby([f"{column}_from", f"{column}_to"]).size().to_dict()
        actual = {(r.from_value, r.to_value): r.customer_count for r in rows.itertuples()}
        assert actual == expected, dimension
        assert rows.is_moved.any(), f"nobody moved in {dimension}"


def test_history_is_idempotent_per_as_of_date(shop):
    query = "select * from marts.customer_segment_history order by segment_history_id"
    stored = shop.query(query)
    # build the history again for a date it holds: nothing is appended or changed
    shop.dbt("run", "--select", "customer_segment_history", dbt_vars={"as_of_date": TO_DATE})
    assert shop.query(query) == stored
    # --full-refresh starts it over: only this build's as-of date is left, with the same rows
    shop.dbt("run", "--select", "customer_segment_history", "--full-refresh", dbt_vars={"as_of_date": TO_DATE})
    without_time = "select * exclude (recorded_at) from marts.customer_segment_history order by segment_history_id"
    to_date = dt.date.fromisoformat(TO_DATE)
    refreshed = shop.query(without_time)
    assert refreshed and {row[1] for row in refreshed} == {to_date}
    assert refreshed == [row[:-1] for row in stored if row[1] == to_date]
