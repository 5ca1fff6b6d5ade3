"""Shop time (issue #11 item 8): every date, hour, weekday and quarter a person
reads is in var('shop_timezone'); timestamps stay UTC.

A tiny CSV shop is built with shop_timezone = Europe/Warsaw. Its orders sit on
both sides of the 2025 spring and autumn daylight-saving changes and of the
2024/2025 new year, where the UTC date, hour, weekday or quarter differs from
Warsaw's. Hand-written values pin the headline cases; a generated list of
instants (every 20 minutes across each change, one customer per instant) is
compared with Python's zoneinfo as the reference.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import Warehouse, write_csv

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = dt.timezone.utc


def _instants() -> list[dt.datetime]:
    """UTC instants (naive) every 20 minutes across the three edges."""
    edges = [dt.datetime(2025, 3, 29, 20), dt.datetime(2025, 10, 25, 22), dt.datetime(2024, 12, 31, 20)]
    return [edge + dt.timedelta(minutes=20 * k) for edge in edges for k in range(25)]


GENERATED = {f"G{index:03d}": at for index, at in enumerate(_instants())}

# Named orders: (order_id, customer_id, ordered_at UTC)
ORDERS = [
    ("O1", "C1", "2025-03-29T23:30:00"),  # Warsaw 2025-03-30 00:30 CET (+1), a Sunday; UTC: Saturday 23h
    ("O2", "C2", "2025-03-30T01:30:00"),  # Warsaw 03:30 CEST (+2): after the spring change
    ("O3", "C3", "2024-12-31T23:30:00"),  # Warsaw 2025-01-01 00:30: 2025-Q1, a Wednesday; UTC: 2024-Q4
    ("O4", "C4", "2025-10-26T00:30:00"),  # Warsaw 02:30 CEST (+2), before the autumn change
    ("O5", "C4", "2025-10-26T01:30:00"),  # Warsaw 02:30 CET (+1), after it: the same wall-clock hour
    ("O6", "C1", "2025-12-31T23:15:00"),  # Warsaw 2026-01-01 00:15: the latest data, so the as-of date
]


def _local(at: dt.datetime) -> dt.datetime:
    """Wall clock in Warsaw of a naive UTC datetime (the reference: zoneinfo)."""
    return at.replace(tzinfo=UTC).astimezone(WARSAW)


@pytest.fixture(scope="module")
def warsaw(tmp_path_factory) -> Warehouse:
    raw = tmp_path_factory.mktemp("shop_time")
    orders = [*ORDERS, *((f"X{c}", c, f"{at:%Y-%m-%dT%H:%M:%S}") for c, at in GENERATED.items())]
    write_csv(raw, "orders", "order_id,customer_id,ordered_at\n"
              + "".join(f"{o},{c},{at}\n" for o, c, at in orders))
    write_csv(raw, "order_items", "order_id,product_id,quantity,unit_price\n"
              + "".join(f"{o},P1,1,10.00\n" for o, _, _ in orders))
    write_csv(raw, "products", "product_id,category\nP1,tools\n")
    write_csv(raw, "customers", (
        "customer_id,signed_up_at\n"
        "C1,2025-03-29T22:10:00\n"
        "C2,2025-03-29T23:40:00\n"  # Warsaw 2025-03-30 00:40
        "C3,2024-12-31T23:10:00\n"  # Warsaw 2025-01-01 00:10
        "C4,2025-10-01T10:00:00\n"))
    write_csv(raw, "sessions", (
        "session_id,visitor_id,customer_id,started_at\n"
        "S1,V1,C1,2025-03-29T22:00:00\n"  # Warsaw 2025-03-29 23:00: the day before O1 there
        "S2,V2,C2,2025-03-29T23:50:00\n"))  # Warsaw 2025-03-30 00:50: the day of O2 there
    write_csv(raw, "events", (
        "event_id,session_id,visitor_id,customer_id,occurred_at,event_type\n"
        "E1,S2,V2,C2,2025-03-29T23:55:00,page_view\n"))
    wh = Warehouse(tmp_path_factory.mktemp("wh_shop_time"), raw)
    wh.dbt("build", "--select", "+dim_customers", "+fct_orders", "+fct_customer_quarterly_spend",
           "+fct_sessions", "+customer_lifecycle", "+stg_shop__events",
           dbt_vars={"shop_timezone": "Europe/Warsaw"})
    return wh


def test_order_dates_are_warsaw_dates_and_timestamps_stay_utc(warsaw):
    rows = {o: (str(at), d) for o, at, d in warsaw.query(
        "select order_id, ordered_at, order_date from marts.fct_orders where order_id like 'O%'")}
    assert rows == {
        "O1": ("2025-03-29 23:30:00", dt.date(2025, 3, 30)),
        "O2": ("2025-03-30 01:30:00", dt.date(2025, 3, 30)),
        "O3": ("2024-12-31 23:30:00", dt.date(2025, 1, 1)),
        "O4": ("2025-10-26 00:30:00", dt.date(2025, 10, 26)),
        "O5": ("2025-10-26 01:30:00", dt.date(2025, 10, 26)),
        "O6": ("2025-12-31 23:15:00", dt.date(2026, 1, 1)),
    }
    staged = dict(warsaw.query("select order_id, order_date from staging.stg_shop__orders where order_id like 'O%'"))
    assert staged == {o: d for o, (_, d) in rows.items()}


def test_preferred_weekday_and_hour_are_in_shop_time_across_dst(warsaw):
    rows = {c: (w, h) for c, w, h in warsaw.query(
        "select customer_id, preferred_order_weekday, preferred_order_hour from marts.dim_customers "
        "where customer_id like 'C%'")}
    assert rows == {
        "C1": (4, 0),  # O1 Sunday 00:30, O6 Thursday 00:15: weekdays tie, the smallest wins (UTC: 3, 23)
        "C2": (7, 3),  # Sunday 03:30 CEST (UTC: 01:30)
        "C3": (3, 0),  # Wednesday 2025-01-01 00:30 (UTC: Tuesday 23:30)
        "C4": (7, 2),  # both 02:30 local, one CEST and one CET (UTC: 00:30 and 01:30)
    }


def test_generated_instants_match_zoneinfo(warsaw):
    rows = {c: (d, w, h, q) for c, d, w, h, q in warsaw.query("""
        select customers.customer_id, customers.first_order_date, customers.preferred_order_weekday,
            customers.preferred_order_hour, quarters.quarter_start_date
        from marts.dim_customers as customers
        inner join marts.fct_customer_quarterly_spend as quarters
            on customers.customer_id = quarters.customer_id
        where customers.customer_id like 'G%'""")}
    expected = {}
    for customer_id, at in GENERATED.items():
        local = _local(at)
        quarter_start = dt.date(local.year, 3 * ((local.month - 1) // 3) + 1, 1)
        expected[customer_id] = (local.date(), local.isoweekday(), local.hour, quarter_start)
    assert rows == expected
    # a real test: the UTC reading differs for many of them (date, hour and quarter)
    assert sum(at.hour != _local(at).hour for at in GENERATED.values()) == len(GENERATED)
    assert sum(at.date() != _local(at).date() for at in GENERATED.values()) >= 10
    assert any(at.year != _local(at).year for at in GENERATED.values())


def test_quarters_are_shop_quarters(warsaw):
    assert warsaw.query("""
        select customer_id, quarter_start_date, calendar_year, calendar_quarter
        from marts.fct_customer_quarterly_spend where customer_id in ('C1', 'C3') order by 1, 2""") == [
        ("C1", dt.date(2025, 1, 1), 2025, 1),  # O1: 2025-03-30 in Warsaw (UTC: also Q1)
        ("C1", dt.date(2026, 1, 1), 2026, 1),  # O6: 2026-01-01 in Warsaw (UTC: 2025-Q4)
        ("C3", dt.date(2025, 1, 1), 2025, 1),  # O3: 2025-01-01 in Warsaw (UTC: 2024-Q4)
    ]


def test_as_of_date_and_day_counts_are_in_shop_time(warsaw):
    # the latest data time, 2025-12-31T23:15Z, is 2026-01-01 in Warsaw
    assert warsaw.scalar("select latest_data_date from intermediate.int_latest_data_date") == dt.date(2026, 1, 1)
    assert set(warsaw.query("select distinct as_of_date from marts.dim_customers")) == {(dt.date(2026, 1, 1),)}
    lifecycle = {c: (a, last, days) for c, a, last, days in warsaw.query(
        "select customer_id, as_of_date, last_order_date, days_since_last_order from marts.customer_lifecycle "
        "where customer_id like 'C%'")}
    assert lifecycle == {
        "C1": (dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0),  # UTC: 2025-12-31 both, also 0
        "C2": (dt.date(2026, 1, 1), dt.date(2025, 3, 30), 277),  # UTC: 2025-12-31 - 2025-03-30 = 276
        "C3": (dt.date(2026, 1, 1), dt.date(2025, 1, 1), 365),
        "C4": (dt.date(2026, 1, 1), dt.date(2025, 10, 26), 67),
    }


def test_session_and_event_dates_and_visit_to_order_days_are_in_shop_time(warsaw):
    assert warsaw.query("select session_id, session_date from marts.fct_sessions order by 1") == [
        ("S1", dt.date(2025, 3, 29)),
        ("S2", dt.date(2025, 3, 30)),  # 23:50Z is 00:50 in Warsaw
    ]
    assert warsaw.query("select event_id, event_date from staging.stg_shop__events") == [("E1", dt.date(2025, 3, 30))]
    days = dict(warsaw.query("select customer_id, days_from_first_visit_to_first_order from marts.dim_customers "
                             "where customer_id in ('C1', 'C2')"))
    # C1: visit 2025-03-29 23:00, order 2025-03-30 00:30 (Warsaw): one day (UTC: same day, 0)
    # C2: visit 2025-03-30 00:50, order 2025-03-30 03:30 (Warsaw): same day (UTC: 03-29 -> 03-30, 1)
    assert days == {"C1": 1, "C2": 0}


def test_the_default_utc_reads_the_same_orders_in_utc(make_warehouse, warsaw):
    wh = make_warehouse(warsaw.raw_dir)
    wh.dbt("build", "--select", "+fct_orders", "+dim_customers", "--exclude", "test_type:unit")  # default var
    assert dict(wh.query("select order_id, order_date from marts.fct_orders where order_id like 'O%'")) == {
        "O1": dt.date(2025, 3, 29), "O2": dt.date(2025, 3, 30), "O3": dt.date(2024, 12, 31),
        "O4": dt.date(2025, 10, 26), "O5": dt.date(2025, 10, 26), "O6": dt.date(2025, 12, 31)}
    assert {c: (w, h) for c, w, h in wh.query(
        "select customer_id, preferred_order_weekday, preferred_order_hour from marts.dim_customers "
        "where customer_id like 'C%'")} == {"C1": (3, 23), "C2": (7, 1), "C3": (2, 23), "C4": (7, 0)}
    assert wh.scalar("select latest_data_date from intermediate.int_latest_data_date") == dt.date(2025, 12, 31)


def test_without_data_the_as_of_date_is_the_shops_date_of_the_run(make_warehouse, tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw, "orders", "order_id,customer_id,ordered_at\n")
    write_csv(raw, "order_items", "order_id,product_id,quantity,unit_price\n")
    wh = make_warehouse(raw)
    before = dt.datetime.now(WARSAW).date()
    wh.dbt("build", "--select", "+int_latest_data_date", "--exclude", "test_type:unit",
           dbt_vars={"shop_timezone": "Europe/Warsaw"})
    after = dt.datetime.now(WARSAW).date()
    assert wh.scalar("select latest_data_date from intermediate.int_latest_data_date") in {before, after}


def test_an_unknown_time_zone_is_a_clear_error(make_warehouse, tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw, "orders", "order_id,customer_id,ordered_at\nO1,C1,2025-01-01T10:00:00\n")
    write_csv(raw, "order_items", "order_id,product_id,quantity,unit_price\nO1,P1,1,1.00\n")
    wh = make_warehouse(raw)
    result = wh.dbt("build", "--select", "stg_shop__orders", check=False,
                    dbt_vars={"shop_timezone": "Europe/Warsw"})
    assert not result.success
    assert any("shop_timezone" in f and "Europe/Warsw" in f for f in result.failures), result.failures
