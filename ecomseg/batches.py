"""The synthetic shop written as daily export folders, and appended day by day.

`generate_batches()` writes the shop of :func:`ecomseg.generator.generate` as
a shop's daily exports::

    <out>/<table>/date=YYYY-MM-DD/part-0001.<fmt>     (one per table and day)
    <out>/products.<fmt>, <out>/exchange_rates.<fmt>  (no natural date: one file each)
    <out>/ground_truth.json, <out>/_generator.json

A row's day is the UTC date of its natural time (:data:`DATED_BY`): events by
``occurred_at``, sessions by ``started_at``, orders by ``ordered_at``, order
lines with their order, returns by ``returned_at``, customers by
``signed_up_at`` and campaign sends by ``sent_at``.  Rows dated before the
first day (customers who registered before the window) are in the first
day's file.  Every table gets a file for every day, empty when nothing
happened that day.  A malformed timestamp (dirt) does not move a row: its
day is the one of the time it stands for.  Within a day's file rows keep the
order of the single-file shop; redelivered rows come after the day's own.

Without redeliveries the union of all files is exactly the single-file shop
(same rows, same values, each order once with its final status).

Horizon and appending
---------------------
The shop is generated for the window ``first_day .. last_day`` where
``last_day = end_date + horizon_days``, but the first call writes only the
days up to ``end_date``; ``append_days()`` (CLI ``--append-days N``) writes
the next N days of the same shop.  The parameters are kept in
``<out>/_generator.json`` (its name starts with ``_``: the loader ignores it;
it is the only file an append rewrites).  Every day's file depends only on
the parameters, never on which call writes it: a shop written in one call
and one written in several appends hold byte-identical files.  An append
never rewrites an existing file (it stops with an error naming the file).
``ground_truth.json`` describes the whole shop up to ``last_day`` (all days
written) and is written once, by the first call.

Redeliveries (``redeliveries=True``, CLI ``--redeliveries``)
-----------------------------------------------------------
What real exports do, planted and listed in ``ground_truth.json`` under
``batches.redeliveries`` (as columns: a list of values per field, e.g.
``late_events: {event_id: [...], occurred_date: [...], delivered_date: [...]}``):

* late events: a share :data:`LATE_EVENT_SHARE` of the events lands in the
  file of a later day (1 to :data:`MAX_DELAY_DAYS` days later, never after
  ``last_day``) instead of its own, with its original timestamp;
* duplicate deliveries: a share :data:`DUPLICATE_EVENT_SHARE` of the events
  is delivered in its own day's file and again, identical, in a later day's
  file (``expected_quarantine.events.duplicate_key`` counts them too);
* order re-exports: an order is exported on the day it is placed (status
  ``placed``, or ``paid`` when paid upfront) and again on the day of each
  status change (``shipped`` 8-24 h after the order, ``delivered`` 12-24 h
  after shipping, or ``cancelled`` 1-72 h after the order; never after the
  last day, and an order ends in the single-file shop's final status), with
  all its lines re-exported alongside; changes of one
  day give one export with the day's last status.  The latest delivery of
  an order is the single-file shop's row (its final status), its lines
  are the order's lines.  Orders with planted dirt (malformed
  ``ordered_at``, no customer, a negative quantity on a line) are exported
  once, as in the single-file shop.

Events picked for redelivery are never ones with planted dirt (malformed
time, in-file late or duplicate delivery).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecomseg import DEFAULT_RAW_DIR, contract
from ecomseg import generator as g

LAYOUTS = ("daily",)
STATE_FILE = g.BATCH_STATE_FILE
PART_NAME = "part-0001"
DATED_BY = {
    "customers": "signed_up_at (customers who registered before the first day: the first day)",
    "orders": "ordered_at (re-exports: the day of the status change)",
    "order_items": "their order's delivery",
    "returns": "returned_at",
    "sessions": "started_at",
    "events": "occurred_at (late events: the day they are delivered)",
    "campaign_sends": "sent_at",
}
UNDATED_TABLES = ("products", "exchange_rates")
LATE_EVENT_SHARE = 0.004
DUPLICATE_EVENT_SHARE = 0.002
MAX_DELAY_DAYS = 3
CHUNK_ROWS = g.ROW_GROUP_SIZE

KIND_OWN, KIND_REDELIVERED = 0, 1


def _iso_day(day: int) -> str:
    return (_dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))).isoformat()


def _iso_days(days: np.ndarray) -> list[str]:
    days = np.asarray(days, dtype=np.int64)
    uniq, inv = np.unique(days, return_inverse=True)
    return np.array([_iso_day(d) for d in uniq.tolist()], dtype=object)[inv].tolist()


def _epoch_day(d: _dt.date) -> int:
    return (d - _dt.date(1970, 1, 1)).days


def day_path(out: Path, table: str, day: int | str, fmt: str) -> Path:
    """``<out>/<table>/date=YYYY-MM-DD/part-0001.<fmt>``."""
    iso = day if isinstance(day, str) else _iso_day(day)
    return Path(out) / table / f"date={iso}" / f"{PART_NAME}.{fmt}"


@dataclass
class _Placement:
    """Where each delivered row of a table goes: file-order position, day, kind, status override."""
    pos: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    status: np.ndarray | None = None  # orders only: status index, -1 = the row's own

    def sorted(self) -> "_Placement":
        o = np.lexsort((self.kind, self.day, self.pos))
        return _Placement(self.pos[o], self.day[o], self.kind[o],
                          None if self.status is None else self.status[o])


class _Plan:
    """Which row goes into which day's file, redeliveries included; fully determined by the shop."""

    def __init__(self, shop, first_day: int, last_day: int, redeliveries: bool):
        s = self.shop = shop
        self.first_day, self.last_day = first_day, last_day
        self.redeliveries = redeliveries

        def clamp(day):
            return np.clip(np.asarray(day, dtype=np.int64), first_day, last_day)

        # order lines in file order (as generator._table_batches writes them)
        n_real = s.l_order.size
        key_num = np.concatenate([s.o_num[s.l_order], s.orphan_num])
        key_line = np.concatenate([s.l_number, s.orphan_lines])
        items_order = np.lexsort((key_line, key_num))
        item_order_idx = np.where(items_order < n_real, s.l_order[np.minimum(items_order, n_real - 1)], -1)
        # an orphan line (its order number was skipped) is dated like the order numbered just before it
        orphan_owner = np.maximum(np.searchsorted(s.o_num, key_num[items_order], side="right") - 1, 0)
        order_day = s.o_ts // g.DAY
        item_day = order_day[np.where(item_order_idx >= 0, item_order_idx, orphan_owner)]

        own = {
            "customers": s.signup // g.DAY,
            "orders": order_day,
            "order_items": item_day,
            "returns": s.ret_ts // g.DAY,
            "sessions": s.s_start[s.session_file_order] // g.DAY,
            "events": s.ev_ts[s.ev_file_order] // g.DAY,
            "campaign_sends": s.send_ts // g.DAY,
        }
        self.placements: dict[str, _Placement] = {}
        for t, day in own.items():
            n = day.size
            self.placements[t] = _Placement(np.arange(n, dtype=np.int64), clamp(day),
                                            np.zeros(n, dtype=np.int8))
        self.placements["orders"].status = np.full(s.n_orders, -1, dtype=np.int8)
        self.truth: dict | None = None
        if redeliveries:
            self._plan_events(own["events"])
            self._plan_orders(item_order_idx)

    # -- events: late and duplicate deliveries -----------------------------
    def _plan_events(self, ev_day: np.ndarray) -> None:
        s = self.shop
        rng = s.rng("batches", 1)
        j = s.ev_file_order
        n = j.size
        dirty = np.zeros(s.ev_ts.size, dtype=bool)
        for idx in (s.ev_bad_ts, s.ev_late, s.ev_dup):
            dirty[idx] = True
        eligible = np.flatnonzero(~dirty[j] & (ev_day < self.last_day))
        k_late = min(int(round(LATE_EVENT_SHARE * n)), eligible.size)
        k_dup = min(int(round(DUPLICATE_EVENT_SHARE * n)), eligible.size - k_late)
        pick = np.sort(rng.choice(eligible, size=k_late + k_dup, replace=False)) if k_late + k_dup else \
            np.array([], np.int64)
        is_late = np.zeros(pick.size, dtype=bool)
        is_late[rng.choice(pick.size, size=k_late, replace=False)] = True
        delay = np.minimum(rng.integers(1, MAX_DELAY_DAYS + 1, pick.size), self.last_day - ev_day[pick])
        late, dup = pick[is_late], pick[~is_late]
        late_day, dup_day = (ev_day[pick] + delay)[is_late], (ev_day[pick] + delay)[~is_late]
        p = self.placements["events"]
        p.day[late] = late_day
        p.kind[late] = KIND_REDELIVERED
        self.placements["events"] = _Placement(
            np.concatenate([p.pos, dup]), np.concatenate([p.day, dup_day]),
            np.concatenate([p.kind, np.full(dup.size, KIND_REDELIVERED, np.int8)])).sorted()
        eid = lambda pos: g._ids("E", j[pos] + 1, 10).to_pylist()  # noqa: E731  (as generator._table_batches)
        self.late_events = {"event_id": eid(late), "occurred_date": _iso_days(ev_day[late]),
                            "delivered_date": _iso_days(late_day)}
        self.duplicate_deliveries = {"event_id": eid(dup), "first_delivered_date": _iso_days(ev_day[dup]),
                                     "redelivered_date": _iso_days(dup_day)}

    # -- orders: one export per day with a status change ---------------------
    def _plan_orders(self, item_order_idx: np.ndarray) -> None:
        s = self.shop
        rng = s.rng("batches", 2)
        n = s.n_orders
        final = s.o_status.astype(np.int64)
        # status codes by name (generator.ST_*: places in the contract's list of order statuses)
        ST_PLACED, ST_PAID, ST_SHIPPED = g.ST_PLACED, g.ST_PAID, g.ST_SHIPPED  # noqa: N806
        ST_DELIVERED, ST_CANCELLED = g.ST_DELIVERED, g.ST_CANCELLED  # noqa: N806
        cod = s.o_pay == g.PAYMENT_METHODS.index("cash_on_delivery")
        age = s.t1 - s.o_ts  # >= 1 second
        first = np.where(cod | (final == ST_PLACED), ST_PLACED, ST_PAID)
        # shipped 8-24 h after the order, delivered 12-24 h after that (before any return,
        # which comes 2 days or more after the order); cancelled 1-72 h after the order;
        # every change before the end of the window
        ship = s.o_ts + rng.integers(8 * g.HOUR, 24 * g.HOUR, n)
        ship = np.minimum(ship, s.o_ts + age - 1)
        deliver = ship + rng.integers(12 * g.HOUR, 24 * g.HOUR, n)
        cancel = s.o_ts + np.minimum(rng.integers(g.HOUR, 72 * g.HOUR, n), age - 1)
        assert (deliver[final == ST_DELIVERED] < s.t1).all()
        dirty = s.o_dirty.copy()
        dirty[s.l_order[s.l_negative]] = True
        steps = [(s.o_ts, first, np.ones(n, dtype=bool)),
                 (ship, np.full(n, ST_SHIPPED), (final == ST_SHIPPED) | (final == ST_DELIVERED)),
                 (deliver, np.full(n, ST_DELIVERED), final == ST_DELIVERED),
                 (cancel, np.full(n, ST_CANCELLED), final == ST_CANCELLED)]
        order_idx, ver_day, ver_status, ver_seq = [], [], [], []
        for k, (ts, status, applies) in enumerate(steps):
            sel = np.flatnonzero(applies & ~dirty)
            order_idx.append(sel)
            ver_day.append(ts[sel] // g.DAY)
            ver_status.append(status[sel])
            ver_seq.append(np.full(sel.size, k))
        oi, vd, vs, vq = (np.concatenate(x) for x in (order_idx, ver_day, ver_status, ver_seq))
        # one export per order and day: the day's last status
        o = np.lexsort((vq, vd, oi))
        oi, vd, vs = oi[o], vd[o], vs[o]
        last_of_day = np.ones(oi.size, dtype=bool)
        last_of_day[:-1] = (oi[1:] != oi[:-1]) | (vd[1:] != vd[:-1])
        oi, vd, vs = oi[last_of_day], vd[last_of_day], vs[last_of_day]
        first_ver = np.ones(oi.size, dtype=bool)
        first_ver[1:] = oi[1:] != oi[:-1]
        last_ver = np.ones(oi.size, dtype=bool)
        last_ver[:-1] = oi[1:] != oi[:-1]
        assert (vs[last_ver] == final[oi[last_ver]]).all(), "the latest export must carry the final status"
        p = self.placements["orders"]
        clean = ~dirty
        # the order's first export replaces its single-file row; re-exports come on top
        p.status[np.flatnonzero(clean)] = vs[first_ver]
        p.day[np.flatnonzero(clean)] = np.clip(vd[first_ver], self.first_day, self.last_day)
        re = ~first_ver
        re_order, re_day, re_status = oi[re], vd[re], vs[re]
        self.placements["orders"] = _Placement(
            np.concatenate([p.pos, re_order]), np.concatenate([p.day, re_day]),
            np.concatenate([p.kind, np.full(re_order.size, KIND_REDELIVERED, np.int8)]),
            np.concatenate([p.status, re_status.astype(np.int8)])).sorted()
        # the lines of a re-exported order: the items-file positions of that order's lines
        real_pos = np.flatnonzero(item_order_idx >= 0)
        by_order = real_pos[np.argsort(item_order_idx[real_pos], kind="stable")]
        counts = np.bincount(item_order_idx[real_pos], minlength=n)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        c = counts[re_order]
        rep = np.repeat(np.arange(re_order.size), c)
        offs = np.arange(rep.size) - np.repeat(np.cumsum(c) - c, c)
        line_pos = by_order[starts[re_order][rep] + offs]
        li = self.placements["order_items"]
        self.placements["order_items"] = _Placement(
            np.concatenate([li.pos, line_pos]), np.concatenate([li.day, re_day[rep]]),
            np.concatenate([li.kind, np.full(line_pos.size, KIND_REDELIVERED, np.int8)])).sorted()
        reexported = np.unique(re_order)
        keep = np.isin(oi, reexported)
        self.order_versions = {"order_id": g._ids("O", s.o_num[oi[keep]], 8).to_pylist(),  # as _table_batches
                               "delivered_date": _iso_days(vd[keep]),
                               "status": np.array(s.status_names, dtype=object)[vs[keep]].tolist()}
        self.reexported_orders = int(reexported.size)

    def rows_delivered(self) -> dict[str, int]:
        return {t: int(p.pos.size) for t, p in self.placements.items()}


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

def _write_file(path: Path, tbl: pa.Table, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "parquet":
        dict_cols = [f.name for f in tbl.schema if f.name not in g.HIGH_CARDINALITY_COLUMNS]
        pq.write_table(tbl, tmp, compression="zstd", use_dictionary=dict_cols, write_statistics=True,
                       store_schema=True, row_group_size=g.ROW_GROUP_SIZE)
    else:
        pacsv.write_csv(tbl, tmp, write_options=pacsv.WriteOptions(include_header=True))
    os.replace(tmp, path)


def _write_table_days(writer: "g._Writer", table: str, n_rows: int, batch_fn, placement: _Placement,
                      days: range, out: Path, fmt: str, status_names: list[str]) -> tuple[int, int]:
    """Write ``<table>/date=<day>/part-0001`` for every day in ``days``; returns (files, rows)."""
    paths = {d: day_path(out, table, d, fmt) for d in days}
    for p in paths.values():
        if p.exists():
            raise FileExistsError(f"{p} exists already; the generator never rewrites a delivered file")
    sel = (placement.day >= days.start) & (placement.day < days.stop)
    pos, day, kind = placement.pos[sel], placement.day[sel], placement.kind[sel]
    status = placement.status[sel] if placement.status is not None else None
    # a day's file is written once its last row has been built (files are nearly chronological,
    # so few days are pending at a time)
    last_pos: dict[int, int] = {}
    if pos.size:
        o = np.lexsort((pos, day))
        d_sorted, p_sorted = day[o], pos[o]
        ends = np.flatnonzero(np.r_[d_sorted[1:] != d_sorted[:-1], True])  # last row of each day
        last_pos = dict(zip(d_sorted[ends].tolist(), p_sorted[ends].tolist()))
    flush_at: dict[int, list[int]] = {}
    for d, lp in last_pos.items():
        flush_at.setdefault(lp // CHUNK_ROWS, []).append(d)
    pending: dict[int, list] = {}
    schema = writer._schema(table)
    files = rows = 0
    chunks = np.unique(pos // CHUNK_ROWS) if pos.size else np.array([], np.int64)
    bounds = np.searchsorted(pos, chunks * CHUNK_ROWS), np.searchsorted(pos, (chunks + 1) * CHUNK_ROWS)
    for c, lo, hi in zip(chunks.tolist(), *bounds):
        a, b = c * CHUNK_ROWS, min((c + 1) * CHUNK_ROWS, n_rows)
        tbl = writer._coerce(table, batch_fn(a, b), b - a)
        cp, cd, ck = pos[lo:hi], day[lo:hi], kind[lo:hi]
        piece = tbl.take(pa.array(cp - a))
        if status is not None:
            cs = status[lo:hi]
            override = cs >= 0
            if override.any():
                new = pa.array(np.array(status_names, dtype=object)[np.maximum(cs, 0)].tolist(), pa.string())
                col = schema.get_field_index("status")
                piece = piece.set_column(col, schema.field(col),
                                         pc.if_else(pa.array(override), new, piece.column(col)))
        for d in np.unique(cd).tolist():
            m = np.flatnonzero(cd == d)
            pending.setdefault(d, []).append((piece.take(pa.array(m)), ck[m], cp[m]))
        del tbl, piece
        for d in sorted(flush_at.get(c, [])):
            parts = pending.pop(d)
            tbl = pa.concat_tables([p[0] for p in parts])
            order = np.lexsort((np.concatenate([p[2] for p in parts]), np.concatenate([p[1] for p in parts])))
            tbl = tbl.take(pa.array(order))
            _write_file(paths[d], tbl, fmt)
            files, rows = files + 1, rows + tbl.num_rows
    assert not pending, sorted(pending)
    for d in days:
        if d not in last_pos:  # nothing that day: an empty export
            _write_file(paths[d], schema.empty_table(), fmt)
            files += 1
    return files, rows


def _read_state(out: Path) -> dict:
    path = out / STATE_FILE
    if not path.exists():
        raise FileNotFoundError(f"{out} has no {STATE_FILE}: it was not written with --batches daily")
    return json.loads(path.read_text(encoding="utf-8"))


def _write_state(out: Path, state: dict) -> None:
    tmp = out / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / STATE_FILE)


def _prepare_out_dir(out: Path, force: bool) -> None:
    """Remove what an earlier run wrote, for both layouts (ecomseg.generator.writer._prepare_out_dir)."""
    g._prepare_out_dir(out, force)


def _build(state: dict, progress):
    last = _dt.date.fromisoformat(state["last_day"])
    first = _dt.date.fromisoformat(state["first_day"])
    cfg = g._Config(customers=int(state["customers"]), days=(last - first).days + 1, seed=int(state["seed"]),
                    end_date=last, fmt=state["format"], dirt_rate=float(state["dirt_rate"]))
    shop = g._Shop(cfg, progress).build()
    plan = _Plan(shop, _epoch_day(first), _epoch_day(last), bool(state["redeliveries"]))
    return cfg, shop, plan


def _write_days(out: Path, shop, plan: _Plan, fmt: str, days: range) -> dict[str, tuple[int, int]]:
    writer = g._Writer(shop, out, fmt)
    fns = g._table_batches(shop)
    done = {}
    for t in contract.tables():
        if t in UNDATED_TABLES:
            continue
        n, fn = fns[t]
        done[t] = _write_table_days(writer, t, n, fn, plan.placements[t], days, out, fmt, shop.status_names)
        shop.report(f"wrote {t}/ ({done[t][0]} daily files)", done[t][1])
    return done


def _ground_truth(cfg, shop, plan: _Plan) -> dict:
    fns = g._table_batches(shop)
    truth = g._ground_truth(shop, cfg, {t: int(fns[t][0]) for t in contract.tables()})
    red = None
    if plan.redeliveries:
        truth["expected_quarantine"]["events"]["duplicate_key"] += len(plan.duplicate_deliveries["event_id"])
        red = {
            "late_event_share": LATE_EVENT_SHARE, "duplicate_event_share": DUPLICATE_EVENT_SHARE,
            "max_delay_days": MAX_DELAY_DAYS,
            "late_events": plan.late_events,
            "duplicate_deliveries": plan.duplicate_deliveries,
            "reexported_orders": plan.reexported_orders,
            "order_versions": plan.order_versions,
        }
    truth["batches"] = {
        "layout": "daily",
        "path": "<table>/date=YYYY-MM-DD/" + f"{PART_NAME}.{cfg.fmt}",
        "first_day": _iso_day(plan.first_day),
        "last_day": _iso_day(plan.last_day),
        "dated_by": DATED_BY,
        "undated_tables": list(UNDATED_TABLES),
        "rows_delivered": {**plan.rows_delivered(), **{t: int(fns[t][0]) for t in UNDATED_TABLES}},
        "redeliveries": red,
    }
    return truth


def _write_truth(path: Path, truth: dict) -> None:
    """``ground_truth.json`` indented, but the long lists of the redeliveries on one line each."""
    red = (truth.get("batches") or {}).get("redeliveries")
    compact = {}
    if red:
        red = {k: dict(v) if isinstance(v, dict) else v for k, v in red.items()}  # the caller's stays as is
        truth = {**truth, "batches": {**truth["batches"], "redeliveries": red}}
        for kind in ("late_events", "duplicate_deliveries", "order_versions"):
            for col, values in red[kind].items():
                key = f"@@{kind}.{col}@@"
                compact[json.dumps(key)] = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
                red[kind][col] = key
    text = json.dumps(truth, indent=2, ensure_ascii=False)
    for key, values in compact.items():
        text = text.replace(key, values, 1)
    path.write_text(text + "\n", encoding="utf-8")


def generate_batches(
    out_dir: str | os.PathLike | None = None,
    customers: int = g.DEFAULT_CUSTOMERS,
    days: int = g.DEFAULT_DAYS,
    seed: int = g.DEFAULT_SEED,
    end_date: str | _dt.date = g.DEFAULT_END_DATE,
    fmt: str = "parquet",
    dirt_rate: float = g.DEFAULT_DIRT_RATE,
    horizon_days: int = 0,
    redeliveries: bool = False,
    progress: g.ProgressFn | None = None,
    force: bool = False,
) -> dict:
    """Write the shop as daily export folders for the ``days`` days ending with ``end_date``.

    The shop is generated up to ``end_date + horizon_days`` (the days after
    ``end_date`` are written by :func:`append_days`).  With ``horizon_days=0``
    and no redeliveries the files hold exactly the rows of
    ``generator.generate(customers=..., days=..., end_date=..., seed=...)``.
    Returns the ground truth (also written to ``ground_truth.json``).
    """
    if fmt not in g.FORMATS:
        raise ValueError(f"fmt must be one of {g.FORMATS}")
    if int(customers) < 50:
        raise ValueError("customers must be at least 50")
    if int(days) < 60:
        raise ValueError("days must be at least 60")
    if int(horizon_days) < 0:
        raise ValueError("horizon_days must not be negative")
    if not 0 <= float(dirt_rate) <= 0.05:
        raise ValueError("dirt_rate must be between 0 and 0.05")
    if isinstance(end_date, str):
        end_date = _dt.date.fromisoformat(end_date)
    first = end_date - _dt.timedelta(days=int(days) - 1)
    state = {
        "generator_version": g.GENERATOR_VERSION, "layout": "daily", "customers": int(customers),
        "seed": int(seed), "format": fmt, "dirt_rate": float(dirt_rate), "redeliveries": bool(redeliveries),
        "first_day": first.isoformat(),
        "last_day": (end_date + _dt.timedelta(days=int(horizon_days))).isoformat(),
        "written_through": end_date.isoformat(),
    }
    out = Path(out_dir) if out_dir is not None else DEFAULT_RAW_DIR
    cfg, shop, plan = _build(state, progress)
    _prepare_out_dir(out, force)
    writer = g._Writer(shop, out, fmt)
    fns = g._table_batches(shop)
    for t in UNDATED_TABLES:
        writer.write(t, *fns[t])
        shop.report(f"wrote {t}.{fmt}", fns[t][0])
    _write_days(out, shop, plan, fmt, range(plan.first_day, _epoch_day(end_date) + 1))
    truth = _ground_truth(cfg, shop, plan)
    _write_truth(out / g.GROUND_TRUTH_FILE, truth)
    _write_state(out, state)
    return truth


def append_days(out_dir: str | os.PathLike, n_days: int, progress: g.ProgressFn | None = None) -> dict:
    """Write the next ``n_days`` days of the shop in ``out_dir`` (written by :func:`generate_batches`).

    Returns ``{"days": [first, last], "files": n, "rows": n}`` of what was written.
    """
    out = Path(out_dir)
    state = _read_state(out)
    if state.get("generator_version") != g.GENERATOR_VERSION:
        raise ValueError(f"{out / STATE_FILE} was written by generator version {state.get('generator_version')}, "
                         f"this is version {g.GENERATOR_VERSION}: regenerate the folder")
    if int(n_days) <= 0:
        raise ValueError("the number of days to append must be positive")
    done = _dt.date.fromisoformat(state["written_through"])
    last = _dt.date.fromisoformat(state["last_day"])
    left = (last - done).days
    if n_days > left:
        raise ValueError(f"{out} is written through {done} and its shop ends on {last} ({left} day(s) left); "
                         f"cannot append {n_days}: regenerate it with a larger --horizon-days")
    _, shop, plan = _build(state, progress)
    days = range(_epoch_day(done) + 1, _epoch_day(done) + 1 + int(n_days))
    written = _write_days(out, shop, plan, state["format"], days)
    state["written_through"] = _iso_day(days.stop - 1)
    _write_state(out, state)
    return {"days": [_iso_day(days.start), _iso_day(days.stop - 1)],
            "files": sum(f for f, _ in written.values()), "rows": sum(r for _, r in written.values())}


def read_state(out_dir: str | os.PathLike) -> dict:
    """The parameters in ``<out_dir>/_generator.json``."""
    return _read_state(Path(out_dir))


__all__ = ["generate_batches", "append_days", "read_state", "day_path", "LAYOUTS",
           "STATE_FILE", "DATED_BY", "UNDATED_TABLES", "LATE_EVENT_SHARE", "DUPLICATE_EVENT_SHARE",
           "MAX_DELAY_DAYS"]
