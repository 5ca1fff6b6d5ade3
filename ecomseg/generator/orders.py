"""Stage 'orders': orders on each customer's purchase cycle, their lines (planted pairs and accessories), attributes and returns."""

from __future__ import annotations

import numpy as np

from ecomseg.generator.common import (AB_UPLIFT, AB_WINDOW_DAYS, CATEGORIES, CAT_INDEX, COMPLAINT_PROB, DAY,
                                      HOUR, ORDER_STATUSES, REGULAR_UPLIFT, ST_CANCELLED, ST_DELIVERED,
                                      ST_PAID, ST_PLACED, ST_SHIPPED, VARIANTS, _choice, _group_positions)


class OrderStage:
    """Orders, order lines and returns (a stage of _Shop)."""

    # -- orders ------------------------------------------------------------
    def _build_orders(self) -> None:
        rng = self.rng("orders")
        t0, t1 = self.t0, self.t1
        c = np.flatnonzero(self.buyer)
        cyc = self.cycle[c] * DAY
        op0, op_end = self.to_op(t0 + HOUR), self.to_op(t1 - 30 * 60)
        su_op = self.to_op(self.signup[c])
        first = np.where(self.pre_window[c], op0 + rng.random(c.size) * cyc,
                         np.where(self.signup_at_order[c], su_op,
                                  su_op + rng.exponential(45 * DAY, c.size)))
        first = np.maximum(first, op0)
        end = np.minimum(op_end, first + self.life[c] * DAY)
        ok = first < op_end
        c, cyc, first, end = c[ok], cyc[ok], first[ok], end[ok]
        span = np.maximum(end - first, 0)
        m = np.minimum(np.ceil(span / cyc * 2.5).astype(np.int64) + 3, 400)
        owner, pos = _group_positions(m)
        shape = 2.5
        gaps = rng.gamma(shape, 1.0, owner.size) * (cyc[owner] / shape)
        gaps[pos == 0] = 0.0
        cum = np.cumsum(gaps)
        starts = np.cumsum(m) - m
        t_op = first[owner] + (cum - cum[starts][owner])
        keep = t_op <= np.maximum(end[owner], first[owner])
        o_cust = c[owner[keep]]
        o_ts = self.from_op(t_op[keep])
        o_ts = np.clip(o_ts, t0 + HOUR, t1 - 60)
        o_kind = np.zeros(o_cust.size, dtype=np.int8)  # 0 base, 1 campaign, 2 accessory
        o_camp = np.full(o_cust.size, -1, dtype=np.int64)
        # campaign-driven orders
        rng_c = self.rng("campaign_orders")
        is_ab = self.send_camp == self.ab_campaign
        up = np.where(is_ab, np.array([AB_UPLIFT[v] for v in VARIANTS])[self.send_var],
                      np.array([REGULAR_UPLIFT[v] for v in VARIANTS])[self.send_var])
        hit = rng_c.random(up.size) < up
        delay = np.minimum(rng_c.exponential(1.3 * DAY, up.size), (AB_WINDOW_DAYS - 0.1) * DAY).astype(np.int64)
        cts = self.send_ts + 60 + delay
        hit &= cts < t1 - 60
        o_cust = np.concatenate([o_cust, self.send_cust[hit]])
        o_ts = np.concatenate([o_ts, cts[hit]])
        o_kind = np.concatenate([o_kind, np.ones(hit.sum(), np.int8)])
        o_camp = np.concatenate([o_camp, np.flatnonzero(hit)])  # send index
        # lines of base + campaign orders
        lines_o, lines_p = self._order_lines(self.rng("order_lines"), o_cust, None)
        lines_o, lines_p = self._apply_pairs(self.rng("pairs"), lines_o, lines_p)
        # accessories: a later order of the same customer
        rng_a = self.rng("accessories")
        acc_cust, acc_ts, acc_prod = [], [], []
        for main, acc, prob, max_days in self.accessories:
            ords = np.unique(lines_o[lines_p == main])
            sel = ords[rng_a.random(ords.size) < prob]
            ts = o_ts[sel] + rng_a.integers(DAY, max_days * DAY, sel.size)
            fits = ts < t1 - 60
            acc_cust.append(o_cust[sel[fits]])
            acc_ts.append(ts[fits])
            acc_prod.append(np.full(fits.sum(), acc))
        a_cust = np.concatenate(acc_cust)
        a_ts = np.concatenate(acc_ts)
        a_prod = np.concatenate(acc_prod)
        base_n = o_cust.size
        l2_o, l2_p = self._order_lines(self.rng("accessory_lines"), a_cust, a_prod)
        l2_o, l2_p = self._apply_pairs(self.rng("accessory_pairs"), l2_o, l2_p)
        o_cust = np.concatenate([o_cust, a_cust])
        o_ts = np.concatenate([o_ts, a_ts])
        o_kind = np.concatenate([o_kind, np.full(a_cust.size, 2, np.int8)])
        o_camp = np.concatenate([o_camp, np.full(a_cust.size, -1)])
        lines_o = np.concatenate([lines_o, l2_o + base_n])
        lines_p = np.concatenate([lines_p, l2_p])
        # chronological order numbers
        order = np.lexsort((o_cust, o_ts))
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        self.o_cust, self.o_ts = o_cust[order], o_ts[order]
        self.o_kind, self.o_send = o_kind[order], o_camp[order]
        lines_o = inv[lines_o]
        lo = np.lexsort((np.arange(lines_o.size), lines_o))  # stable by order, keeps line order
        self.l_order, self.l_prod = lines_o[lo], lines_p[lo]
        n = self.o_cust.size
        self.n_orders = n
        self.o_nlines = np.bincount(self.l_order, minlength=n)
        self.o_line_start = np.cumsum(self.o_nlines) - self.o_nlines
        self.l_number = (np.arange(self.l_order.size) - self.o_line_start[self.l_order] + 1).astype(np.int64)
        self._order_attributes(self.rng("order_attributes"))

    def _order_lines(self, rng: np.random.Generator, cust: np.ndarray,
                     forced: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Lines (order index, product index) of orders of the given customers, deduplicated."""
        n = cust.size
        if forced is None:
            k = 1 + rng.poisson(self.basket[cust])
        else:
            k = (rng.random(n) < 0.3).astype(np.int64)
        k = np.minimum(k, 15)
        owner, _ = _group_positions(k)
        cc = cust[owner]
        u = rng.random(owner.size)
        cats = np.where(u < 0.35, self.fav[cc, 0], np.where(u < 0.55, self.fav[cc, 1],
                                                               _choice(rng, owner.size, self.cat_weight)))
        prod = self._sample_products(rng, cats)
        if forced is not None:
            owner = np.concatenate([np.arange(n), owner])
            prod = np.concatenate([forced, prod])
        key = owner * self.n_products + prod
        _, first = np.unique(key, return_index=True)
        first.sort()
        return owner[first], prod[first]

    def _apply_pairs(self, rng: np.random.Generator, lo: np.ndarray, lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        add_o, add_p = [], []
        for a, b, _, prob, _ in self.pairs:
            orders = np.unique(lo[lp == a])
            with_b = np.unique(lo[lp == b])
            pos = np.minimum(np.searchsorted(with_b, orders), max(with_b.size - 1, 0))
            has_b = (with_b[pos] == orders) if with_b.size else np.zeros(orders.size, dtype=bool)
            sel = orders[(~has_b) & (rng.random(orders.size) < prob)]
            add_o.append(sel)
            add_p.append(np.full(sel.size, b))
        return np.concatenate([lo] + add_o), np.concatenate([lp] + add_p)

    def _order_attributes(self, rng: np.random.Generator) -> None:
        n = self.n_orders
        cust = self.o_cust
        t1 = self.t1
        # lines: quantity and price
        price = self.prod_price[self.l_prod]
        nl = self.l_order.size
        qlam = np.where(price < 5000, 0.45, np.where(price < 20000, 0.12, 0.03))
        self.l_qty = np.minimum(1 + rng.poisson(qlam, nl), 12)
        promo = rng.random(nl) < 0.25
        factor = np.where(promo, rng.uniform(0.82, 0.97, nl), 1.0)
        self.l_price = np.where(promo, np.round(price * factor).astype(np.int64), price)
        sub = np.bincount(self.l_order, weights=self.l_qty * self.l_price, minlength=n)
        self.o_subtotal = sub.astype(np.int64)
        # methods and address
        self.o_pay = np.where(rng.random(n) < 0.8, self.pay_pref[cust], _choice(rng, n, [0.4, 0.35, 0.15, 0.1]))
        self.o_del = np.where(rng.random(n) < 0.85, self.del_pref[cust], _choice(rng, n, [0.35, 0.55, 0.1]))
        self.o_city = np.where(rng.random(n) < 0.9, self.city[cust], _choice(rng, n, self.city_w))
        # discounts: deal seekers mostly buy with one
        disc = rng.random(n) < np.where(self.deal_seeker[cust], 0.8, 0.07)
        pct = np.where(self.deal_seeker[cust], rng.uniform(0.1, 0.3, n), rng.uniform(0.05, 0.15, n))
        d = np.floor(self.o_subtotal * pct / 100.0) * 100
        self.o_discount = np.where(disc, np.minimum(d, self.o_subtotal), 0).astype(np.int64)
        # status: cancelled anywhere, fresh orders not delivered yet
        age = t1 - self.o_ts
        cancelled = rng.random(n) < np.where(self.o_pay == 3, 0.10, 0.04)
        u = rng.random(n)
        st = np.full(n, ST_DELIVERED)
        st = np.where(age < 5 * DAY, np.where(u < 0.5, ST_SHIPPED, ST_DELIVERED), st)
        st = np.where(age < 2 * DAY, np.where(u < 0.6, ST_SHIPPED, ST_PAID), st)
        st = np.where(age < 8 * HOUR, np.where(u < 0.5, ST_PLACED, ST_PAID), st)
        st = np.where((st == ST_PAID) & (self.o_pay == 3), ST_PLACED, st)  # cash on delivery is not paid upfront
        self.o_status = np.where(cancelled, ST_CANCELLED, st)  # codes: places in ORDER_STATUSES
        self.status_names = ORDER_STATUSES

    # -- returns -----------------------------------------------------------
    def _build_returns(self) -> None:
        rng = self.rng("returns")
        delivered = self.o_status[self.l_order] == ST_DELIVERED
        rate = np.array([c.return_rate for c in CATEGORIES])[self.prod_cat[self.l_prod]]
        ret = delivered & (rng.random(self.l_order.size) < rate * 1.45)
        idx = np.flatnonzero(ret)
        ts = self.o_ts[self.l_order[idx]] + rng.integers(2 * DAY, 5 * DAY, idx.size) \
            + np.minimum(rng.exponential(6 * DAY, idx.size), 30 * DAY).astype(np.int64)
        ok = ts < self.t1
        idx, ts = idx[ok], ts[ok]
        q = self.l_qty[idx]
        qty = 1 + rng.binomial(q - 1, 0.3)
        reason = _choice(rng, idx.size, [0.2, 0.3, 0.15, 0.15, 0.12, 0.08])
        reason = np.where((self.prod_cat[self.l_prod[idx]] != CAT_INDEX["Fashion"]) & (reason == 0), 1, reason)
        complaint = rng.random(idx.size) < COMPLAINT_PROB[reason]
        order = np.lexsort((self.l_prod[idx], self.l_order[idx], ts))
        self.ret_line, self.ret_ts = idx[order], ts[order]
        self.ret_qty, self.ret_reason, self.ret_complaint = qty[order], reason[order], complaint[order]
