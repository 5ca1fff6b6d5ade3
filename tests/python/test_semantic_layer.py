"""Issue #16 point 3: the MetricFlow semantic layer (models/semantic/, docs/semantic-layer.md).

One small generated shop is built (only the marts the semantic models read, and
the time spine); then the `mf` command line is run as a user runs it: it reads
target/semantic_manifest.json of a dbt project folder and queries the DuckDB
file of the profile (DUCKDB_PATH). So that this module does not write the
repository's target/, mf runs on a folder that links the project's files and
holds the manifest of this build (DBT_PROJECT_DIR). Every metric value mf
returns is compared with the same number computed in SQL straight on the marts.
"""

from __future__ import annotations

import csv
import re
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import without_unit_tests
from ecomseg import REPO_ROOT
from ecomseg.dbt_runner import run_dbt
from ecomseg.manifest import layer_of, load_manifest

CUSTOMERS = 300
SEED = 20261130
MF = Path(sys.executable).parent / "mf"  # installed beside this interpreter (requirements.txt)
PROJECT_FILES = ["dbt_project.yml", "profiles.yml", "selectors.yml", "models", "macros", "seeds", "tests",
                 "analyses"]


class Shop:
    def __init__(self, root: Path):
        self.root = root
        self.raw_dir = root / "raw"
        self.path = root / "wh.duckdb"
        self.target = root / "target"
        self.project = root / "project"  # the dbt project as mf sees it

    def rows(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def mf(self, *args: str) -> subprocess.CompletedProcess:
        # the profile's read-only target `bi`, as documented for the published copy (docs/semantic-layer.md)
        env = {**os.environ, "DBT_PROJECT_DIR": str(self.project), "DBT_PROFILES_DIR": str(REPO_ROOT),
               "DBT_TARGET": "bi", "DUCKDB_PATH": str(self.path), "RAW_DATA_DIR": str(self.raw_dir)}
        return subprocess.run([str(MF), *args], cwd=self.project, env=env, capture_output=True, text=True,
                              timeout=600)

    def query(self, *args: str) -> list[dict]:
        out = self.root / "query.csv"
        out.unlink(missing_ok=True)
        done = self.mf("query", *args, "--csv", str(out))
        assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
        with open(out, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Shop:
    from ecomseg.generator import generate

    if not MF.exists():
        pytest.fail(f"{MF} is missing: dbt-metricflow is pinned in requirements.txt (make install)")
    s = Shop(tmp_path_factory.mktemp("semantic_shop"))
    generate(s.raw_dir, customers=CUSTOMERS, seed=SEED)
    run_dbt(without_unit_tests(["build", "--select", "+fct_orders", "+fct_sessions", "+dim_customers", "+customer_rfm",
             "+customer_lifecycle", "+campaign_results", "int_time_spine_day", "--log-path", str(s.root / "logs")]),
            raw_dir=s.raw_dir, duckdb_path=s.path, target_path=s.target)
    s.project.mkdir()
    for name in PROJECT_FILES:
        (s.project / name).symlink_to(REPO_ROOT / name)
    (s.project / "target").mkdir()
    shutil.copy(s.target / "semantic_manifest.json", s.project / "target" / "semantic_manifest.json")
    return s


def _num(text: str) -> Decimal | None:
    return None if text in ("", None) else Decimal(text)


def _key(value) -> str:
    return "" if value is None else str(value)


def _close(got: Decimal | None, want, places: int = 6) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return abs(got - Decimal(str(want))) < Decimal(10) ** -places


def test_the_configs_validate_against_the_warehouse(shop):
    done = shop.mf("validate-configs")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Successfully parsed manifest from dbt project" in output, output
    # the semantics, then every warehouse check (semantic models, dimensions, entities, measures, metrics)
    assert output.count("(ERRORS: 0, FUTURE_ERRORS: 0") == 6, output
    assert "Successfully validated metrics against data warehouse" in output


def test_revenue_orders_and_customers_per_rfm_segment_equal_the_marts(shop):
    got = {row["customer__segment_name"]: row
           for row in shop.query("--metrics", "revenue,orders,customers", "--group-by", "customer__segment_name")}
    revenue = {segment: (amount, orders) for segment, amount, orders in shop.rows("""
        select rfm.segment_name, sum(o.net_revenue), sum(case when o.is_cancelled then 0 else 1 end)
        from marts.fct_orders as o left join marts.customer_rfm as rfm on o.customer_id = rfm.customer_id
        group by 1""")}
    customers = dict(shop.rows("""
        select rfm.segment_name, count(*)
        from marts.dim_customers as c left join marts.customer_rfm as rfm on c.customer_id = rfm.customer_id
        group by 1"""))
    segments = {_key(s) for s in revenue} | {_key(s) for s in customers}
    assert len(segments) >= 5  # the shop has customers in several segments
    assert set(got) == segments
    for segment, (want_revenue, want_orders) in revenue.items():
        row = got[_key(segment)]
        assert _num(row["revenue"]) == want_revenue, segment
        assert int(row["orders"]) == want_orders, segment
    for segment, want in customers.items():
        assert int(got[_key(segment)]["customers"]) == want, segment
    # every customer counted once, every order's revenue once
    assert sum(int(r["customers"]) for r in got.values()) == shop.rows("select count(*) from marts.dim_customers")[0][0]
    assert sum(_num(r["revenue"]) for r in got.values()) == shop.rows(
        "select sum(net_revenue) from marts.fct_orders")[0][0]


def test_revenue_orders_and_average_order_value_per_month_equal_the_marts(shop):
    got = {row["metric_time__month"][:10]: row for row in shop.query(
        "--metrics", "revenue,orders,average_order_value", "--group-by", "metric_time__month")}
    want = {str(month): (revenue, orders) for month, revenue, orders in shop.rows("""
        select cast(date_trunc('month', order_date) as date), sum(net_revenue),
               sum(case when is_cancelled then 0 else 1 end)
        from marts.fct_orders group by 1""")}
    assert len(want) >= 12 and set(got) == set(want)
    for month, (revenue, orders) in want.items():
        row = got[month]
        assert _num(row["revenue"]) == revenue and int(row["orders"]) == orders, month
        assert _close(_num(row["average_order_value"]), revenue / orders if orders else None), month


def test_conversion_and_cart_abandonment_per_month_and_campaign_equal_the_marts(shop):
    got = {row["metric_time__month"][:10]: row for row in shop.query(
        "--saved-query", "conversion_by_month")}
    want = shop.rows("""
        select cast(date_trunc('month', session_date) as date), count(*),
               avg(case when is_converted then 1.0 else 0.0 end),
               sum(case when cart_add_count > 0 and not is_converted then 1 else 0 end) * 1.0
                   / nullif(sum(case when cart_add_count > 0 then 1 else 0 end), 0)
        from marts.fct_sessions group by 1""")
    assert len(want) >= 12 and set(got) == {str(m) for m, *_ in want}
    for month, sessions, conversion, abandonment in want:
        row = got[str(month)]
        assert int(row["sessions"]) == sessions
        assert _close(_num(row["session_conversion_rate"]), conversion), month
        assert _close(_num(row["cart_abandonment_rate"]), abandonment), month
    assert 0 < sum(float(r["cart_abandonment_rate"]) for r in got.values()) < len(got)  # neither 0 nor 1 everywhere

    campaigns = {row["session__campaign"]: row for row in shop.query("--saved-query", "campaign_conversion")}
    want = shop.rows("""
        select campaign, count(*), avg(case when is_converted then 1.0 else 0.0 end)
        from marts.fct_sessions where campaign is not null group by 1""")
    assert want, "the shop has campaign sessions"
    for campaign, sessions, conversion in want:
        row = campaigns[campaign]
        assert int(row["campaign_sessions"]) == sessions
        assert _close(_num(row["campaign_session_conversion_rate"]), conversion), campaign


def test_repeat_purchase_rate_per_stage_channel_and_region_equals_the_marts(shop):
    dims = "customer__lifecycle_stage,customer__acquisition_channel,customer__region"
    got = {(r["customer__lifecycle_stage"], r["customer__acquisition_channel"], r["customer__region"]): r
           for r in shop.query("--metrics", "customers,buyers,repeat_purchase_rate", "--group-by", dims)}
    want = shop.rows("""
        select l.lifecycle_stage, c.acquisition_channel, c.region, count(*),
               sum(case when c.order_count >= 1 then 1 else 0 end),
               sum(case when c.order_count >= 2 then 1 else 0 end) * 1.0
                   / nullif(sum(case when c.order_count >= 1 then 1 else 0 end), 0)
        from marts.dim_customers as c left join marts.customer_lifecycle as l on c.customer_id = l.customer_id
        group by 1, 2, 3""")
    assert len(want) > 20 and set(got) == {(_key(s), _key(t), _key(r)) for s, t, r, *_ in want}
    for stage, channel, region, customers, buyers, rate in want:
        row = got[(_key(stage), _key(channel), _key(region))]
        assert int(row["customers"]) == customers and int(row["buyers"]) == buyers
        assert _close(_num(row["repeat_purchase_rate"]), rate), (stage, channel, region)


def test_the_saved_queries_are_listed_and_answer(shop):
    done = shop.mf("list", "saved-queries")
    assert done.returncode == 0, done.stdout + done.stderr
    names = ["revenue_by_month", "customers_and_revenue_by_rfm_segment", "customers_and_revenue_by_lifecycle_stage",
             "repeat_purchase_rate_by_acquisition_channel", "revenue_by_region_and_month", "conversion_by_month",
             "campaign_conversion"]
    for name in names:
        assert name in done.stdout
    by_stage = shop.query("--saved-query", "customers_and_revenue_by_lifecycle_stage")
    stages = {stage: n for stage, n in shop.rows(
        "select lifecycle_stage, count(*) from marts.customer_lifecycle group by 1")}
    got = {r["customer__lifecycle_stage"]: int(r["customers"]) for r in by_stage if r["customer__lifecycle_stage"]}
    assert got == stages


def test_the_semantic_models_read_marts_and_the_exposures_name_their_marts(shop):
    manifest = load_manifest(shop.target / "manifest.json")
    semantic = {s["name"]: s for s in manifest["semantic_models"].values()}
    assert set(semantic) == {"orders", "sessions", "customers", "customer_rfm", "customer_lifecycle", "campaign_results"}
    for model in semantic.values():
        (node,) = model["depends_on"]["nodes"]
        assert layer_of(manifest["nodes"][node]) == "marts", (model["name"], node)
    exposures = {e["name"]: {manifest["nodes"][n]["name"] for n in e["depends_on"]["nodes"]}
                 for e in manifest["exposures"].values()}
    assert exposures["marketing_tool_actions"] == {"marketing_actions"}
    # the report's exposure names exactly the marts ecomseg report reads (its QUERIES)
    from ecomseg.report import QUERIES
    read = {m for sql in QUERIES.values() for m in re.findall(r"\bmarts\.([a-z_0-9]+)", sql)}
    assert exposures["segmentation_report"] == read
    assert all(layer_of(manifest["nodes"][n]) == "marts"
               for e in manifest["exposures"].values() for n in e["depends_on"]["nodes"])


def test_campaign_conversion_per_campaign_and_variant_equals_campaign_results(shop):
    got = {(r["campaign_variant__campaign_id"], r["campaign_variant__variant"]): r for r in shop.query(
        "--metrics", "campaign_recipients,campaign_converters,campaign_conversion_rate",
        "--group-by", "campaign_variant__campaign_id,campaign_variant__variant")}
    want = shop.rows("select campaign_id, variant, recipients, converters, conversion_rate from marts.campaign_results")
    assert want and len(got) == len(want)
    for campaign_id, variant, recipients, converters, rate in want:
        row = got[(campaign_id, variant)]
        assert int(row["campaign_recipients"]) == recipients and int(row["campaign_converters"]) == converters
        assert _close(_num(row["campaign_conversion_rate"]), rate), (campaign_id, variant, row, rate)
