"""Orders and money (issue #11, items 1, 4, 6, 7), each on a small hand-made shop.

- Money keeps its precision until the one point of rounding: an order's
  revenue (int_order_revenue / fct_orders), rounded half up to cents.
"""

from __future__ import annotations

import pytest

from conftest import Warehouse, write_csv

ORDERS_SELECT = ("+fct_orders", "+fct_order_items")


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
