"""Benchmark: the association-rules macros (SQL in DuckDB) against pyfim and mlxtend.

Not a test. For every basket count it
  1. makes synthetic baskets: one Parquet file of (order_id, item) text lines
     (Zipf item popularity, planted pairs and triples, a few repeated lines)
     and, from it, the same baskets grouped and integer-coded as the
     warehouse keeps them in int_baskets: (order_id, item_codes) with the
     distinct codes of each order, plus the code dictionary (item_code, item);
  2. runs each engine in its own subprocess and records the wall time, the
     CPU time (user + system, all threads, resource.getrusage) and the peak
     resident memory (VmHWM) of that process:
       macro        association_rules_from_baskets (what product_association_rules
                    runs), rendered once by `dbt compile --inline` with the
                    relations left as placeholders; load = the coded baskets
                    and the dictionary into DuckDB tables (in the warehouse they
                    are the int_baskets / int_basket_products tables), mine = the query;
       macro_lines  association_rules over the text lines (what the macro did
                    before the baskets were stored, and what
                    category_association_rules still does): no load, its query
                    reads and groups the Parquet lines;
       macro_portable  the portable version of association_rules_from_baskets
                    (default__, the one Spark runs) on DuckDB, loaded as macro:
                    what the DuckDB version buys over it;
       pyfim        Christian Borgelt's C FP-growth (fim.fpgrowth): load = the
                    coded baskets into Python lists, mine = frequent itemsets
                    + the rules and filters (rules_from_itemsets);
       fpgrowth     mlxtend fpgrowth + association_rules on a sparse one-hot
                    DataFrame of the coded baskets;
       fpgrowth_dense  the same on a dense (numpy bool) one-hot DataFrame;
       apriori      mlxtend apriori + association_rules on the sparse one-hot;
     each engine writes its rules (items by name) to Parquet;
  3. checks that every engine's rules equal the macro's (same rule set, every
     metric equal to 1e-9).

The comparison that matters is mining CPU time: macro / pyfim and macro /
mlxtend's faster fpgrowth (below 1: the macro is cheaper).

Run it through scripts/benchmark_association_rules.py.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ecomseg import REPO_ROOT

ENGINES = ("macro", "macro_lines", "macro_portable", "pyfim", "fpgrowth", "fpgrowth_dense", "apriori")
MACROS = ("macro", "macro_lines", "macro_portable")
MLXTEND = ("fpgrowth", "fpgrowth_dense", "apriori")
FPGROWTH = ("fpgrowth", "fpgrowth_dense")
PLACEHOLDER = "__benchmark_baskets__"
ITEMS_PLACEHOLDER = "__benchmark_items__"
METRICS = ("antecedent_support", "consequent_support", "support", "confidence", "lift",
           "leverage", "conviction", "zhangs_metric")
RULE_COLUMNS = ("antecedent_item_1", "antecedent_item_2", "consequent_item") + METRICS


@dataclass(frozen=True)
class Params:
    min_support: float = 0.001
    min_confidence: float = 0.05
    min_lift: float = 1.5
    max_antecedent_items: int = 2


@dataclass
class Measurement:
    engine: str
    orders: int
    status: str  # ok, failed, timeout, skipped
    seconds: float | None = None  # wall time of the whole measurement (load + mine)
    load_seconds: float | None = None
    mine_seconds: float | None = None
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None  # user + system CPU time of the process (all threads)
    load_cpu_seconds: float | None = None  # CPU time of the load phase
    mine_cpu_seconds: float | None = None  # CPU time of the mine phase
    load_average: float | None = None  # 1-minute load average when the measurement ended
    rules: int | None = None
    same_rules_as_macro: bool | None = None
    detail: str = ""
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------- baskets

def make_baskets(path: Path, orders: int, items: int = 1000, seed: int = 42,
                 mean_basket_size: float = 2.5) -> Path:
    """Write `orders` synthetic baskets as (order_id, item) rows to Parquet.

    Basket sizes are 1 + Poisson(mean - 1); items follow a Zipf(1.1)
    popularity; 40 planted pairs (b joins a with probability 0.5) and 10
    planted triples (c joins a + b with probability 0.6) give real rules;
    3 % of baskets repeat one of their items on a second line.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    labels = np.array([f"P{i:05d}" for i in range(items)])
    popularity = 1.0 / np.arange(1, items + 1) ** 1.1
    popularity = rng.permutation(popularity / popularity.sum())
    sizes = 1 + rng.poisson(mean_basket_size - 1, orders)
    order_idx = np.repeat(np.arange(orders, dtype=np.int64), sizes)
    item_idx = rng.choice(items, size=order_idx.size, p=popularity).astype(np.int32)

    extra_o, extra_i = [order_idx], [item_idx]
    planted = rng.choice(items, size=(50, 3), replace=True)
    for a, b, _ in planted[:40]:
        has_a = order_idx[item_idx == a]
        keep = has_a[rng.random(has_a.size) < 0.5]
        extra_o.append(keep)
        extra_i.append(np.full(keep.size, b, dtype=np.int32))
    order_idx, item_idx = np.concatenate(extra_o), np.concatenate(extra_i)
    extra_o, extra_i = [order_idx], [item_idx]
    for a, b, c in planted[40:]:
        with_a = np.zeros(orders, dtype=bool)
        with_a[order_idx[item_idx == a]] = True
        with_b = np.zeros(orders, dtype=bool)
        with_b[order_idx[item_idx == b]] = True
        both = np.nonzero(with_a & with_b)[0]
        keep = both[rng.random(both.size) < 0.6]
        extra_o.append(keep)
        extra_i.append(np.full(keep.size, c, dtype=np.int32))
    repeat = rng.random(order_idx.size) < 0.03 / mean_basket_size
    extra_o.append(order_idx[repeat])
    extra_i.append(item_idx[repeat])
    order_idx, item_idx = np.concatenate(extra_o), np.concatenate(extra_i)
    order_ids = pc.binary_join_element_wise(
        "O", pc.utf8_lpad(pc.cast(pa.array(order_idx), pa.string()), 9, "0"), "")
    table = pa.table({"order_id": order_ids, "item": pa.array(labels[item_idx])})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
    tmp.rename(path)
    return path


def make_coded_baskets(lines: Path) -> tuple[Path, Path]:
    """The baskets of `lines` grouped and integer-coded, as int_baskets keeps them.

    Writes <lines>.baskets.parquet (order_id, item_codes: the distinct codes of
    the order, ascending) and <lines>.items.parquet (item_code, item: codes
    1..n in item order). Not timed: in the warehouse this is int_baskets'
    build, done once and then incrementally.
    """
    import duckdb

    baskets = lines.with_name(lines.stem + ".baskets.parquet")
    items = lines.with_name(lines.stem + ".items.parquet")
    if baskets.exists() and items.exists():
        return baskets, items
    con = duckdb.connect(config={"threads": 2, "memory_limit": "3GB", "preserve_insertion_order": False})
    src = f"read_parquet('{lines.as_posix()}')"
    con.execute(f"""create temp table items as
        select cast(row_number() over (order by item) as integer) as item_code, item
        from (select distinct item from {src})""")
    con.execute(f"""copy (
        select l.order_id, list_sort(list_distinct(list(i.item_code))) as item_codes
        from {src} as l join items as i on l.item = i.item
        group by l.order_id
    ) to '{baskets.with_suffix(".tmp").as_posix()}' (format parquet, compression zstd)""")
    con.execute(f"copy items to '{items.with_suffix('.tmp').as_posix()}' (format parquet)")
    con.close()
    baskets.with_suffix(".tmp").rename(baskets)
    items.with_suffix(".tmp").rename(items)
    return baskets, items


# ---------------------------------------------------------------- macro SQL

def render_macro_sql(params: Params, work_dir: Path) -> dict[str, str]:
    """Both macros' SQL for these parameters, with placeholders for the relations.

    {"macro": association_rules_from_baskets over PLACEHOLDER (order_id,
    item_codes) and ITEMS_PLACEHOLDER (item_code, item), "macro_lines":
    association_rules over PLACEHOLDER (order_id, item), "macro_portable":
    default__association_rules_from_baskets over the same relations as macro}. Rendered by one
    `dbt compile --inline` (dbt's Python API) into work_dir; nothing is
    written to the repository.
    """
    from ecomseg.dbt_runner import run_dbt

    thresholds = (f"{params.min_support!r}, {params.min_confidence!r}, {params.min_lift!r}, "
                  f"{params.max_antecedent_items}")
    inline = (f"{{{{ association_rules_from_baskets('{PLACEHOLDER}', 'order_id', 'item_codes', "
              f"'{ITEMS_PLACEHOLDER}', 'item_code', 'item', {thresholds}) }}}}"
              "\n-- __macro_lines__\n"
              f"{{{{ association_rules('{PLACEHOLDER}', 'order_id', 'item', {thresholds}) }}}}"
              "\n-- __macro_portable__\n"
              f"{{{{ ecommerce_segmentation.default__association_rules_from_baskets('{PLACEHOLDER}', 'order_id', "
              f"'item_codes', '{ITEMS_PLACEHOLDER}', 'item_code', 'item', {thresholds}) }}}}")
    result = run_dbt(["compile", "--log-level", "none", "--inline", inline, "--log-path", str(work_dir / "logs")],
                     duckdb_path=work_dir / "compile.duckdb", target_path=work_dir / "target",
                     env={"RAW_DATA_DIR": str(work_dir)})
    baskets_sql, rest = result.raw.result.results[0].node.compiled_code.split("-- __macro_lines__")
    lines_sql, portable_sql = rest.split("-- __macro_portable__")
    return {"macro": baskets_sql.strip(), "macro_lines": lines_sql.strip(), "macro_portable": portable_sql.strip()}


# ---------------------------------------------------------------- rules from itemset supports (pyfim)

def min_count(min_support: float, n: int) -> int:
    """The smallest count c with c / n >= min_support, compared as doubles (as the SQL does)."""
    c = max(1, math.ceil(min_support * n))
    while c > 1 and (c - 1) / n >= min_support:
        c -= 1
    while c / n < min_support:
        c += 1
    return c


def rules_from_itemsets(supports: dict[frozenset, int], n: int, params: Params):
    """mlxtend's rule metrics from frequent itemset counts, one consequent item.

    supports: every frequent itemset (1 to max_antecedent_items + 1 items)
    with its count of transactions; n: the number of transactions. Returns
    a DataFrame like mlxtend.association_rules (antecedents, consequents as
    frozensets; "antecedent support", "consequent support", support,
    confidence, lift, leverage, conviction (inf at confidence 1),
    zhangs_metric), filtered by min_confidence and min_lift. The formulas
    are mlxtend 0.25's, evaluated in the same order.
    """
    import pandas as pd

    rows = []
    for itemset, count in supports.items():
        if len(itemset) < 2 or len(itemset) > params.max_antecedent_items + 1:
            continue
        for consequent in itemset:
            antecedent = itemset - {consequent}
            if antecedent not in supports or frozenset([consequent]) not in supports:
                missing = antecedent if antecedent not in supports else {consequent}
                raise ValueError(f"no support for {sorted(missing)}, a subset of the frequent {sorted(itemset)}")
            rows.append((antecedent, frozenset([consequent]), supports[antecedent] / n,
                         supports[frozenset([consequent])] / n, count / n))
    rules = pd.DataFrame(rows, columns=["antecedents", "consequents", "antecedent support",
                                        "consequent support", "support"])
    s_a, s_c, s_ac = (rules[c].to_numpy(dtype=float) for c in ("antecedent support", "consequent support",
                                                               "support"))
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = s_ac / s_a
        lift = confidence / s_c
        leverage = s_ac - s_a * s_c
        conviction = np.where(confidence == 1, np.inf, (1 - s_c) / (1 - confidence))
        denominator = np.maximum(s_ac * (1 - s_a), s_a * (s_c - s_ac))
        zhangs = np.where(denominator == 0, 0, leverage / denominator)
    rules = rules.assign(confidence=confidence, lift=lift, leverage=leverage, conviction=conviction,
                         zhangs_metric=zhangs)
    rules = rules[(rules["confidence"] >= params.min_confidence) & (rules["lift"] >= params.min_lift)]
    rules.attrs["total_transactions"] = n
    return rules.reset_index(drop=True)


def pyfim_supports(transactions: list, params: Params, n: int | None = None) -> dict[frozenset, int]:
    """Frequent itemsets (1 to max_antecedent_items + 1 items) and their counts, by pyfim's fpgrowth.

    pyfim does not report an itemset that consists only of items present in
    every transaction (the "perfect extensions" of the empty set);
    rules_from_itemsets stops with an error if a rule needs one.
    """
    import fim

    n = len(transactions) if n is None else n
    found = fim.fpgrowth(transactions, target="s", supp=-min_count(params.min_support, n), zmin=1,
                         zmax=params.max_antecedent_items + 1, report="a")
    return {frozenset(itemset): count for itemset, count in found}


# ---------------------------------------------------------------- engines (run in a child process)

def _peak_rss_mb() -> float:
    """Peak resident memory of this process's address space, MB.

    Linux VmHWM: ru_maxrss would not do, it keeps the parent's peak across
    fork + exec, so every child would report at least the benchmark
    process's own peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_macro(engine: str, lines: Path, coded: tuple[Path, Path], out: Path, sql: str, memory_limit: str,
               threads: int, temp_dir: Path) -> dict:
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": threads,
                                 "preserve_insertion_order": False,
                                 "temp_directory": str(temp_dir)})
    t0, c0 = time.perf_counter(), _cpu_seconds()
    if engine in ("macro", "macro_portable"):
        con.execute(f"create temp table baskets as select * from read_parquet('{coded[0].as_posix()}')")
        con.execute(f"create temp table items as select * from read_parquet('{coded[1].as_posix()}')")
        query = sql.replace(PLACEHOLDER, "baskets").replace(ITEMS_PLACEHOLDER, "items")
    else:
        query = sql.replace(PLACEHOLDER, f"read_parquet('{lines.as_posix()}')")
    t1, c1 = time.perf_counter(), _cpu_seconds()
    con.execute(f"create temp table rules as {query}")
    t2, c2 = time.perf_counter(), _cpu_seconds()
    rules = con.execute("select count(*) from rules").fetchone()[0]
    con.execute(f"copy (select {', '.join(RULE_COLUMNS)} from rules) to '{out.as_posix()}' (format parquet)")
    return {"load_seconds": t1 - t0, "mine_seconds": t2 - t1, "load_cpu_seconds": c1 - c0,
            "mine_cpu_seconds": c2 - c1, "rules": rules}


def _write_rules(rules, out: Path) -> int:
    """mlxtend-style rules (antecedents / consequents frozensets) to the benchmark's Parquet layout."""
    import pandas as pd

    antecedents = rules["antecedents"].map(sorted)
    table = pd.DataFrame({
        "antecedent_item_1": antecedents.map(lambda a: a[0]),
        "antecedent_item_2": antecedents.map(lambda a: a[1] if len(a) > 1 else None),
        "consequent_item": rules["consequents"].map(lambda c: next(iter(c))),
        "antecedent_support": rules["antecedent support"],
        "consequent_support": rules["consequent support"],
        **{m: rules[m] for m in METRICS[2:]},
    })
    table["conviction"] = table["conviction"].replace(np.inf, np.nan)  # the macro's null
    table.to_parquet(out, index=False)
    return len(table)


def _run_pyfim(coded: tuple[Path, Path], out: Path, params: Params) -> dict:
    import pyarrow.parquet as pq

    t0, c0 = time.perf_counter(), _cpu_seconds()
    transactions = pq.read_table(coded[0], columns=["item_codes"]).column("item_codes").to_pylist()
    items = pq.read_table(coded[1]).to_pydict()
    names = dict(zip(items["item_code"], items["item"]))
    t1, c1 = time.perf_counter(), _cpu_seconds()
    supports = pyfim_supports(transactions, params)
    rules = rules_from_itemsets(supports, len(transactions), params)
    rules["antecedents"] = rules["antecedents"].map(lambda s: frozenset(names[c] for c in s))
    rules["consequents"] = rules["consequents"].map(lambda s: frozenset(names[c] for c in s))
    t2, c2 = time.perf_counter(), _cpu_seconds()
    n_rules = _write_rules(rules, out)
    return {"load_seconds": t1 - t0, "mine_seconds": t2 - t1, "load_cpu_seconds": c1 - c0,
            "mine_cpu_seconds": c2 - c1, "rules": n_rules}


def _onehot(coded: tuple[Path, Path], dense: bool = False):
    """The coded baskets as a one-hot DataFrame (a column per item, named by the item)."""
    import pandas as pd
    import pyarrow.parquet as pq
    from scipy import sparse

    lists = pq.read_table(coded[0], columns=["item_codes"]).column("item_codes").combine_chunks()
    items = pq.read_table(coded[1]).to_pandas().sort_values("item_code")
    offsets = lists.offsets.to_numpy()
    codes = lists.values.to_numpy()
    matrix = sparse.csr_matrix((np.ones(codes.size, dtype=bool), codes - 1, offsets),
                               shape=(len(lists), len(items)))
    columns = list(items["item"])
    if dense:
        return pd.DataFrame(matrix.toarray(), columns=columns)
    return pd.DataFrame.sparse.from_spmatrix(matrix, columns=columns)


def _run_mlxtend(engine: str, coded: tuple[Path, Path], out: Path, params: Params) -> dict:
    from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth

    t0, c0 = time.perf_counter(), _cpu_seconds()
    onehot = _onehot(coded, dense=engine == "fpgrowth_dense")
    t1, c1 = time.perf_counter(), _cpu_seconds()
    miner = fpgrowth if engine in FPGROWTH else apriori
    itemsets = miner(onehot, min_support=params.min_support, use_colnames=True,
                     max_len=params.max_antecedent_items + 1)
    rules = association_rules(itemsets, num_itemsets=len(onehot), metric="confidence",
                              min_threshold=params.min_confidence)
    rules = rules[(rules["consequents"].map(len) == 1)
                  & (rules["antecedents"].map(len) <= params.max_antecedent_items)
                  & (rules["lift"] >= params.min_lift)]
    t2, c2 = time.perf_counter(), _cpu_seconds()
    n_rules = _write_rules(rules, out)
    return {"load_seconds": t1 - t0, "mine_seconds": t2 - t1, "load_cpu_seconds": c1 - c0,
            "mine_cpu_seconds": c2 - c1, "rules": n_rules}


def child_main(argv: list[str]) -> int:
    """Entry point of one measurement subprocess; prints one JSON line."""
    spec = json.loads(argv[0])
    params = Params(**spec["params"])
    engine = spec["engine"]
    lines, coded, out = Path(spec["lines"]), (Path(spec["baskets"]), Path(spec["items"])), Path(spec["out"])
    t0 = time.perf_counter()
    try:
        if engine in MACROS:
            result = _run_macro(engine, lines, coded, out, Path(spec["sql_file"]).read_text(encoding="utf-8"),
                                spec["memory_limit"], spec["threads"], Path(spec["temp_dir"]))
        elif engine == "pyfim":
            result = _run_pyfim(coded, out, params)
        else:
            result = _run_mlxtend(engine, coded, out, params)
        result["status"] = "ok"
    except MemoryError:
        result = {"status": "failed", "detail": "MemoryError"}
    except Exception as exc:  # reported, not raised: the benchmark goes on
        result = {"status": "failed", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    result["seconds"] = time.perf_counter() - t0
    result["peak_rss_mb"] = _peak_rss_mb()
    result["cpu_seconds"] = _cpu_seconds()
    result["load_average"] = os.getloadavg()[0]
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------- parent

def _limit_address_space(limit_bytes: int | None):
    if not limit_bytes:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


def measure(engine: str, orders: int, lines: Path, coded: tuple[Path, Path], out: Path, params: Params, *,
            sql_file: Path | None, timeout: float, memory_limit: str, threads: int,
            mlxtend_address_space_gb: float | None, work_dir: Path) -> Measurement:
    spec = {"engine": engine, "lines": str(lines), "baskets": str(coded[0]), "items": str(coded[1]),
            "out": str(out), "params": asdict(params), "sql_file": str(sql_file) if sql_file else None,
            "memory_limit": memory_limit, "threads": threads, "temp_dir": str(work_dir / "duckdb_tmp")}
    limit = int(mlxtend_address_space_gb * 2**30) if engine in MLXTEND and mlxtend_address_space_gb else None
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": str(threads)}
    try:
        proc = subprocess.run([sys.executable, "-m", "ecomseg.basket_benchmark", json.dumps(spec)],
                              capture_output=True, text=True, timeout=timeout, env=env,
                              preexec_fn=_limit_address_space(limit))
    except subprocess.TimeoutExpired:
        return Measurement(engine, orders, "timeout", seconds=timeout, detail=f"> {timeout:.0f} s")
    lines_out = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines_out:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return Measurement(engine, orders, "failed", detail=tail[0][:300])
    data = json.loads(lines_out[-1][len("RESULT "):])
    return Measurement(engine, orders, data.pop("status"), seconds=data.pop("seconds", None),
                       load_seconds=data.pop("load_seconds", None), mine_seconds=data.pop("mine_seconds", None),
                       peak_rss_mb=data.pop("peak_rss_mb", None), cpu_seconds=data.pop("cpu_seconds", None),
                       load_cpu_seconds=data.pop("load_cpu_seconds", None),
                       mine_cpu_seconds=data.pop("mine_cpu_seconds", None),
                       load_average=data.pop("load_average", None), rules=data.pop("rules", None),
                       detail=data.pop("detail", ""))


def same_rules(ours: Path, theirs: Path, tolerance: float = 1e-9) -> tuple[bool, str]:
    """Same rule set and every metric within tolerance (null conviction on both sides)."""
    import pandas as pd

    key = ["antecedent_item_1", "antecedent_item_2", "consequent_item"]
    a = pd.read_parquet(ours).fillna({"antecedent_item_2": ""})
    b = pd.read_parquet(theirs).fillna({"antecedent_item_2": ""})
    if a.duplicated(key).any() or b.duplicated(key).any():
        return False, "duplicate rules"
    merged = a.merge(b, on=key, how="outer", suffixes=("", "_ref"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    if len(only):
        return False, f"{len(only)} rules in one engine only"
    for metric in METRICS:
        x, y = merged[metric].astype(float), merged[f"{metric}_ref"].astype(float)
        bad = ~(((x - y).abs() <= tolerance) | (x.isna() & y.isna()))
        if bad.any():
            return False, f"{int(bad.sum())} rules differ in {metric}"
    return True, f"{len(merged)} rules"


def run_benchmark(sizes: list[int], engines: list[str], work_dir: Path, params: Params = Params(), *,
                  items: int = 1000, timeout: float = 600, memory_limit: str = "3GB", threads: int = 2,
                  mlxtend_address_space_gb: float | None = 12, macro_only_sizes: list[int] = (),
                  no_mlxtend_sizes: list[int] = (), log=print) -> list[Measurement]:
    """Every engine at `sizes`; all but mlxtend at `no_mlxtend_sizes`; the macros only at `macro_only_sizes`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "duckdb_tmp").mkdir(exist_ok=True)
    log(f"rendering the macros with {params} ...")
    sql_files = {}
    for engine, sql in render_macro_sql(params, work_dir).items():
        sql_files[engine] = work_dir / f"{engine}.sql"
        sql_files[engine].write_text(sql, encoding="utf-8")
    results: list[Measurement] = []
    plan = ([(n, list(engines)) for n in sizes]
            + [(n, [e for e in engines if e not in MLXTEND]) for n in no_mlxtend_sizes]
            + [(n, [e for e in engines if e in MACROS]) for n in macro_only_sizes])
    for orders, run_engines in plan:
        t0 = time.perf_counter()
        lines = make_baskets(work_dir / f"baskets_{orders}_{items}.parquet", orders, items)
        coded = make_coded_baskets(lines)
        log(f"{orders:>11,} orders: baskets ready ({time.perf_counter() - t0:.1f} s)")
        outs = {}
        for engine in run_engines:
            log(f"    {engine:<14} running ...")
            out = work_dir / f"rules_{engine}_{orders}.parquet"
            if out.exists():
                out.unlink()
            m = measure(engine, orders, lines, coded, out, params, sql_file=sql_files.get(engine),
                        timeout=timeout, memory_limit=memory_limit, threads=threads,
                        mlxtend_address_space_gb=mlxtend_address_space_gb, work_dir=work_dir)
            if m.status == "ok":
                outs[engine] = out
            if m.status == "ok" and engine != "macro" and "macro" in outs:
                m.same_rules_as_macro, m.extra["check"] = same_rules(outs["macro"], out)
            results.append(m)
            log(f"    {engine:<14} {m.status:<8} " + (
                f"{m.seconds:8.2f} s (load {m.load_seconds:.2f}, mine {m.mine_seconds:.2f}) "
                f"cpu {m.cpu_seconds:.2f} s (load {m.load_cpu_seconds:.2f}, mine {m.mine_cpu_seconds:.2f})  "
                f"peak {m.peak_rss_mb:7.0f} MB  rules {m.rules}  load avg {m.load_average:.1f}"
                + ("" if m.same_rules_as_macro is None else f"  same as macro: {m.same_rules_as_macro} ({m.extra['check']})")
                if m.status == "ok" else m.detail))
    return results


def _ratio(m: Measurement, ref: Measurement) -> str:
    """macro / engine: mine CPU (mine wall); below 1 the macro is cheaper."""
    return (f"{m.mine_cpu_seconds / ref.mine_cpu_seconds:.2f} ({m.mine_seconds / ref.mine_seconds:.2f})"
            if ref.mine_cpu_seconds and ref.mine_seconds else "")


def markdown_table(results: list[Measurement]) -> str:
    """One row per (basket count, engine), then macro / pyfim and macro / mlxtend per basket count.

    Times are phase times: load (see the module docstring; macro_lines has
    none, its query reads the Parquet lines) and mine. CPU is user + system
    time of all threads of the measurement's process; "total CPU s" is the
    whole child process (interpreter start and imports included).
    "macro / engine" divides the macro's mining time by the engine's: mine
    CPU (mine wall); below 1 the macro is cheaper.
    """
    macro = {m.orders: m for m in results if m.engine == "macro" and m.status == "ok"}
    head = ["orders", "engine", "wall s: load + mine", "CPU s: load + mine", "total CPU s", "peak RSS MB",
            "load avg", "rules", "identical to macro", "macro / engine: mine CPU (wall)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in sorted(results, key=lambda r: (r.orders, ENGINES.index(r.engine))):
        if m.status != "ok":
            cells = [f"{m.orders:,}", m.engine, f"{m.status}: {m.detail}"] + [""] * (len(head) - 3)
        else:
            ref = macro.get(m.orders)
            ratio = _ratio(ref, m) if m.engine != "macro" and ref is not None else ""
            same = "" if m.same_rules_as_macro is None else ("yes" if m.same_rules_as_macro else "NO")
            cells = [f"{m.orders:,}", m.engine, f"{m.load_seconds:.2f} + {m.mine_seconds:.2f}",
                     f"{m.load_cpu_seconds:.2f} + {m.mine_cpu_seconds:.2f}", f"{m.cpu_seconds:.2f}",
                     f"{m.peak_rss_mb:,.0f}", f"{m.load_average:.1f}", f"{m.rules:,}", same, ratio]
        lines.append("| " + " | ".join(cells) + " |")
    summary = []
    for orders, ref in sorted(macro.items()):
        ok = {m.engine: m for m in results if m.orders == orders and m.status == "ok"}
        fp = [ok[e] for e in FPGROWTH if e in ok]
        best = min(fp, key=lambda c: c.mine_cpu_seconds) if fp else None
        summary.append(
            f"| {orders:,} | {ref.mine_cpu_seconds:.2f} | "
            + (f"{ok['pyfim'].mine_cpu_seconds:.2f} | {_ratio(ref, ok['pyfim'])}" if "pyfim" in ok
               else "not run | ")
            + " | "
            + (f"{best.engine} {best.mine_cpu_seconds:.2f} | {_ratio(ref, best)}" if best else "not run | ")
            + f" | {ref.seconds:.2f} | {ref.peak_rss_mb:,.0f} | {ref.load_average:.1f} |")
    if summary:
        lines += ["", "Macro (association_rules_from_baskets) against pyfim and mlxtend's faster fpgrowth:", "",
                  "| orders | macro mine CPU s | pyfim mine CPU s | macro / pyfim: CPU (wall) "
                  "| best mlxtend fpgrowth mine CPU s | macro / mlxtend: CPU (wall) "
                  "| macro process wall s | macro peak RSS MB | load avg |",
                  "|---|---|---|---|---|---|---|---|---|"] + summary
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
