"""Market basket: the association_rules macro and the basket marts.

On one generated small shop (built once for the module into a throw-away
DuckDB):
  * the rules equal mlxtend's apriori + association_rules exactly (same rule
    set, every metric equal to 1e-9) for several parameter settings, on
    products, categories and brands: through the marts (the dbt_project.yml
    defaults) and through the macros themselves (one `dbt compile --inline`
    that renders them for every setting, both the version DuckDB dispatches
    to and the portable default__ version that Spark runs):
    association_rules over int_basket_items and, for products,
    association_rules_from_baskets over the stored baskets (int_baskets);
  * the itemset counts behind every rule equal pyfim's (Borgelt's C
    FP-growth) on the shop's baskets and on the benchmark's generated
    baskets (planted pairs and triples), for both versions of
    association_rules_from_baskets;
  * int_baskets, incremental, after orders are added, re-delivered with
    other lines, cancelled and removed, holds exactly the baskets of the new
    data, equal to a full refresh, and no stored item code changed;
  * the generator's planted product pairs are found with lift well above 1,
    and its planted accessories appear in accessory_recommendations;
  * customer_product_recommendations holds no personal data and never
    recommends what the customer bought.

The baskets for mlxtend are built with pandas from the staging tables
(non-cancelled orders, each product once per order), independently of the
basket models. mlxtend and pyfim are test (and benchmark) dependencies only.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from ecomseg import REPO_ROOT, contract
from conftest import without_json_artifacts
from ecomseg.dbt_runner import run_dbt

mlxtend_fp = pytest.importorskip("mlxtend.frequent_patterns")

from ecomseg.basket_benchmark import (  # noqa: E402
    Params, make_baskets, make_coded_baskets, pyfim_supports, rules_from_itemsets,
)

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
        return run_dbt(without_json_artifacts([*args, "--log-path", str(self.logs)]), raw_dir=self.raw_dir,
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


# The macros dispatch to their duckdb__ versions on DuckDB; the portable
# default__ versions (the ones Spark runs) are checked on DuckDB as well.
# association_rules reads (order, item) rows of int_basket_items;
# association_rules_from_baskets the stored baskets of products (int_baskets).
MACRO_VERSIONS = {"dispatched": "association_rules",
                  "portable": "ecommerce_segmentation.default__association_rules",
                  "baskets_dispatched": "association_rules_from_baskets",
                  "baskets_portable": "ecommerce_segmentation.default__association_rules_from_baskets"}
BASKET_VERSIONS = ("baskets_dispatched", "baskets_portable")
MACRO_CASES = [(version, setting) for version in MACRO_VERSIONS for setting in MACRO_SETTINGS
               if version not in BASKET_VERSIONS or setting[1] == "product_id"]


def _macro_call(macro: str, ms, mc, ml, k, item: str = "product_id",
                baskets: str = "ref('int_baskets')", items: str = "ref('int_basket_products')") -> str:
    thresholds = f"{ms!r}, {mc!r}, {ml!r}, {k}"
    if "from_baskets" in macro:
        return (f"{{{{ {macro}({baskets}, 'order_id', 'item_codes', {items}, 'item_code', "
                f"'{item}', {thresholds}) }}}}")
    return f"{{{{ {macro}(ref('int_basket_items'), 'order_id', '{item}', {thresholds}) }}}}"


@pytest.fixture(scope="module")
def macro_rules(shop) -> dict[tuple[str, str], pd.DataFrame]:
    """Each version's rules for every MACRO_CASES entry, rendered in one dbt compile."""
    parts = []
    for version, (name, item, ms, mc, ml, k) in MACRO_CASES:
        parts.append(f"select '{version}' as version, '{name}' as setting, r.* from ("
                     f"{_macro_call(MACRO_VERSIONS[version], ms, mc, ml, k, item)}) as r")
    result = shop.dbt("compile", "--log-level", "none", "--inline", "\nunion all\n".join(parts))
    sql = result.raw.result.results[0].node.compiled_code
    rules = shop.df(sql)
    return {(version, setting[0]): rules[(rules.version == version) & (rules.setting == setting[0])]
            .drop(columns=["version", "setting"])
            for version, setting in MACRO_CASES}


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


@pytest.mark.parametrize("version, setting", MACRO_CASES, ids=[f"{v}-{s[0]}" for v, s in MACRO_CASES])
def test_macro_equals_mlxtend(setting, version, macro_rules, baskets):
    name, item, ms, mc, ml, k = setting
    theirs = mlxtend_rules(baskets, item, ms, mc, ml, k)
    assert_same_rules(macro_rules[(version, name)], theirs)
    if k == 1:
        assert macro_rules[(version, name)]["antecedent_item_2"].isna().all()


def pyfim_rules(transactions: list, n: int, ms, mc, ml, k, names: dict | None = None) -> pd.DataFrame:
    """The rules from pyfim's itemset counts (rules_from_itemsets), items renamed by `names`."""
    pytest.importorskip("fim")  # pyfim, pinned in requirements.txt (built from source: needs a C compiler)
    params = Params(ms, mc, ml, k)
    supports = pyfim_supports(transactions, params, n)
    rules = rules_from_itemsets(supports, n, params)
    rules.attrs["supports"] = supports
    if names:
        rules["antecedents"] = rules["antecedents"].map(lambda a: frozenset(names[c] for c in a))
        rules["consequents"] = rules["consequents"].map(lambda c: frozenset(names[x] for x in c))
    return rules


def assert_counts_equal_pyfim(ours: pd.DataFrame, supports: dict, codes: dict) -> None:
    """Every rule's counts are exactly pyfim's counts of its itemsets (codes: item -> pyfim item)."""
    for row in ours.itertuples(index=False):
        antecedent = frozenset(codes[a] for a in (row.antecedent_item_1, row.antecedent_item_2)
                               if isinstance(a, str))
        consequent = frozenset([codes[row.consequent_item]])
        assert row.transactions_with_antecedent == supports[antecedent], row
        assert row.transactions_with_consequent == supports[consequent], row
        assert row.transactions_with_both == supports[antecedent | consequent], row


@pytest.mark.parametrize("version", BASKET_VERSIONS)
@pytest.mark.parametrize("setting", [s for s in MACRO_SETTINGS if s[1] == "product_id"], ids=lambda s: s[0])
def test_basket_macro_counts_equal_pyfim(setting, version, macro_rules, baskets):
    """On the shop's baskets (pandas, from staging), pyfim's itemset counts give the macro's rules."""
    name, item, ms, mc, ml, k = setting
    pairs = baskets[["order_id", item]].dropna().drop_duplicates()
    transactions = pairs.groupby("order_id")[item].agg(list).tolist()
    theirs = pyfim_rules(transactions, len(transactions), ms, mc, ml, k)
    ours = macro_rules[(version, name)]
    assert_same_rules(ours, theirs)
    assert_counts_equal_pyfim(ours, theirs.attrs["supports"], {p: p for p in pairs[item].unique()})


@pytest.fixture(scope="module")
def generated_baskets(shop, tmp_path_factory) -> tuple[Path, Path]:
    """The benchmark's synthetic baskets (20,000 orders, 300 items, planted pairs and triples), coded."""
    lines = make_baskets(tmp_path_factory.mktemp("generated") / "baskets.parquet", 20_000, items=300, seed=7)
    return make_coded_baskets(lines)


@pytest.mark.parametrize("version", BASKET_VERSIONS)
@pytest.mark.parametrize("ms, mc, ml, k", [(0.002, 0.0, 0.0, 2), (0.004, 0.1, 1.5, 2), (0.003, 0.0, 0.0, 1)])
def test_basket_macro_equals_pyfim_on_generated_baskets(version, ms, mc, ml, k, shop, generated_baskets):
    baskets_file, items_file = generated_baskets
    call = _macro_call(MACRO_VERSIONS[version], ms, mc, ml, k, item="item",
                       baskets=f"\"read_parquet('{baskets_file.as_posix()}')\"",
                       items=f"\"read_parquet('{items_file.as_posix()}')\"")
    result = shop.dbt("compile", "--log-level", "none", "--inline", call)
    ours = shop.df(result.raw.result.results[0].node.compiled_code)
    coded = pd.read_parquet(baskets_file)
    items = pd.read_parquet(items_file)
    names = dict(zip(items["item_code"], items["item"]))
    transactions = [list(codes) for codes in coded["item_codes"]]
    theirs = pyfim_rules(transactions, len(transactions), ms, mc, ml, k, names)
    assert_same_rules(ours, theirs)
    if k == 2 and ml == 0:  # the planted triples give two-item antecedents
        assert (ours["antecedent_size"] == 2).any()
    assert_counts_equal_pyfim(ours, theirs.attrs["supports"], {v: c for c, v in names.items()})


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
           or (r.recommendation_source = 'association_rule'
               and (b1.product_id is null
                    or (r.antecedent_product_id_2 is not null and b2.product_id is null)))
    """)
    assert bad.empty, bad.head()
    recs = shop.df("select * from marts.customer_product_recommendations")
    assert len(recs) > 0
    top_n = int(_project_vars()["customer_recommendations_top_n"])
    assert recs.groupby("customer_id").size().max() <= top_n
    assert recs["customer_recommendation_id"].is_unique
    v1 = shop.df("select * from marts.customer_product_recommendations_v1")
    rule_rows = recs[recs["recommendation_source"] == "association_rule"]
    assert len(v1) > 0 and len(v1) == len(rule_rows)


def test_customer_recommendations_fall_back_to_category_best_sellers(shop):
    """v2: the slots the rules leave hold the best-sellers of the customer's preferred
    categories, recomputed here in pandas from staging; every consenting buyer gets some."""
    top_n = int(_project_vars()["customer_recommendations_top_n"])
    n_categories = int(_project_vars()["recommendation_fallback_categories"])
    days = int(_project_vars()["recommendation_best_seller_days"])
    as_of = shop.df("select as_of_date from intermediate.int_as_of_date")["as_of_date"][0]
    items = shop.df("""
        select o.order_id, o.customer_id, o.order_date, i.product_id, p.category, sum(i.quantity) as quantity
        from staging.stg_shop__orders o
        join staging.stg_shop__order_items i on i.order_id = o.order_id
        left join staging.stg_shop__products p on p.product_id = i.product_id
        where not o.is_cancelled
        group by all
    """)
    items["order_date"] = pd.to_datetime(items["order_date"])
    as_of = pd.Timestamp(as_of)
    window = items[(items["order_date"] <= as_of) & (items["order_date"] > as_of - pd.Timedelta(days=days))
                   & items["category"].notna()]
    sellers = window.groupby(["category", "product_id"]).size().rename("orders").reset_index()
    sellers["share"] = sellers["orders"] / sellers["category"].map(window.groupby("category")["order_id"].nunique())
    sellers = sellers.sort_values(["category", "orders", "product_id"], ascending=[True, False, True])
    sellers["seller_rank"] = sellers.groupby("category").cumcount() + 1
    consenting = set(shop.df("select customer_id from staging.stg_shop__customers where has_marketing_consent")
                     ["customer_id"])
    mine = items[items["customer_id"].isin(consenting)]
    recs = shop.df("select * from marts.customer_product_recommendations")
    rules = recs[recs["recommendation_source"] == "association_rule"]
    rule_products = set(zip(rules["customer_id"], rules["recommended_product_id"]))
    rule_counts = rules.groupby("customer_id").size()
    expected = []
    for customer, bought in mine.groupby("customer_id"):
        units = bought[bought["category"].notna()].groupby("category")["quantity"].sum().reset_index()
        units = units.sort_values(["quantity", "category"], ascending=[False, True]).head(n_categories)
        candidates = []
        for preference, category in enumerate(units["category"], start=1):
            mask = ((sellers["category"] == category) & ~sellers["product_id"].isin(set(bought["product_id"]))
                    & ~sellers["product_id"].map(lambda p: (customer, p) in rule_products))
            for turn, row in enumerate(sellers[mask].itertuples(), start=1):
                candidates.append((turn, preference, row.product_id, category, row.share))
        used = int(rule_counts.get(customer, 0))
        for rank, (_, _, product, category, share) in enumerate(sorted(candidates), start=used + 1):
            if rank <= top_n:
                expected.append((customer, rank, product, category, round(share, 12)))
    fallback = recs[recs["recommendation_source"] == "category_best_seller"]
    got = sorted(zip(fallback["customer_id"], fallback["recommendation_rank"], fallback["recommended_product_id"],
                     fallback["recommended_category"], fallback["recommendation_score"].round(12)))
    assert got == sorted(expected)
    assert len(got) > 0
    # every consenting buyer with a categorised purchase gets recommendations (v1 left many out)
    buyers = set(mine.loc[mine["category"].notna(), "customer_id"])
    assert buyers - set(shop.df("select customer_id from marts.customer_product_recommendations_v1")["customer_id"])
    assert buyers <= set(recs["customer_id"])


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


def test_int_baskets_incremental_equals_full_refresh(tmp_path):
    """int_baskets after a changed delivery: new, re-delivered, cancelled and vanished orders.

    An own small shop: build, change the raw orders and lines, build again
    (incremental), compare with the baskets computed by pandas from staging
    and with a full refresh; stored item codes never change."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from ecomseg.generator import generate

    s = Shop(tmp_path)
    # the raw files are rewritten in place between builds: every table read in full (no file manifest check)
    full_raw = {"incremental_raw_tables": []}
    generate(s.raw_dir, customers=300)
    select = ["--select", "+int_baskets"]
    s.dbt("run", *select, dbt_vars=full_raw)
    codes_before = s.df("select product_id, item_code from intermediate.int_basket_products")

    def rewrite(table: str, change) -> None:
        path = s.raw_dir / f"{table}.parquet"
        original = pq.read_table(path)
        df = change(original.to_pandas())
        pq.write_table(pa.Table.from_pandas(df, schema=original.schema, preserve_index=False), path)

    lines = pq.read_table(s.raw_dir / "order_items.parquet").to_pandas()
    orders = pq.read_table(s.raw_dir / "orders.parquet").to_pandas()
    stored = s.df("select order_id, basket_size from intermediate.int_baskets")
    line_counts = lines.groupby("order_id").size()
    multi = sorted(o for o in stored[stored.basket_size >= 2].order_id if line_counts[o] == stored.set_index(
        "order_id").basket_size[o])  # no product on two lines: dropping a line drops a product
    redelivered, cancelled, vanished, template = multi[0], multi[1], multi[2], multi[3]
    unordered = sorted(set(pq.read_table(s.raw_dir / "products.parquet").column("product_id").to_pylist())
                       - set(lines["product_id"]))
    new_product = unordered[0] if unordered else lines["product_id"].iloc[0]
    new_order = "O99999999"

    def change_orders(df):
        df = df[df.order_id != vanished].copy()
        df.loc[df.order_id == cancelled, "status"] = "cancelled"
        row = df[df.order_id == template].copy()
        row["order_id"] = new_order
        return pd.concat([df, row], ignore_index=True)

    def change_lines(df):
        df = df[df.order_id != vanished]
        first_line = df[df.order_id == redelivered].line_number.min()
        df = df[~((df.order_id == redelivered) & (df.line_number == first_line))].copy()  # one line less
        added = df[df.order_id == template].copy()
        added["order_id"] = new_order
        added.loc[added.line_number == added.line_number.min(), "product_id"] = new_product
        return pd.concat([df, added], ignore_index=True)

    assert cancelled in set(orders.order_id)
    rewrite("orders", change_orders)
    rewrite("order_items", change_lines)
    s.dbt("run", *select, dbt_vars=full_raw)
    executed = (s.target / "run" / "ecommerce_segmentation" / "models" / "intermediate" / "basket"
                / "int_baskets.sql").read_text(encoding="utf-8")
    assert "delete from" in executed and "__dbt_tmp" in executed  # the incremental path (delete+insert)

    decode = """
        select b.order_id, list_sort(list(p.product_id)) as products, any_value(b.basket_size) as basket_size
        from intermediate.int_baskets as b, unnest(b.item_codes) as u(item_code)
        join intermediate.int_basket_products as p on p.item_code = u.item_code
        group by b.order_id order by b.order_id"""
    incremental = s.df(decode)
    staged_orders = s.df("select order_id from staging.stg_shop__orders where not is_cancelled")
    staged_lines = s.df("select order_id, product_id from staging.stg_shop__order_items")
    expected = (staged_lines.merge(staged_orders, on="order_id").drop_duplicates()
                .groupby("order_id")["product_id"].agg(sorted).reset_index())
    got = {r.order_id: list(r.products) for r in incremental.itertuples()}
    assert got == {r.order_id: r.product_id for r in expected.itertuples()}
    assert (incremental["products"].map(len) == incremental["basket_size"]).all()
    assert vanished not in got and cancelled not in got and new_order in got
    assert len(got[redelivered]) == stored.set_index("order_id").basket_size[redelivered] - 1
    assert new_product in got[new_order]

    codes_after = s.df("select product_id, item_code from intermediate.int_basket_products")
    merged = codes_before.merge(codes_after, on="product_id", suffixes=("_before", "_after"))
    assert len(merged) == len(codes_before) and (merged.item_code_before == merged.item_code_after).all()
    if unordered:  # a product never ordered before gets the next code
        assert codes_after.set_index("product_id").item_code[new_product] == codes_before.item_code.max() + 1

    s.dbt("run", *select, "--full-refresh", dbt_vars=full_raw)
    assert s.df(decode)[["order_id", "products"]].map(str).equals(incremental[["order_id", "products"]].map(str))
