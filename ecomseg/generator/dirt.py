"""Stage 'dirt': the planted defects (every dirty row has exactly one), see the package docstring."""

from __future__ import annotations

import numpy as np

from ecomseg.generator.common import (EV_PURCHASE, EV_SEARCH, MALFORMED_TIMESTAMPS)


class DirtStage:
    """Dirt (a stage of _Shop)."""

    # -- dirt --------------------------------------------------------------
    def _build_dirt(self) -> None:
        rng = self.rng("dirt")
        r = self.cfg.dirt_rate

        def count(rows: int) -> int:
            if r <= 0 or rows == 0:
                return 0
            return int(min(max(1, round(r * rows)), rows // 10 + 1))

        n_o, n_l, n_e = self.n_orders, self.l_order.size, self.ev_ts.size
        # orders: missing customer id, malformed timestamp
        k_miss, k_bad = count(n_o), count(n_o)
        pick = rng.choice(n_o, size=min(k_miss + k_bad, n_o), replace=False) if k_miss + k_bad else np.array([], np.int64)
        self.o_missing_cust = np.sort(pick[:k_miss])
        self.o_bad_ts = np.sort(pick[k_miss:])
        self.o_missing_as_empty = rng.random(self.o_missing_cust.size) < 0.5  # "" rather than null
        self.o_bad_ts_text = np.array(MALFORMED_TIMESTAMPS, dtype=object)[
            rng.integers(0, len(MALFORMED_TIMESTAMPS), self.o_bad_ts.size)]
        dirty_order = np.zeros(n_o, dtype=bool)
        dirty_order[pick] = True
        self.o_dirty = dirty_order
        # order lines: negative quantities on valid orders, lines of order numbers that do not exist
        returned = np.zeros(n_l, dtype=bool)
        returned[self.ret_line] = True
        cand = np.flatnonzero(~dirty_order[self.l_order] & ~returned)
        k_neg = min(count(n_l), cand.size)
        self.l_negative = np.sort(rng.choice(cand, size=k_neg, replace=False)) if k_neg else np.array([], np.int64)
        self.l_neg_qty = -rng.integers(1, 4, k_neg)
        k_orph = count(n_l)
        # skipped order numbers: gap after chosen orders
        gaps_after = np.sort(rng.choice(n_o, size=min(k_orph, n_o), replace=False)) if k_orph else np.array([], np.int64)
        shift = np.zeros(n_o, dtype=np.int64)
        if gaps_after.size:
            np.add.at(shift, np.minimum(gaps_after + 1, n_o - 1), 1)
            shift = np.cumsum(shift)
            # a gap after the last order would not be a gap: it lands before it instead
        self.o_num = np.arange(1, n_o + 1) + shift
        hi = int(self.o_num[-1]) if n_o else 1
        self.orphan_num = np.setdiff1d(np.arange(1, hi + 1), self.o_num, assume_unique=True)[:k_orph]
        src_line = rng.integers(0, n_l, self.orphan_num.size)
        self.orphan_prod = self.l_prod[src_line]
        self.orphan_qty = self.l_qty[src_line]
        self.orphan_price = self.l_price[src_line]
        self.orphan_lines = 1 + rng.integers(0, 3, self.orphan_num.size)  # line number
        # events: malformed timestamps (never purchase events), odd queries, late, duplicates
        k_bad_e, k_dup, k_late = count(n_e), count(n_e), count(n_e)
        search = np.flatnonzero(self.ev_type == EV_SEARCH)
        n_odd_pool = len(self.queries) - self.n_normal_queries
        # odd queries are not quarantined: plant every kind at least once when dirt is on
        k_odd = min(max(count(search.size), n_odd_pool if r > 0 else 0), search.size // 4)
        taken = np.zeros(n_e, dtype=bool)
        odd = np.sort(rng.choice(search, size=k_odd, replace=False)) if k_odd else np.array([], np.int64)
        taken[odd] = True
        self.ev_odd = odd
        kinds = np.arange(odd.size) % n_odd_pool
        self.ev_odd_query = self.n_normal_queries + kinds[rng.permutation(odd.size)]
        self.ev_bad_ts = self._pick(rng, ~taken & (self.ev_type != EV_PURCHASE), k_bad_e)
        taken[self.ev_bad_ts] = True
        self.ev_bad_ts_text = np.array(MALFORMED_TIMESTAMPS, dtype=object)[
            rng.integers(0, len(MALFORMED_TIMESTAMPS), self.ev_bad_ts.size)]
        # late: needs a later event; keep away from the end of the file
        limit = np.zeros(n_e, dtype=bool)
        limit[: int(n_e * 0.98)] = True
        late = self._pick(rng, ~taken & limit, k_late)
        taken[late] = True
        dup = self._pick(rng, ~taken, k_dup)
        taken[dup] = True
        # file positions: late rows go after an event that happened strictly later
        after_late = np.searchsorted(self.ev_ts, self.ev_ts[late], side="right") + rng.integers(20, 2000, late.size)
        after_late = np.minimum(after_late, n_e - 1)
        ok = self.ev_ts[after_late] > self.ev_ts[late]
        late, after_late = late[ok], after_late[ok]
        after_dup = np.minimum(dup + rng.integers(1, 3000, dup.size), n_e - 1)
        base = np.delete(np.arange(n_e, dtype=np.int64), late)
        # insertion points are positions in `base`: after the row holding event index `after`
        ins_late = np.searchsorted(base, after_late, side="right")
        ins_dup = np.searchsorted(base, after_dup, side="right")
        ins = np.concatenate([ins_late, ins_dup])
        vals = np.concatenate([late, dup])
        o = np.lexsort((vals, ins))
        self.ev_file_order = np.insert(base, ins[o], vals[o])
        self.ev_late, self.ev_dup = late, dup
        self.dirt_counts = {
            "duplicate_event_deliveries": int(dup.size),
            "late_events": int(late.size),
            "orphan_order_items": int(self.orphan_num.size),
            "negative_quantities": int(k_neg),
            "missing_customer_ids": int(self.o_missing_cust.size),
            "malformed_order_timestamps": int(self.o_bad_ts.size),
            "malformed_event_timestamps": int(self.ev_bad_ts.size),
            "odd_search_queries": int(odd.size),
        }

    @staticmethod
    def _pick(rng: np.random.Generator, allowed: np.ndarray, k: int) -> np.ndarray:
        if k <= 0:
            return np.array([], dtype=np.int64)
        idx = np.flatnonzero(allowed)
        k = min(k, idx.size)
        return np.sort(rng.choice(idx, size=k, replace=False))
