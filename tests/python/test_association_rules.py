"""Market basket: the association_rules macro and the basket marts.

On one generated small shop (built once for the module into a throw-away
DuckDB):
  * the rules equal mlxtend's apriori + association_rules exactly (same rule
    set, every metric equal to 1e-9) for several parameter settings, on
    products, categories and brands: through the marts (the dbt_project.yml
    defaults) and through the macro itself (one `dbt compile --inline` that
    renders it for every setting, both the version DuckDB dispatches to and
    the portable default__ version that Spark runs);
  * the generator's planted product pairs are found with lift well above 1,
    and its planted accessories appear in accessory_recommendations;
  * customer_product_recommendations holds no personal data and never
    recommends what the customer bought.

The baskets for mlxtend are built with pandas from the staging tables
(non-cancelled orders, each product once per order), independently of the
basket models. mlxtend is a test dependency only.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from ecomseg import REPO_ROOT, contract
from ecomseg.dbt_runner import run_dbt

mlxtend_fp = pytest.importorskip("mlxtend.frequent_patterns")

METRICS = ["antecedent_support", "consequent_support", "support", "confidence", "lift",
           "leverage", "conviction", "zhangs_metric"]
TOLERANCE = 1e-9

# (name, item column of the baskets, min_support, min_confidence, min_lift, max_antecedent_items)
MACRO_SETTINGS = [
    ("products_all_rules", "product_id", 0.001, 0.0, 0.0, 2),
    ("products_strict_pairs_only", "product_id", 0.002, 0.3, 2.0, 1),
    ("products_mid", "product_id", 0.0015, 0.05, 1.5, 2),
    ("categories_all_rules", "category", 0.002, 0.0, 0.0, 2),
    ("categories_pairs_only", "category", 0.02, 0.2, 1.1, 1),
    ("brands_all_rules", "brand", 0.002, 0.0, 0.0, 2),
]


def _project_vars() -> dict:
    return yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


class Shop:
    def __init__(self, root: Path):
        self.root = root
        self.raw_dir = root / "raw"
        self.path = root / "wh.duckdb"
        self.target = root / "target"
        self.logs = root / "logs"

    def dbt(self, *args: str, dbt_vars: dict | None = None):
        return run_dbt([*args, "--log-path", str(self.logs)], raw_dir=self.raw_dir,
                       duckdb_path=self.path, target_path=self.target, dbt_vars=dbt_vars)

    def df(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Shop:
    from ecomseg.generator import SCALES, generate

    s = Shop(tmp_path_factory.mktemp("basket"))
    s.truth = generate(s.raw_dir, customers=SCALES["small"])
    s.dbt("run", "--select", "+path:models/marts/basket")
    return s


@pytest.fixture(scope="module")
def baskets(shop) -> pd.DataFrame:
    """(order_id, product_id, category, brand) of non-cancelled orders, from staging."""
    orders = shop.df("select order_id from staging.stg_shop__orders where not is_cancelled")
    lines = shop.df("select order_id, product_id from staging.stg_shop__order_items")
    products = shop.df("select product_id, category, brand from staging.stg_shop__products")
    lines = lines.merge(orders, on="order_id").merge(products, on="product_id", how="left")
    return lines


# The macro dispatches to duckdb__association_rules on DuckDB; the portable
# default__ version (the one Spark runs) is checked on DuckDB as well.
MACRO_VERSIONS = {"dispatched": "association_rules",
                  "portable": "ecommerce_segmentation.default__association_rules"}


@pytest.fixture(scope="module")
def macro_rules(shop) -> dict[tuple[str, str], pd.DataFrame]:
    """Each version's rules for every MACRO_SETTINGS entry, rendered in one dbt compile."""
    parts = []
    for version, macro in MACRO_VERSIONS.items():
        for name, item, ms, mc, ml, k in MACRO_SETTINGS:
            parts.append(
                f"select '{version}' as version, '{name}' as setting, r.* from ("
                f"{{{{ {macro}(ref('int_basket_items'), 'order_id', '{item}', "
                f"{ms!r}, {mc!r}, {ml!r}, {k}) }}}}) as r")
    result = shop.dbt("compile", "--log-level", "none", "--inline", "\nunion all\n".join(parts))
    sql = result.raw.result.results[0].node.compiled_code
    rules = shop.df(sql)
    return {(version, name): rules[(rules.version == version) & (rules.setting == name)]
            .drop(columns=["version", "setting"])
            for version in MACRO_VERSIONS for name, *_ in MACRO_SETTINGS}


def mlxtend_rules(baskets: pd.DataFrame, item: str, min_support: float, min_confidence: float,
                  min_lift: float, max_antecedent_items: int) -> pd.DataFrame:
    """mlxtend's rules with one consequent item and at most max_antecedent_items antecedents."""
    pairs = baskets[["order_id", item]].dropna().drop_duplicates()
    onehot = pd.crosstab(pairs["order_id"], pairs[item]).astype(bool)
    itemsets = mlxtend_fp.apriori(onehot, min_support=min_support, use_colnames=True,
                                  max_len=max_antecedent_items + 1)
    rules = mlxtend_fp.association_rules(itemsets, num_itemsets=len(onehot),
                                         metric="confidence", min_threshold=min_confidence)
    rules = rules[(rules["consequents"].map(len) == 1)
                  & (rules["antecedents"].map(len) <= max_antecedent_items)
                  & (rules["lift"] >= min_lift)]
    rules.attrs["total_transactions"] = len(onehot)
    return rules


def _key(antecedents, consequent) -> tuple:
    return tuple(sorted(antecedents)), consequent


def assert_same_rules(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same rule set; counts consistent with mlxtend's supports; every metric equal to 1e-9."""
    n = theirs.attrs["total_transactions"]
    theirs = theirs.rename(columns={"antecedent support": "antecedent_support",
                                    "consequent support": "consequent_support"})
    ours_by_key = {
        _key([a for a in (row.antecedent_item_1, row.antecedent_item_2) if isinstance(a, str)],
             row.consequent_item): row
        for row in ours.itertuples(index=False)
    }
    theirs_by_key = {_key(row.antecedents, next(iter(row.consequents))): row
                     for row in theirs.itertuples(index=False)}
    assert len(ours_by_key) == len(ours), "duplicate rules"
    missing = sorted(set(theirs_by_key) - set(ours_by_key))
    extra = sorted(set(ours_by_key) - set(theirs_by_key))
    assert not missing and not extra, f"missing {missing[:5]} extra {extra[:5]}"
    assert len(ours) > 0
    for key, mine in ours_by_key.items():
        ref = theirs_by_key[key]
        assert mine.antecedents == " + ".join(key[0])
        assert mine.antecedent_size == len(key[0])
        assert mine.total_transactions == n
        assert mine.transactions_with_both == round(ref.support * n)
        assert mine.transactions_with_antecedent == round(ref.antecedent_support * n)
        assert mine.transactions_with_consequent == round(ref.consequent_support * n)
        for metric in METRICS:
            expected, actual = getattr(ref, metric), getattr(mine, metric)
            if metric == "conviction" and math.isinf(expected):  # confidence 1
                assert pd.isna(actual), (key, metric, actual)
                continue
            assert abs(actual - expected) <= TOLERANCE, (key, metric, actual, expected)


@pytest.mark.parametrize("version", list(MACRO_VERSIONS))
@pytest.mark.parametrize("setting", MACRO_SETTINGS, ids=[s[0] for s in MACRO_SETTINGS])
def test_macro_equals_mlxtend(setting, version, macro_rules, baskets):
    name, item, ms, mc, ml, k = setting
    theirs = mlxtend_rules(baskets, item, ms, mc, ml, k)
    assert_same_rules(macro_rules[(version, name)], theirs)
    if k == 1:
        assert macro_rules[(version, name)]["antecedent_item_2"].isna().all()


@pytest.mark.parametrize("mart, item", [("product_association_rules", "product_id"),
                                        ("category_association_rules", "category")])
def test_marts_with_default_vars_equal_mlxtend(mart, item, shop, baskets):
    v = _project_vars()
    theirs = mlxtend_rules(
        baskets, item, float(v["association_min_support"]), float(v["association_min_confidence"]),
        float(v["association_min_lift"]), int(v["association_max_antecedent_items"]))
    ours = shop.df(f"select * from marts.{mart}")
    assert ours["rule_id"].is_unique
    assert_same_rules(ours, theirs)


def test_default_vars_give_a_useful_number_of_rules(shop):
    counts = shop.df("""
        select antecedent_size, count(*) as rules
        from marts.product_association_rules group by antecedent_size""")
    by_size = dict(zip(counts.antecedent_size, counts.rules))
    assert 20 <= sum(by_size.values()) <= 500, by_size
    assert by_size.get(2, 0) >= 1, by_size


def test_planted_pairs_found_with_high_lift(shop):
    rules = shop.df("""
        select antecedent_item_1, consequent_item, lift, confidence
        from marts.product_association_rules where antecedent_size = 1""")
    fbt = shop.df("select product_id, companion_product_id, companion_rank from marts.frequently_bought_together")
    lift = {(r.antecedent_item_1, r.consequent_item): r.lift for r in rules.itertuples()}
    fbt_pairs = {(r.product_id, r.companion_product_id) for r in fbt.itertuples()}
    pairs = shop.truth["product_pairs"]
    assert pairs
    for pair in pairs:
        a, b = pair["product_a"], pair["product_b"]
        assert lift.get((a, b), 0) >= 5, (pair, lift.get((a, b)))
        assert lift.get((b, a), 0) >= 5, (pair, lift.get((b, a)))
        assert (a, b) in fbt_pairs and (b, a) in fbt_pairs, pair
    confidence = {(r.antecedent_item_1, r.consequent_item): r.confidence for r in rules.itertuples()}
    for pair in pairs:  # P(b | a) is at least the planted probability, give or take sampling noise
        assert confidence[(pair["product_a"], pair["product_b"])] >= 0.6 * pair["planted_probability"]


def test_planted_accessories_recommended(shop):
    acc = shop.df("""
        select main_product_id, accessory_product_id, accessory_rank, lift, confidence,
               customers_with_sequence, avg_days_after, window_days
        from marts.accessory_recommendations""")
    found = {(r.main_product_id, r.accessory_product_id): r for r in acc.itertuples()}
    planted = shop.truth["accessories"]
    assert planted
    for a in planted:
        row = found.get((a["main_product_id"], a["accessory_product_id"]))
        assert row is not None, a
        assert row.lift >= 3, (a, row)
        assert row.accessory_rank <= 3, (a, row)
        assert 0 <= row.avg_days_after <= min(a["max_days_after"], row.window_days), (a, row)


def test_accessory_ids_unique(shop):
    acc = shop.df("select accessory_recommendation_id from marts.accessory_recommendations")
    assert acc["accessory_recommendation_id"].is_unique


def test_customer_recommendations_are_new_products_from_matching_rules(shop):
    bad = shop.df("""
        with bought as (
            select distinct o.customer_id, i.product_id
            from staging.stg_shop__orders o
            join staging.stg_shop__order_items i on i.order_id = o.order_id
            where not o.is_cancelled
        )
        select r.*
        from marts.customer_product_recommendations r
        left join bought b0 on b0.customer_id = r.customer_id and b0.product_id = r.recommended_product_id
        left join bought b1 on b1.customer_id = r.customer_id and b1.product_id = r.antecedent_product_id_1
        left join bought b2 on b2.customer_id = r.customer_id and b2.product_id = r.antecedent_product_id_2
        where b0.product_id is not null
           or b1.product_id is null
           or (r.antecedent_product_id_2 is not null and b2.product_id is null)
    """)
    assert bad.empty, bad.head()
    recs = shop.df("select * from marts.customer_product_recommendations")
    assert len(recs) > 0
    top_n = int(_project_vars()["customer_recommendations_top_n"])
    assert recs.groupby("customer_id").size().max() <= top_n
    assert recs["customer_recommendation_id"].is_unique


def test_customer_recommendations_reach_only_consenting_customers(shop):
    """An activation output: every customer with recommendations gave marketing consent,
    and buyers without consent exist in the shop (so the filter is really exercised)."""
    customers = shop.df("select customer_id, has_marketing_consent from staging.stg_shop__customers")
    consenting = set(customers.loc[customers["has_marketing_consent"], "customer_id"])
    recommended = set(shop.df("select distinct customer_id from marts.customer_product_recommendations")["customer_id"])
    buyers = set(shop.df("select distinct customer_id from staging.stg_shop__orders where not is_cancelled")["customer_id"])
    assert recommended and recommended <= consenting, sorted(recommended - consenting)[:5]
    assert buyers - consenting, "the sample shop should hold buyers without consent"


def test_customer_recommendations_hold_no_personal_data(shop):
    pii = {c.name for t in contract.tables().values() for c in t.columns if c.pii}
    pii |= {"email", "birth_date", "city", "region", "gender", "income_band"}
    columns = set(shop.df("select * from marts.customer_product_recommendations limit 0").columns)
    assert not (columns & pii), columns & pii
