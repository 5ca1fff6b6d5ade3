"""Benchmark: the association_rules macro (SQL in DuckDB) against mlxtend.

Not a test. For every basket count it
  1. makes synthetic baskets (one Parquet file of (order_id, item) rows,
     Zipf item popularity, planted pairs and triples, a few repeated lines);
  2. runs each engine in its own subprocess on that file and records the
     wall time and the peak resident memory (resource.getrusage, ru_maxrss)
     of that process:
       macro     the association_rules macro's SQL, rendered once by
                 `dbt compile --inline` with the relation left as a
                 placeholder, run by DuckDB over read_parquet(<file>);
       fpgrowth  mlxtend fpgrowth + association_rules on a sparse one-hot
                 DataFrame;
       fpgrowth_dense  the same on a dense (numpy bool) one-hot DataFrame;
       apriori   mlxtend apriori + association_rules on the sparse one-hot;
     each engine writes its rules to Parquet;
  3. checks that every engine's rules equal the macro's (same rule set, every
     metric equal to 1e-9).

For mlxtend the time is split into load (read the file and one-hot encode)
and mine (frequent itemsets + rules + filtering), in wall and CPU seconds;
the macro reads the file as part of its query, so its time is all "mine"
(the query, reading the Parquet file included). The speed-up is reported
against mlxtend's mining time alone (the stricter comparison) and against
its load + mine, each in wall and CPU time, and against the faster of the
two fpgrowth variants (sparse or dense one-hot), mlxtend's best shot.

Run it through scripts/benchmark_association_rules.py.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ecomseg import REPO_ROOT

ENGINES = ("macro", "fpgrowth", "fpgrowth_dense", "apriori")
FPGROWTH = ("fpgrowth", "fpgrowth_dense")
PLACEHOLDER = "__benchmark_baskets__"
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


# ---------------------------------------------------------------- macro SQL

def render_macro_sql(params: Params, work_dir: Path) -> str:
    """The macro's SQL for these parameters, with PLACEHOLDER as the relation.

    Rendered by `dbt compile --inline` (dbt's Python API) into work_dir;
    nothing is written to the repository.
    """
    from ecomseg.dbt_runner import run_dbt

    inline = (f"{{{{ association_rules('{PLACEHOLDER}', 'order_id', 'item', "
              f"{params.min_support!r}, {params.min_confidence!r}, {params.min_lift!r}, "
              f"{params.max_antecedent_items}) }}}}")
    result = run_dbt(["compile", "--log-level", "none", "--inline", inline, "--log-path", str(work_dir / "logs")],
                     duckdb_path=work_dir / "compile.duckdb", target_path=work_dir / "target",
                     env={"RAW_DATA_DIR": str(work_dir)})
    return result.raw.result.results[0].node.compiled_code


# ---------------------------------------------------------------- engines (run in a child process)

def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_macro(baskets: Path, out: Path, params: Params, sql: str, memory_limit: str,
               threads: int, temp_dir: Path) -> dict:
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": threads,
                                 "preserve_insertion_order": False,
                                 "temp_directory": str(temp_dir)})
    relation = f"read_parquet('{baskets.as_posix()}')"
    query = sql.replace(PLACEHOLDER, relation)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    con.execute(f"create temp table rules as {query}")
    mine, mine_cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    rules = con.execute("select count(*) from rules").fetchone()[0]
    con.execute(f"copy (select {', '.join(RULE_COLUMNS)} from rules) to '{out.as_posix()}' (format parquet)")
    return {"load_seconds": 0.0, "mine_seconds": mine, "load_cpu_seconds": 0.0, "mine_cpu_seconds": mine_cpu,
            "rules": rules}


def _onehot(baskets: Path, dense: bool = False):
    import pandas as pd
    import pyarrow.parquet as pq
    from scipy import sparse

    pairs = pq.read_table(baskets).to_pandas()
    order_codes, _ = pd.factorize(pairs["order_id"])
    item_codes, item_labels = pd.factorize(pairs["item"], sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(order_codes.size, dtype=bool), (order_codes, item_codes)),
        shape=(order_codes.max() + 1, item_labels.size))
    matrix.sum_duplicates()  # repeated lines: True + True stays True
    matrix.data[:] = True
    del pairs
    if dense:
        return pd.DataFrame(matrix.toarray(), columns=list(item_labels))
    return pd.DataFrame.sparse.from_spmatrix(matrix, columns=list(item_labels))


def _run_mlxtend(engine: str, baskets: Path, out: Path, params: Params) -> dict:
    import pandas as pd
    from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth

    t0, c0 = time.perf_counter(), _cpu_seconds()
    onehot = _onehot(baskets, dense=engine == "fpgrowth_dense")
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
    return {"load_seconds": t1 - t0, "mine_seconds": t2 - t1, "load_cpu_seconds": c1 - c0,
            "mine_cpu_seconds": c2 - c1, "rules": len(table)}


def child_main(argv: list[str]) -> int:
    """Entry point of one measurement subprocess; prints one JSON line."""
    spec = json.loads(argv[0])
    params = Params(**spec["params"])
    t0 = time.perf_counter()
    try:
        if spec["engine"] == "macro":
            result = _run_macro(Path(spec["baskets"]), Path(spec["out"]), params,
                                Path(spec["sql_file"]).read_text(encoding="utf-8"),
                                spec["memory_limit"], spec["threads"], Path(spec["temp_dir"]))
        else:
            result = _run_mlxtend(spec["engine"], Path(spec["baskets"]), Path(spec["out"]), params)
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


def measure(engine: str, orders: int, baskets: Path, out: Path, params: Params, *,
            sql_file: Path, timeout: float, memory_limit: str, threads: int,
            mlxtend_address_space_gb: float | None, work_dir: Path) -> Measurement:
    spec = {"engine": engine, "baskets": str(baskets), "out": str(out), "params": asdict(params),
            "sql_file": str(sql_file), "memory_limit": memory_limit, "threads": threads,
            "temp_dir": str(work_dir / "duckdb_tmp")}
    limit = None if engine == "macro" or not mlxtend_address_space_gb else int(mlxtend_address_space_gb * 2**30)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": str(threads)}
    try:
        proc = subprocess.run([sys.executable, "-m", "ecomseg.basket_benchmark", json.dumps(spec)],
                              capture_output=True, text=True, timeout=timeout, env=env,
                              preexec_fn=_limit_address_space(limit))
    except subprocess.TimeoutExpired:
        return Measurement(engine, orders, "timeout", seconds=timeout, detail=f"> {timeout:.0f} s")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return Measurement(engine, orders, "failed", detail=tail[0][:300])
    data = json.loads(lines[-1][len("RESULT "):])
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
                  log=print) -> list[Measurement]:
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "duckdb_tmp").mkdir(exist_ok=True)
    sql_file = work_dir / "association_rules.sql"
    log(f"rendering the macro with {params} ...")
    sql_file.write_text(render_macro_sql(params, work_dir), encoding="utf-8")
    results: list[Measurement] = []
    plan = [(n, list(engines)) for n in sizes] + [(n, ["macro"]) for n in macro_only_sizes]
    for orders, run_engines in plan:
        t0 = time.perf_counter()
        baskets = make_baskets(work_dir / f"baskets_{orders}_{items}.parquet", orders, items)
        log(f"{orders:>11,} orders: baskets ready ({time.perf_counter() - t0:.1f} s)")
        outs = {}
        for engine in run_engines:
            out = work_dir / f"rules_{engine}_{orders}.parquet"
            if out.exists():
                out.unlink()
            m = measure(engine, orders, baskets, out, params, sql_file=sql_file, timeout=timeout,
                        memory_limit=memory_limit, threads=threads,
                        mlxtend_address_space_gb=mlxtend_address_space_gb, work_dir=work_dir)
            if m.status == "ok":
                outs[engine] = out
            if m.status == "ok" and engine != "macro" and "macro" in outs:
                m.same_rules_as_macro, m.extra["check"] = same_rules(outs["macro"], out)
            results.append(m)
            log(f"    {engine:<9} {m.status:<8} " + (
                f"{m.seconds:8.2f} s (load {m.load_seconds:.2f}, mine {m.mine_seconds:.2f}) "
                f"cpu {m.cpu_seconds:.2f} s (load {m.load_cpu_seconds:.2f}, mine {m.mine_cpu_seconds:.2f})  peak {m.peak_rss_mb:7.0f} MB  rules {m.rules}  load {m.load_average:.1f}"
                + ("" if m.same_rules_as_macro is None else f"  same as macro: {m.same_rules_as_macro} ({m.extra['check']})")
                if m.status == "ok" else m.detail))
    return results


def _speedup(m: Measurement, ref: Measurement) -> str:
    """How many times the macro's query is faster: mine wall / mine CPU / load+mine wall / load+mine CPU."""
    return (f"{m.mine_seconds / ref.mine_seconds:.1f}x / {m.mine_cpu_seconds / ref.mine_cpu_seconds:.1f}x / "
            f"{(m.load_seconds + m.mine_seconds) / ref.mine_seconds:.1f}x / "
            f"{(m.load_cpu_seconds + m.mine_cpu_seconds) / ref.mine_cpu_seconds:.1f}x")


def markdown_table(results: list[Measurement]) -> str:
    """One row per (basket count, engine), plus the macro against mlxtend's best fpgrowth.

    Times are phase times: load (mlxtend: read the file and one-hot encode;
    macro: none, its query reads the file) and mine (mlxtend: itemsets, rules,
    filters; macro: the whole query). "macro faster by" divides the engine's
    time by the macro query's: mine wall / mine CPU / (load + mine) wall /
    (load + mine) CPU. CPU is user + system time of all threads. "total CPU s"
    is the whole child process (interpreter start and imports included).
    """
    macro = {m.orders: m for m in results if m.engine == "macro" and m.status == "ok"}
    head = ["orders", "engine", "wall s: load + mine", "CPU s: load + mine", "total CPU s", "peak RSS MB",
            "load avg", "rules", "identical to macro",
            "macro faster by: mine wall / mine CPU / load+mine wall / load+mine CPU"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in sorted(results, key=lambda r: (r.orders, ENGINES.index(r.engine))):
        if m.status != "ok":
            cells = [f"{m.orders:,}", m.engine, f"{m.status}: {m.detail}"] + [""] * (len(head) - 3)
        else:
            ref = macro.get(m.orders)
            speed = _speedup(m, ref) if m.engine != "macro" and ref is not None else ""
            same = "" if m.same_rules_as_macro is None else ("yes" if m.same_rules_as_macro else "NO")
            cells = [f"{m.orders:,}", m.engine, f"{m.load_seconds:.2f} + {m.mine_seconds:.2f}",
                     f"{m.load_cpu_seconds:.2f} + {m.mine_cpu_seconds:.2f}", f"{m.cpu_seconds:.2f}",
                     f"{m.peak_rss_mb:,.0f}", f"{m.load_average:.1f}", f"{m.rules:,}", same, speed]
        lines.append("| " + " | ".join(cells) + " |")
    best = []
    for orders, ref in sorted(macro.items()):
        candidates = [m for m in results if m.orders == orders and m.engine in FPGROWTH and m.status == "ok"]
        if candidates:
            m = min(candidates, key=lambda c: c.mine_seconds)
            best.append(f"| {orders:,} | {m.engine} | {_speedup(m, ref)} |")
    if best:
        lines += ["", "Macro against mlxtend's best fpgrowth (the faster one-hot by mining wall time):", "",
                  "| orders | best fpgrowth | macro faster by: mine wall / mine CPU / load+mine wall / load+mine CPU |",
                  "|---|---|---|"] + best
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
