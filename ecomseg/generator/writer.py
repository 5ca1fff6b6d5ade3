"""Stage 'writer': the shop's arrays as Parquet or CSV files in the raw data contract, and the output folder."""

from __future__ import annotations

import datetime as _dt
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecomseg import contract
from ecomseg.generator.common import (CATEGORIES, CHANNELS, DELIVERY_METHODS, DEVICES, EVENT_TYPES,
                                      EV_PURCHASE, EXCHANGE_RATE_CENTS, FORMATS, GENDERS, GROUND_TRUTH_FILE,
                                      INCOME_BANDS, PAYMENT_METHODS, REGIONS, RETURN_REASONS, ROW_GROUP_SIZE,
                                      SHOP_CURRENCY, STRING_TIMESTAMP_COLUMNS, VARIANTS, _decimal, _ids, _iso,
                                      _take)


# ---------------------------------------------------------------------------

HIGH_CARDINALITY_COLUMNS = frozenset({"event_id", "session_id", "visitor_id", "customer_id", "order_id",
                                      "send_id", "email", "occurred_at", "ordered_at"})

_ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int32(),
    "decimal": pa.decimal128(18, 2),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


class _Writer:
    def __init__(self, shop, out_dir: Path, fmt: str):  # shop: a built ecomseg.generator.shop._Shop
        self.shop = shop
        self.out_dir = out_dir
        self.fmt = fmt

    def _schema(self, table: str) -> pa.Schema:
        fields = []
        for col in contract.table(table).columns:
            if col.contract_type == "timestamp":
                if self.fmt == "csv" or (table, col.name) in STRING_TIMESTAMP_COLUMNS:
                    t = pa.string()
                else:
                    t = pa.timestamp("ms")
            else:
                t = _ARROW_TYPES[col.contract_type]
            fields.append(pa.field(col.name, t))
        return pa.schema(fields)

    def _coerce(self, table: str, cols: dict, n: int) -> pa.Table:
        schema = self._schema(table)
        arrays = []
        for field in schema:
            v = cols[field.name]
            if isinstance(v, np.ndarray) and v.dtype.kind in "iu" and \
                    contract.table(table).columns[schema.get_field_index(field.name)].contract_type == "timestamp":
                v = _iso(v) if field.type == pa.string() else pa.array(v.astype("datetime64[s]")).cast(pa.timestamp("ms"))
            elif isinstance(v, np.ndarray) and field.type == pa.date32():
                v = pa.array(v.astype(np.int32), pa.date32())
            elif not isinstance(v, (pa.Array, pa.ChunkedArray)):
                v = pa.array(v, field.type)
            if v.type != field.type:
                v = v.cast(field.type)
            assert len(v) == n, (table, field.name, len(v), n)
            arrays.append(v)
        return pa.Table.from_arrays(arrays, schema=schema)

    def write(self, table: str, n_rows: int, batch_fn: Callable[[int, int], dict]) -> int:
        path = self.out_dir / f"{table}.{self.fmt}"
        schema = self._schema(table)
        tmp = path.with_name(path.name + ".tmp")
        if self.fmt == "parquet":
            # dictionary pages only pay off for low-cardinality columns
            dict_cols = [f.name for f in schema if f.name not in HIGH_CARDINALITY_COLUMNS]
            writer = pq.ParquetWriter(tmp, schema, compression="zstd", use_dictionary=dict_cols,
                                      write_statistics=True, store_schema=True)
        else:
            writer = pacsv.CSVWriter(tmp, schema, write_options=pacsv.WriteOptions(include_header=True))
        def build(a: int) -> pa.Table:
            b = min(a + ROW_GROUP_SIZE, n_rows)
            return self._coerce(table, batch_fn(a, b), b - a)

        starts = list(range(0, n_rows, ROW_GROUP_SIZE))
        try:
            if n_rows == 0:
                writer.write_table(pa.Table.from_batches([], schema=schema))
            # build the next batch while this one is compressed and written (2 cores);
            # batches are written strictly in order, so the file does not change
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(build, starts[0]) if starts else None
                for k in range(len(starts)):
                    tbl = pending.result()
                    pending = pool.submit(build, starts[k + 1]) if k + 1 < len(starts) else None
                    if self.fmt == "parquet":
                        writer.write_table(tbl, row_group_size=ROW_GROUP_SIZE)
                    else:
                        writer.write_table(tbl)
                    del tbl
        finally:
            writer.close()
        os.replace(tmp, path)
        return n_rows


def _table_batches(shop) -> dict[str, tuple[int, Callable[[int, int], dict]]]:
    """For every table: number of rows and a function building rows [a, b) as columns."""
    s = shop
    cust_w, ord_w, sess_w, ev_w, vis_w, send_w = 7, 8, 9, 10, 9, 9

    def customers(a, b):
        i = np.arange(a, b)
        nums = i + 1
        email = pc.binary_join_element_wise(
            pc.utf8_lower(_ids("C", nums, cust_w)), pa.scalar("@example.com"), "")
        consent = s.consent[i]
        return {
            "customer_id": _ids("C", nums, cust_w),
            "email": email,
            "birth_date": s.birth_day[i],
            "gender": _take(GENDERS, s.gender[i]),
            "region": _take([r[0] for r in REGIONS], s.city_region[s.city[i]]),
            "city": _take(s.city_names, s.city[i]),
            "income_band": _take(INCOME_BANDS, s.income[i]),
            "signed_up_at": s.signup[i],
            "marketing_consent": pa.array(consent == 0, mask=consent == 2),
            "preferred_channel": _take(CHANNELS, s.channel[i]),
            "preferred_contact_hour": pa.array(s.contact_hour[i].astype(np.int32)),
        }

    def products(a, b):
        i = np.arange(a, b)
        order = np.argsort(s.prod_num)  # file sorted by product id
        idx = order[i]
        return {
            "product_id": _ids("P", s.prod_num[idx], 4),
            "product_name": pa.array([s.prod_name[j] for j in idx], pa.string()),
            "category": _take([c.name for c in CATEGORIES], s.prod_cat[idx]),
            "brand": pa.array([s.prod_brand[j] for j in idx], pa.string()),
            "list_price": _decimal(s.prod_price[idx]),
        }

    def orders(a, b):
        i = np.arange(a, b)
        cust = _ids("C", s.o_cust[i] + 1, cust_w)
        ts = _iso(s.o_ts[i])
        miss = s.o_missing_cust[(s.o_missing_cust >= a) & (s.o_missing_cust < b)]
        if miss.size:
            as_empty = s.o_missing_as_empty[(s.o_missing_cust >= a) & (s.o_missing_cust < b)]
            mask = np.zeros(b - a, dtype=bool)
            mask[miss - a] = True
            cust = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), cust)
            m2 = np.zeros(b - a, dtype=bool)
            m2[miss[as_empty] - a] = True
            if m2.any():
                cust = pc.replace_with_mask(cust, pa.array(m2), pa.array([""] * int(m2.sum()), pa.string()))
        sel = (s.o_bad_ts >= a) & (s.o_bad_ts < b)
        if sel.any():
            mask = np.zeros(b - a, dtype=bool)
            mask[s.o_bad_ts[sel] - a] = True
            ts = pc.replace_with_mask(ts, pa.array(mask), pa.array(list(s.o_bad_ts_text[sel]), pa.string()))
        sess = s.o_session[i]
        return {
            "order_id": _ids("O", s.o_num[i], ord_w),
            "customer_id": cust,
            "ordered_at": ts,
            "status": _take(s.status_names, s.o_status[i]),
            "payment_method": _take(PAYMENT_METHODS, s.o_pay[i]),
            "delivery_method": _take(DELIVERY_METHODS, s.o_del[i]),
            "shipping_region": _take([r[0] for r in REGIONS], s.city_region[s.o_city[i]]),
            "shipping_city": _take(s.city_names, s.o_city[i]),
            "discount_amount": _decimal(s.o_discount[i]),
            "session_id": _ids("S", s.s_rank[np.maximum(sess, 0)] + 1, sess_w, valid=sess >= 0),
            "currency": pa.array([SHOP_CURRENCY] * (b - a), pa.string()),
        }

    # exchange rates: the shop sells in PLN only, but keeps EUR and USD rates
    # (first day of every month of the window and the month before it)
    first = (s.cfg.end_date - _dt.timedelta(days=s.cfg.days)).replace(day=1) - _dt.timedelta(days=1)
    months = []
    m = first.replace(day=1)
    while m <= s.cfg.end_date:
        months.append(m)
        m = (m + _dt.timedelta(days=32)).replace(day=1)
    rate_rows = [(cur, d, cents + 3 * (k % 5)) for k, d in enumerate(months)
                 for cur, cents in EXCHANGE_RATE_CENTS.items()]

    def exchange_rates(a, b):
        rows = rate_rows[a:b]
        return {
            "currency": pa.array([r[0] for r in rows], pa.string()),
            "rate_date": pa.array([r[1] for r in rows], pa.date32()),
            "rate_to_shop_currency": _decimal(np.array([r[2] for r in rows], dtype=np.int64)),
        }

    # order items: real lines plus orphan lines, sorted by (order number, line number)
    n_real = s.l_order.size
    key_num = np.concatenate([s.o_num[s.l_order], s.orphan_num])
    key_line = np.concatenate([s.l_number, s.orphan_lines])
    items_order = np.lexsort((key_line, key_num))
    qty_all = s.l_qty.copy()
    qty_all[s.l_negative] = s.l_neg_qty

    def order_items(a, b):
        j = items_order[a:b]
        real = j < n_real
        jr = np.where(real, j, 0)
        jo = np.where(real, 0, j - n_real)
        prod = np.where(real, s.l_prod[jr], s.orphan_prod[jo] if s.orphan_prod.size else 0)
        qty = np.where(real, qty_all[jr], s.orphan_qty[jo] if s.orphan_qty.size else 0)
        price = np.where(real, s.l_price[jr], s.orphan_price[jo] if s.orphan_price.size else 0)
        return {
            "order_id": _ids("O", key_num[j], ord_w),
            "line_number": pa.array(key_line[j].astype(np.int32)),
            "product_id": _ids("P", s.prod_num[prod], 4),
            "quantity": pa.array(qty.astype(np.int32)),
            "unit_price": _decimal(price),
        }

    def returns(a, b):
        i = np.arange(a, b)
        line = s.ret_line[i]
        return {
            "order_id": _ids("O", s.o_num[s.l_order[line]], ord_w),
            "product_id": _ids("P", s.prod_num[s.l_prod[line]], 4),
            "returned_at": s.ret_ts[i],
            "quantity": pa.array(s.ret_qty[i].astype(np.int32)),
            "reason": _take(RETURN_REASONS, s.ret_reason[i]),
            "is_complaint": pa.array(s.ret_complaint[i]),
        }

    def sessions(a, b):
        j = s.session_file_order[a:b]
        cust = s.s_known_cust[j]
        return {
            "session_id": _ids("S", np.arange(a, b) + 1, sess_w),
            "visitor_id": _ids("V", s.visitor_num[s.s_vis[j]], vis_w),
            "customer_id": _ids("C", cust + 1, cust_w, valid=cust >= 0),
            "started_at": s.s_start[j],
            "traffic_source": _take(s.raw_source_names, s.s_raw_source[j]),
            "campaign": _take(s.campaign_names, s.s_campaign[j]),
            "device": _take(DEVICES, s.vis_device[s.s_vis[j]]),
        }

    odd_map = dict(zip(s.ev_odd.tolist(), s.ev_odd_query.tolist())) if s.ev_odd.size else {}
    bad_ts = dict(zip(s.ev_bad_ts.tolist(), s.ev_bad_ts_text.tolist()))
    special = np.zeros(s.ev_ts.size, dtype=bool)  # events with an odd query or a malformed time
    special[s.ev_odd] = True
    special[s.ev_bad_ts] = True

    def events(a, b):
        j = s.ev_file_order[a:b]
        sess = s.ev_sess[j].astype(np.int64)
        ts = s.ev_ts[j]
        cust = s.s_known_cust[sess]
        signup = s.signup[np.maximum(cust, 0)]
        cust = np.where((cust >= 0) & (ts >= signup), cust, -1)
        etype = s.ev_type[j]
        query = s.ev_query[j].astype(np.int64)
        hits = np.flatnonzero(special[j])
        for h in hits:
            if int(j[h]) in odd_map:
                query[h] = odd_map[int(j[h])]
        occurred = _iso(ts)
        if bad_ts:
            hit = np.array([h for h in hits if int(j[h]) in bad_ts], dtype=np.int64)
            if hit.size:
                mask = np.zeros(b - a, dtype=bool)
                mask[hit] = True
                occurred = pc.replace_with_mask(occurred, pa.array(mask),
                                                pa.array([bad_ts[int(j[h])] for h in hit], pa.string()))
        order = s.s_order[sess]
        is_p = etype == EV_PURCHASE
        step = s.ev_step[j]
        return {
            "event_id": _ids("E", j + 1, ev_w),
            "session_id": _ids("S", s.s_rank[sess] + 1, sess_w),
            "visitor_id": _ids("V", s.visitor_num[s.s_vis[sess]], vis_w),
            "customer_id": _ids("C", cust + 1, cust_w, valid=cust >= 0),
            "occurred_at": occurred,
            "event_type": _take(EVENT_TYPES, etype),
            "product_id": _ids("P", s.prod_num[np.maximum(s.ev_prod[j], 0)], 4, valid=s.ev_prod[j] >= 0),
            "category": _take([c.name for c in CATEGORIES], s.ev_cat[j]),
            "search_query": _take(s.queries, query),
            "checkout_step": pa.array(step.astype(np.int32), mask=step < 0),
            "order_id": _ids("O", s.o_num[np.maximum(order, 0)], ord_w, valid=is_p),
        }

    def campaign_sends(a, b):
        i = np.arange(a, b)
        return {
            "send_id": _ids("M", i + 1, send_w),
            "campaign_id": _take(s.campaign_ids, s.send_camp[i]),
            "variant": _take(VARIANTS, s.send_var[i]),
            "customer_id": _ids("C", s.send_cust[i] + 1, cust_w),
            "channel": _take(CHANNELS, s.channel[s.send_cust[i]]),
            "sent_at": s.send_ts[i],
        }

    return {
        "orders": (s.n_orders, orders),
        "order_items": (items_order.size, order_items),
        "exchange_rates": (len(rate_rows), exchange_rates),
        "customers": (s.n_customers, customers),
        "products": (s.n_products, products),
        "returns": (s.ret_line.size, returns),
        "sessions": (s.n_sessions, sessions),
        "events": (s.ev_file_order.size, events),
        "campaign_sends": (s.send_cust.size, campaign_sends),
    }


#: The state file of a daily-batch run (ecomseg.batches), removed with the other files of an earlier run.
BATCH_STATE_FILE = "_generator.json"


def _prepare_out_dir(out: Path, force: bool) -> None:
    """Remove what an earlier run wrote into ``out`` (files of contract tables, <table>/ folders of a
    daily-batch run, ground_truth.json, _generator.json), only when that run was this generator's
    (a ground_truth.json) or the folder holds no contract files; else FileExistsError unless force."""
    out.mkdir(parents=True, exist_ok=True)
    existing = [out / f"{t}.{ext}" for t in contract.tables() for ext in FORMATS
                if (out / f"{t}.{ext}").exists()]
    folders = [out / t for t in contract.tables() if (out / t).is_dir()]
    ours = (out / GROUND_TRUTH_FILE).exists()
    if (existing or folders) and not ours and not force:
        names = ", ".join(p.name for p in (existing + folders)[:3])
        raise FileExistsError(f"{out} holds raw tables that this generator did not write ({names}...); "
                              "pass force=True (--force) to replace them")
    for p in existing:
        p.unlink()
    for p in folders:
        shutil.rmtree(p)
    for name in (GROUND_TRUTH_FILE, BATCH_STATE_FILE):
        if (out / name).exists():
            (out / name).unlink()
