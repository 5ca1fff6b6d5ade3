"""Orders and money (issue #11, items 1, 4, 6, 7), each on a small hand-made shop.

- Money keeps its precision until the one point of rounding: an order's
  revenue (int_order_revenue / fct_orders), rounded half up to cents.
"""

from __future__ import annotations

import pytest

from conftest import Warehouse, write_csv

ORDERS_SELECT = ("+fct_orders", "+fct_order_items", "quarantine_shop__orders", "quarantine_shop__order_items")


def _build(tmp_path_factory, name: str, files: dict[str, str], *select: str) -> Warehouse:
    raw = tmp_path_factory.mktemp(f"raw_{name}")
    for table, text in files.items():
        write_csv(raw, table, text)
    wh = Warehouse(tmp_path_factory.mktemp(f"wh_{name}"), raw)
    wh.dbt("build", "--select", *(select or ORDERS_SELECT))  # data tests included: all must pass
    return wh


# -- item 1: money precision -------------------------------------------------

@pytest.fixture(scope="module")
def precise(tmp_path_factory):
    return _build(tmp_path_factory, "precise", {
        "orders": "order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\n",
        "order_items": ("order_id,line_number,product_id,quantity,unit_price\n"
                        "O1,1,BULK-G,300,0.005678\n"
                        "O1,2,SCREW,4,0.004\n"),
        "products": "product_id,list_price\nBULK-G,0.005678\nSCREW,0.004\n",
    }, *ORDERS_SELECT, "+dim_products")


def test_sub_cent_prices_are_multiplied_before_rounding(precise):
    # 300 x 0.005678 + 4 x 0.004 = 1.7034 + 0.016 = 1.7194 -> 1.72 (not 3.00)
    assert precise.query(
        "select cast(gross_revenue as varchar), cast(net_revenue as varchar) from marts.fct_orders"
    ) == [("1.72", "1.72")]


def test_line_amounts_keep_six_decimals(precise):
    assert precise.query(
        "select line_number, cast(unit_price as varchar), cast(gross_revenue as varchar), "
        "cast(net_revenue as varchar) from marts.fct_order_items order by line_number"
    ) == [(1, "0.005678", "1.703400", "1.703400"), (2, "0.004000", "0.016000", "0.016000")]
    assert precise.query(
        "select product_id, cast(list_price as varchar), cast(gross_revenue as varchar) "
        "from marts.dim_products order by product_id"
    ) == [("BULK-G", "0.005678", "1.70"), ("SCREW", "0.004000", "0.02")]


# -- item 6: a file delivered twice, lines without line_number ----------------

ONCE_ORDERS = "order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\nO2,C2,2025-01-11T10:00:00Z\n"
ONCE_ITEMS = "order_id,product_id,quantity,unit_price\nO1,P1,2,10.00\nO1,P2,1,5.00\nO2,P1,1,10.00\n"


@pytest.fixture(scope="module")
def delivered_twice(tmp_path_factory):
    twice_orders = ONCE_ORDERS + ONCE_ORDERS.split("\n", 1)[1]
    twice_items = ONCE_ITEMS + ONCE_ITEMS.split("\n", 1)[1]
    return _build(tmp_path_factory, "twice", {"orders": twice_orders, "order_items": twice_items})


def test_a_double_delivery_counts_once(delivered_twice):
    assert delivered_twice.query(
        "select order_id, cast(net_revenue as varchar), line_count from marts.fct_orders order by 1"
    ) == [("O1", "25.00", 2), ("O2", "10.00", 1)]  # not 50.00 / 20.00
    assert delivered_twice.query(
        "select order_id, product_id, line_number, quarantine_reason "
        "from quarantine.quarantine_shop__order_items order by 1, 2"
    ) == [("O1", "P1", None, "duplicate_key"), ("O1", "P2", None, "duplicate_key"),
          ("O2", "P1", None, "duplicate_key")]


def test_the_build_summary_says_lines_were_merged(delivered_twice):
    from ecomseg.summary import collect, render
    summary = collect(delivered_twice.path)
    assert summary["merged_order_lines"] == 3
    assert "Merged order lines: 3 line(s) without a line_number" in render(summary)


def test_different_unnumbered_lines_are_all_kept(tmp_path_factory):
    # same product in one order but another quantity or price: separate lines, both kept
    wh = _build(tmp_path_factory, "distinct_lines", {
        "orders": "order_id,customer_id,ordered_at\nO1,C1,2025-01-10T10:00:00Z\n",
        "order_items": ("order_id,product_id,quantity,unit_price\n"
                        "O1,P1,1,10.00\nO1,P1,2,10.00\nO1,P1,1,9.00\nO1,P1,1.0,10\n"),
    })
    assert wh.query("select cast(gross_revenue as varchar) from marts.fct_orders") == [("39.00",)]
    assert wh.query("select quarantine_reason from quarantine.quarantine_shop__order_items") == [("duplicate_key",)]


# -- item 4: guest orders ----------------------------------------------------

GUEST_ORDERS = """order_id,customer_id,ordered_at,discount_amount
O1,C1,2025-01-10T10:00:00Z,0
O2,,2025-01-11T10:00:00Z,1.00
O3,C1,2025-01-12T10:00:00Z,0
O4,,2025-01-13T10:00:00Z,0
O5,C2,2025-01-14T10:00:00Z,0
"""
GUEST_ITEMS = """order_id,line_number,product_id,quantity,unit_price
O1,1,P1,1,10.00
O1,2,P2,1,5.00
O2,1,P1,2,10.00
O2,2,P2,1,5.00
O3,1,P3,1,7.00
O4,1,P1,1,10.00
O4,2,P2,1,5.00
O5,1,P3,1,7.00
"""


@pytest.fixture(scope="module")
def guests(tmp_path_factory):
    return _build(tmp_path_factory, "guests", {"orders": GUEST_ORDERS, "order_items": GUEST_ITEMS},
                  *ORDERS_SELECT, "+dim_customers", "+customer_rfm", "+fct_customer_quarterly_spend",
                  "+customer_lifecycle", "+int_basket_items", "+product_association_rules")


def test_guest_orders_are_kept_and_flagged(guests):
    assert guests.query("select count(*) from quarantine.quarantine_shop__orders") == [(0,)]
    assert guests.query(
        "select order_id, customer_id, customer_key is null, is_guest_order, cast(net_revenue as varchar), "
        "order_sequence_number from marts.fct_orders order by 1"
    ) == [("O1", "C1", False, False, "15.00", 1), ("O2", None, True, True, "24.00", None),
          ("O3", "C1", False, False, "7.00", 2), ("O4", None, True, True, "15.00", None),
          ("O5", "C2", False, False, "7.00", 1)]
    assert guests.query(
        "select order_id, count(*), bool_and(is_guest_order) from marts.fct_order_items "
        "where customer_id is null group by 1 order by 1") == [("O2", 2, True), ("O4", 2, True)]


def test_guest_orders_stay_out_of_the_per_customer_marts(guests):
    assert guests.query("select customer_id, order_count, cast(lifetime_net_revenue as varchar) "
                        "from marts.dim_customers order by 1") == [("C1", 2, "22.00"), ("C2", 1, "7.00")]
    assert guests.query("select customer_id from marts.customer_rfm order by 1") == [("C1",), ("C2",)]
    assert guests.query("select customer_id from marts.customer_lifecycle order by 1") == [("C1",), ("C2",)]
    assert guests.query("select customer_id, cast(net_revenue as varchar) "
                        "from marts.fct_customer_quarterly_spend order by 1") == [("C1", "22.00"), ("C2", "7.00")]


def test_guest_orders_are_baskets(guests):
    # P1+P2 are bought together in O1 (C1) and in the guest orders O2 and O4: 3 of 5 baskets
    # (lift 1 / (3/5) = 1.67 passes the default minimum lift 1.5; without the guests it would be 1 of 3)
    assert guests.query("select count(distinct order_id) from intermediate.int_basket_items") == [(5,)]
    assert guests.query(
        "select antecedents, consequent_item, total_transactions, transactions_with_both "
        "from marts.product_association_rules "
        "where antecedents = 'P1' and consequent_item = 'P2'") == [("P1", "P2", 5, 3)]


# -- item 7: currencies ------------------------------------------------------

CURRENCY_ORDERS = """order_id,customer_id,ordered_at,discount_amount,currency
O1,C1,2025-01-10T10:00:00Z,1.00,EUR
O2,C2,2025-01-20T10:00:00Z,,jpy
O3,C1,2025-01-15T10:00:00Z,,
O4,C3,2025-01-12T10:00:00Z,,USD
O5,C1,2025-01-01T10:00:00Z,,EUR
O6,C1,2025-01-20T10:00:00Z,,EUR
O7,C1,2025-01-20T10:00:00Z,,PLN
"""
CURRENCY_ITEMS = """order_id,line_number,product_id,quantity,unit_price
O1,1,P1,2,10.00
O2,1,P2,1,1000
O3,1,P3,1,5.00
O4,1,P1,1,10.00
O5,1,P1,1,10.00
O6,1,P1,1,10.00
O7,1,P3,1,5.00
"""
EXCHANGE_RATES = """currency,rate_date,rate_to_shop_currency
EUR,2025-01-02,4.30
eur,2025-01-15,4.25
JPY,2025-01-01,0.026
GBP,2025-01-01,-5
"""


@pytest.fixture(scope="module")
def currencies(tmp_path_factory):
    return _build(tmp_path_factory, "currencies", {
        "orders": CURRENCY_ORDERS, "order_items": CURRENCY_ITEMS, "exchange_rates": EXCHANGE_RATES,
    }, *ORDERS_SELECT, "+dim_customers", "quarantine_shop__exchange_rates")


def test_orders_are_converted_at_the_rate_in_force_on_the_order_date(currencies):
    assert currencies.query(
        "select order_id, currency, cast(exchange_rate as varchar), cast(original_gross_revenue as varchar), "
        "cast(original_net_revenue as varchar), cast(gross_revenue as varchar), cast(discount_amount as varchar), "
        "cast(net_revenue as varchar) from marts.fct_orders order by 1"
    ) == [
        ("O1", "EUR", "4.300000", "20.00", "19.00", "86.00", "4.30", "81.70"),  # 20 EUR - 1 EUR at 4.30
        ("O2", "JPY", "0.026000", "1000.00", "1000.00", "26.00", "0.00", "26.00"),  # lower-case code
        ("O3", "PLN", "1.000000", "5.00", "5.00", "5.00", "0.00", "5.00"),  # empty: the shop currency
        ("O6", "EUR", "4.250000", "10.00", "10.00", "42.50", "0.00", "42.50"),  # the latest rate before it
        ("O7", "PLN", "1.000000", "5.00", "5.00", "5.00", "0.00", "5.00"),
    ]
    assert currencies.query(
        "select order_id, cast(unit_price as varchar) from marts.fct_order_items order by 1"
    ) == [("O1", "43.000000"), ("O2", "26.000000"), ("O3", "5.000000"), ("O6", "42.500000"), ("O7", "5.000000")]


def test_marts_are_in_the_shop_currency(currencies):
    assert currencies.query(
        "select customer_id, cast(lifetime_net_revenue as varchar) from marts.dim_customers order by 1"
    ) == [("C1", "134.20"), ("C2", "26.00")]


def test_an_order_without_a_rate_is_quarantined_with_its_reason(currencies):
    assert currencies.query(
        "select order_id, quarantine_reason from quarantine.quarantine_shop__orders order by 1"
    ) == [("O4", "unknown_exchange_rate:currency"),  # no USD rate at all
          ("O5", "unknown_exchange_rate:currency")]  # before the first EUR rate
    assert currencies.query(
        "select order_id, quarantine_reason from quarantine.quarantine_shop__order_items order by 1"
    ) == [("O4", "unknown_order"), ("O5", "unknown_order")]
    assert currencies.query(
        "select currency, quarantine_reason from quarantine.quarantine_shop__exchange_rates"
    ) == [("GBP", "out_of_range:rate_to_shop_currency")]


def test_a_discount_covering_sub_cent_lines_leaves_nothing_negative(tmp_path_factory):
    # kept 1.7034 + 0.016 = 1.7194; a 1.72 discount is more than the 171 whole cents kept:
    # every line and the order are worth 0 (not -0.0006), and the lines still reconcile
    wh = _build(tmp_path_factory, "free_order", {
        "orders": "order_id,customer_id,ordered_at,discount_amount\nO1,C1,2025-01-10T10:00:00Z,1.72\n"
                  "O2,C1,2025-01-11T10:00:00Z,0.50\n",
        "order_items": ("order_id,line_number,product_id,quantity,unit_price\n"
                        "O1,1,BULK-G,300,0.005678\nO1,2,SCREW,4,0.004\n"
                        "O2,1,BULK-G,300,0.005678\nO2,2,SCREW,4,0.004\n"),
    })
    assert wh.query("select order_id, cast(net_revenue as varchar) from marts.fct_orders order by 1") == [
        ("O1", "0.00"), ("O2", "1.22")]  # O2: 1.7194 - 0.50 = 1.2194 -> 1.22
    assert wh.query(
        "select order_id, line_number, cast(discount_allocated as varchar), cast(net_revenue as varchar) "
        "from marts.fct_order_items order by 1, 2") == [
        ("O1", 1, "1.70", "0.000000"), ("O1", 2, "0.01", "0.000000"),
        ("O2", 1, "0.50", "1.203400"), ("O2", 2, "0.00", "0.016000")]  # by whole cents kept: 170 and 1
