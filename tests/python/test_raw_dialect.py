"""Shops in their own dialect (issue #11): _dialect.yml, stray quotes, quarantine limits.

Small hand-made shops with exactly known content; every expected value is
worked out by hand from the rows below.
"""

from __future__ import annotations

import pytest

from conftest import write_csv

STAGING = ["--select", "+staging"]


def _orders(n: int) -> str:
    return "order_id,customer_id,ordered_at\n" + "".join(
        f"O{i},C{i % 7},2024-0{1 + i % 9}-1{i % 10}T10:00:00\n" for i in range(1, n + 1))


def test_mostly_quarantined_table_fails_the_build_with_a_diagnosis(tmp_path, make_warehouse):
    """Decimal commas without a dialect: every line is quarantined, the build must fail and say why."""
    write_csv(tmp_path, "orders", _orders(120))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n" + "".join(
        f'O{i},P1,1,"{i},99"\n' for i in range(1, 121)))
    wh = make_warehouse(tmp_path)
    result = wh.dbt("build", *STAGING, check=False)
    assert not result.success
    text = "\n".join(result.failures)
    assert "Raw table 'order_items': 120 of 120 rows (100.0 %) quarantined, above the limit of 20 %" in text, text
    assert "Top reasons: unparseable:unit_price (120)" in text
    assert 'Examples (unparseable:unit_price): "1,99", "10,99", "100,99"' in text
    assert "values look like decimal commas: set decimal_separator: ',' in _dialect.yml" in text
    # orders itself is clean: not named
    assert "Raw table 'orders'" not in text


def test_quarantine_limits_are_vars(tmp_path, make_warehouse):
    """The same shop builds when the limit for order_items is raised; a small table only warns."""
    write_csv(tmp_path, "orders", _orders(120))
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n" + "".join(
        f'O{i},P1,1,"{i},99"\n' for i in range(1, 121)))
    wh = make_warehouse(tmp_path)
    wh.dbt("build", *STAGING, dbt_vars={"quarantine_share_overrides": {"order_items": {"fail_share": 1.0}}})
    assert wh.scalar("select count(*) from quarantine.quarantine_shop__order_items") == 120
    # 99 rows, all bad: below quarantine_min_rows (100), a warning only
    write_csv(tmp_path, "order_items", "order_id,product_id,quantity,unit_price\n" + "".join(
        f'O{i},P1,1,"{i},99"\n' for i in range(1, 100)))
    wh.dbt("build", *STAGING)
    # ... and failing again when min_rows is lowered
    result = wh.dbt("build", *STAGING, check=False, dbt_vars={"quarantine_min_rows": 10})
    assert not result.success
    assert "Raw table 'order_items': 99 of 99 rows" in "\n".join(result.failures)
