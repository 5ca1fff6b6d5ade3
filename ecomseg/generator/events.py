"""Stage 'events': the behavioural events of each session (the funnel), in arrival order."""

from __future__ import annotations

import numpy as np

from ecomseg.generator.common import (EV_ATC, EV_CAT, EV_CHECKOUT, EV_PAGE, EV_PROD, EV_PURCHASE, EV_RFC,
                                      EV_SEARCH, _choice, _group_positions)


class EventStage:
    """Events (a stage of _Shop)."""

    # -- events ------------------------------------------------------------
    def _build_events(self) -> None:
        chunk = 500_000
        parts = []
        for ci, a in enumerate(range(0, self.n_sessions, chunk)):
            b = min(a + chunk, self.n_sessions)
            parts.append(self._events_chunk(self.rng("events", ci), a, b))
        cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        del parts
        # session starts are final now: sort sessions, number them
        s_order = np.lexsort((self.s_vis, self.s_start))
        self.s_rank = np.empty(self.n_sessions, dtype=np.int64)
        self.s_rank[s_order] = np.arange(self.n_sessions)
        self.session_file_order = s_order
        # events: arrival order = (occurred_at, session number, position in session)
        ts = cols["ts"]
        tmin = int(ts.min())
        bits_s = max(int(self.n_sessions).bit_length(), 1)
        bits_t = max(int(ts.max() - tmin).bit_length(), 1)
        if bits_t + bits_s + 8 <= 62:
            key = ((ts - tmin) << (bits_s + 8)) | (self.s_rank[cols["sess"]] << 8) | cols["seq"].astype(np.int64)
            order = np.argsort(key, kind="stable")
            del key
        else:  # pragma: no cover - only for enormous shops
            order = np.lexsort((cols["seq"], self.s_rank[cols["sess"]], ts))
        for k in list(cols):
            cols[k] = cols[k][order]
        del order
        self.ev_ts = cols["ts"]
        self.ev_sess = cols["sess"]
        self.ev_type = cols["type"]
        self.ev_prod = cols["prod"]
        self.ev_cat = cols["cat"]
        self.ev_query = cols["query"]
        self.ev_step = cols["step"]

    def _events_chunk(self, rng: np.random.Generator, a: int, b: int) -> dict[str, np.ndarray]:
        n = b - a
        sl = slice(a, b)
        pur = self.s_purchase[sl]
        bounce = self.s_bounce[sl]
        atc, v3, srch = self.s_atc[sl], self.s_v3[sl], self.s_search[sl]
        order = self.s_order[sl]
        nlines = np.where(pur, self.o_nlines[np.maximum(order, 0)], 0)
        lstart = np.where(pur, self.o_line_start[np.maximum(order, 0)], 0)
        nb = ~bounce
        n_page = 1 + np.where(nb, rng.poisson(0.3, n), 0)
        n_cat = np.where(nb, rng.poisson(0.4, n), 0)
        n_search = np.where(srch, 1 + rng.poisson(0.3, n), 0)
        few = np.where(pur, _choice(rng, n, [0.15, 0.4, 0.45]),
                       np.where(atc, 1 + _choice(rng, n, [0.5, 0.5]), _choice(rng, n, [0.4, 0.35, 0.25])))
        n_prod = np.where(v3, 3 + np.minimum(rng.poisson(1.0, n), 60), np.where(bounce, 0, few))
        n_atc_base = np.where(atc, np.where(pur, nlines, 1 + rng.poisson(0.3, n)), 0)
        rfc = atc & (rng.random(n) < 0.18)
        n_atc = n_atc_base + rfc
        n_chk = np.where(pur, 4, np.where(atc, _choice(rng, n, [0.45, 0.27, 0.17, 0.11]), 0))
        n_pur = pur.astype(np.int64)
        # slots: (type, count, stage)
        local = np.arange(n)
        ev_s, ev_t, ev_p, ev_c, ev_q, ev_k, ev_stage, ev_sub = [], [], [], [], [], [], [], []

        def add(cnt: np.ndarray, etype: int, stage: int, prod=None, cat=None, query=None, step=None, sub=None):
            owner, pos = _group_positions(cnt)
            m = owner.size
            ev_s.append(local[owner])
            ev_t.append(np.full(m, etype, np.int8))
            ev_p.append(np.full(m, -1, np.int16) if prod is None else prod(owner, pos).astype(np.int16))
            ev_c.append(np.full(m, -1, np.int8) if cat is None else cat(owner, pos).astype(np.int8))
            ev_q.append(np.full(m, -1, np.int16) if query is None else query(owner, pos).astype(np.int16))
            ev_k.append(np.full(m, -1, np.int8) if step is None else step(owner, pos).astype(np.int8))
            ev_stage.append(np.full(m, stage, np.int64))
            ev_sub.append(rng.integers(0, 1 << 24, m) if sub is None else sub(owner, pos))

        add(np.ones(n, np.int64), EV_PAGE, 0, sub=lambda o, p: np.zeros(o.size, np.int64))
        add(n_page - 1, EV_PAGE, 1)
        add(n_cat, EV_CAT, 1, cat=lambda o, p: _choice(rng, o.size, self.cat_weight))
        qcdf = self.query_cdf
        add(n_search, EV_SEARCH, 1,
            query=lambda o, p: np.minimum(np.searchsorted(qcdf, rng.random(o.size)), len(qcdf) - 1))
        # product views: in a purchase session the ordered products come first
        pv_owner, pv_pos = _group_positions(n_prod)
        pv_prod = self._global_products(rng, pv_owner.size)
        from_line = pur[pv_owner] & (pv_pos < nlines[pv_owner])
        pv_prod = np.where(from_line, self.l_prod[lstart[pv_owner] + np.minimum(pv_pos, np.maximum(nlines[pv_owner] - 1, 0))],
                           pv_prod)
        pv_start = np.cumsum(n_prod) - n_prod
        add(n_prod, EV_PROD, 1, prod=lambda o, p: pv_prod[pv_start[o] + p])
        extra_prod = self._global_products(rng, n)

        def atc_prod(o, p):
            res = np.where(p >= n_atc_base[o], extra_prod[o], 0)
            line = pur[o] & (p < n_atc_base[o])
            res = np.where(line, self.l_prod[lstart[o] + np.minimum(p, np.maximum(nlines[o] - 1, 0))], res)
            viewed = (~pur[o]) & (p < n_atc_base[o])
            safe = np.maximum(n_prod[o], 1)
            res = np.where(viewed, pv_prod[np.minimum(pv_start[o] + p % safe, max(pv_prod.size - 1, 0))]
                           if pv_prod.size else extra_prod[o], res)
            return res

        add(n_atc, EV_ATC, 2, prod=atc_prod, sub=lambda o, p: p)
        add(rfc.astype(np.int64), EV_RFC, 3, prod=lambda o, p: extra_prod[o], sub=lambda o, p: p)
        add(n_chk, EV_CHECKOUT, 4, step=lambda o, p: p + 1, sub=lambda o, p: p)
        add(n_pur, EV_PURCHASE, 5, sub=lambda o, p: p)
        s = np.concatenate(ev_s)
        key = (s << 32) | (np.concatenate(ev_stage) << 28) | np.concatenate(ev_sub)
        srt = np.argsort(key, kind="stable")
        del key
        s = s[srt]
        et = np.concatenate(ev_t)[srt]
        cols = {
            "sess": (s + a).astype(np.int32),
            "type": et,
            "prod": np.concatenate(ev_p)[srt],
            "cat": np.concatenate(ev_c)[srt],
            "query": np.concatenate(ev_q)[srt],
            "step": np.concatenate(ev_k)[srt],
        }
        # timing: gaps by event type
        mean_gap = np.array([25, 30, 45, 20, 15, 8, 35, 5], dtype=np.float64)
        gap = 1 + np.floor(rng.exponential(1.0, s.size) * mean_gap[et]).astype(np.int64)
        counts = np.bincount(s, minlength=n)
        first = np.cumsum(counts) - counts
        cum = np.cumsum(gap)
        offset = cum - cum[first][s]
        seq = np.arange(s.size) - first[s]
        last_off = offset[first + counts - 1]
        start = self.s_start[sl].copy()
        start = np.where(pur, self.o_ts[np.maximum(order, 0)] - last_off, np.minimum(start, self.t1 - 1 - last_off))
        self.s_start[sl] = start
        cols["ts"] = start[s] + offset
        cols["seq"] = np.minimum(seq, 255).astype(np.uint8)
        return cols
