"""Stage 'sessions': web sessions with their behaviour (planted purchase drivers) and traffic sources, and the final visitor/customer identity."""

from __future__ import annotations

import numpy as np

from ecomseg.generator.common import (ANONYMOUS_DEVICE_WEIGHTS, BOUNCE_SHARE, CH_EMAIL, DAY, DEVICES,
                                      EV_CHECKOUT, HOUR, PAID_CAMPAIGNS, PRE_PURCHASE_DAYS, PRE_PURCHASE_LIFT,
                                      PURCHASE_DRIVERS, SOCIAL_CAMPAIGNS, SOURCES, SOURCE_ALIASES, SRC,
                                      ST_CANCELLED, UNKNOWN_SOURCES, _choice, _group_positions,
                                      _solve_conditional, _weights)


class SessionStage:
    """Sessions and identity (a stage of _Shop)."""

    # -- sessions ----------------------------------------------------------
    def _build_sessions(self) -> None:
        rng = self.rng("sessions")
        t0, t1 = self.t0, self.t1
        n_orders = self.n_orders
        # 1. sessions that placed an order
        has_sess = (self.o_kind == 1) | (rng.random(n_orders) < 0.92)
        po = np.flatnonzero(has_sess)
        s_cust = [self.o_cust[po]]
        s_vis = [self._customer_visitor(rng, self.o_cust[po])]
        s_start = [self.o_ts[po]]  # placeholder: fixed once events exist
        s_order = [po]
        # 2. research sessions in the two weeks before an order
        k = rng.poisson(0.85, po.size)
        owner, _ = _group_positions(k)
        oo = po[owner]
        st = self.o_ts[oo] - rng.integers(HOUR, 14 * DAY, oo.size)
        s_cust.append(self.o_cust[oo])
        s_vis.append(self._customer_visitor(rng, self.o_cust[oo]))
        s_start.append(st)
        s_order.append(np.full(oo.size, -1))
        # 3. browsing while active (buyers) or after sign-up (non buyers)
        c = np.arange(self.n_customers)
        first_op = self.to_op(np.maximum(self.signup, t0))
        active = np.where(self.buyer, np.minimum(self.life, 2000) + 60, 180.0)
        end_t = np.minimum(self.from_op(first_op + active * DAY), t1 - 2 * HOUR)
        start_t = np.maximum(self.signup, t0)
        span_days = np.maximum(end_t - start_t, 0) / DAY
        lam = np.where(self.buyer, 0.6 * span_days / self.cycle, 1.5)
        k = np.where(end_t > start_t, rng.poisson(lam), 0)
        owner, _ = _group_positions(k)
        st = self._random_times(rng, start_t[owner], end_t[owner])
        s_cust.append(c[owner])
        s_vis.append(self._customer_visitor(rng, c[owner]))
        s_start.append(st)
        s_order.append(np.full(owner.size, -1))
        # 4. anonymous visits before registering (primary device)
        # (self.signup is still the planned registration; see _finalise_identity)
        k = np.where(self.pre_window, 0, rng.poisson(1.2, self.n_customers))
        owner, _ = _group_positions(k)
        hi = self.signup[owner] - HOUR
        lo = np.maximum(hi - 21 * DAY, t0)
        ok = hi > lo
        owner, lo, hi = owner[ok], lo[ok], hi[ok]
        s_cust.append(owner)
        s_vis.append(self.dev_start[owner])
        s_start.append(self._random_times(rng, lo, hi))
        s_order.append(np.full(owner.size, -1))
        # 5. visitors who never register
        n_anon = int(round(0.8 * self.n_customers))
        self.n_anon_visitors = n_anon
        k = 1 + rng.geometric(0.6, n_anon) - 1
        owner, pos = _group_positions(k)
        first = self._random_times(rng, np.full(n_anon, t0), np.full(n_anon, t1 - 2 * HOUR))
        st = np.minimum(first[owner] + np.where(pos == 0, 0, rng.integers(HOUR, 40 * DAY, owner.size)),
                        t1 - 2 * HOUR)
        s_cust.append(np.full(owner.size, -1))
        s_vis.append(self.n_customer_visitors + owner)
        s_start.append(st)
        s_order.append(np.full(owner.size, -1))
        self.s_cust = np.concatenate(s_cust).astype(np.int64)
        self.s_vis = np.concatenate(s_vis).astype(np.int64)
        self.s_start = np.concatenate(s_start).astype(np.int64)
        self.s_order = np.concatenate(s_order).astype(np.int64)
        ok = (self.s_order >= 0) | ((self.s_start >= t0) & (self.s_start < t1 - 2 * HOUR))
        for name in ("s_cust", "s_vis", "s_start", "s_order"):
            setattr(self, name, getattr(self, name)[ok])
        self.n_sessions = self.s_cust.size
        self.o_session = np.full(n_orders, -1, dtype=np.int64)
        ps = np.flatnonzero(self.s_order >= 0)
        self.o_session[self.s_order[ps]] = ps
        n_vis = self.n_customer_visitors + n_anon
        self.n_visitors = n_vis
        rv = self.rng("visitors")
        self.visitor_num = rv.permutation(n_vis) + 1
        anon_dev = _choice(rv, n_anon, _weights(DEVICES, ANONYMOUS_DEVICE_WEIGHTS, "devices"))
        self.vis_device = np.concatenate([self.visitor_device, anon_dev])
        self._session_behaviour(self.rng("behaviour"))
        self._session_sources(self.rng("sources"))

    def _session_behaviour(self, rng: np.random.Generator) -> None:
        n = self.n_sessions
        purchase = self.s_order >= 0
        pi = purchase.mean()
        self.purchase_rate = float(pi)
        self.s_purchase = purchase
        self.s_bounce = (~purchase) & (rng.random(n) < BOUNCE_SHARE)
        self.s_pre_purchase = self._pre_purchase_sessions()
        flags = {}
        self.driver_x = {}
        for name, _, q, ratio in PURCHASE_DRIVERS:
            x = _solve_conditional(pi, q, ratio)
            self.driver_x[name] = x
            if name == "came_from_email":
                continue
            pre, other = self._pre_purchase_rates(~self.s_bounce & ~purchase, q / (1 - BOUNCE_SHARE),
                                                  PRE_PURCHASE_LIFT[name])
            p = np.where(purchase, x, np.where(self.s_bounce, 0.0, np.where(self.s_pre_purchase, pre, other)))
            flags[name] = rng.random(n) < p
        self.s_atc = flags["added_to_cart"]
        self.s_v3 = flags["viewed_3plus_products"]
        self.s_search = flags["used_search"]

    def _pre_purchase_sessions(self) -> np.ndarray:
        """Non-purchase sessions of a customer with a non-cancelled order of theirs in the
        PRE_PURCHASE_DAYS days after the session's start (person-level drivers)."""
        ok = self.o_status != ST_CANCELLED
        big = np.int64(1) << 40
        base = self.t0 - 400 * DAY
        okey = np.sort(self.o_cust[ok] * big + (self.o_ts[ok] - base))
        cust = np.maximum(self.s_cust, 0)
        lo = cust * big + (self.s_start - base)
        hi = lo + PRE_PURCHASE_DAYS * DAY
        has = np.searchsorted(okey, hi, side="right") - np.searchsorted(okey, lo, side="right") > 0
        return has & (self.s_cust >= 0) & (self.s_order < 0)

    def _pre_purchase_rates(self, eligible: np.ndarray, rate: float, lift: float) -> tuple[float, float]:
        """The behaviour's probability in pre-purchase and in other eligible sessions: `lift` times as
        high in the first, the mean over all eligible sessions `rate` (as far as a probability allows)."""
        n_pre = float((eligible & self.s_pre_purchase).sum())
        n_other = float((eligible & ~self.s_pre_purchase).sum())
        total = rate * (n_pre + n_other)
        pre = min(total / max(n_pre + n_other / lift, 1.0), 1.0)
        other = min(max((total - pre * n_pre) / max(n_other, 1.0), 0.0), 1.0)
        return pre, other

    def _session_sources(self, rng: np.random.Generator) -> None:
        n = self.n_sessions
        purchase = self.s_purchase
        q_e = [d for d in PURCHASE_DRIVERS if d[0] == "came_from_email"][0]
        x_e = self.driver_x["came_from_email"]
        src = np.full(n, -1, dtype=np.int64)
        camp = np.full(n, -1, dtype=np.int64)  # index into campaign names
        # campaign-driven orders come from the message
        ps = np.flatnonzero(purchase)
        o = self.s_order[ps]
        from_msg = self.o_kind[o] == 1
        send = self.o_send[o[from_msg]]
        ch = self.channel[self.send_cust[send]]
        msg_s = ps[from_msg]
        src[msg_s] = np.where(ch == CH_EMAIL, SRC["email"], SRC["direct"])
        camp_names = list(self.campaign_ids) + PAID_CAMPAIGNS + SOCIAL_CAMPAIGNS
        camp[msg_s] = self.send_camp[send]
        forced_email = int((ch == CH_EMAIL).sum())
        free = ps[~from_msg]
        target = x_e * ps.size
        p_free = min(max((target - forced_email) / max(free.size, 1), 0.0), 1.0)
        other_p = [0.22, 0.18, 0.05, 0.0, 0.1, 0.04, 0.08, 0.33]
        nonp_p = [0.3, 0.2, 0.17, 0.0, 0.08, 0.05, 0.06, 0.14]
        e = rng.random(free.size) < p_free
        src[free] = np.where(e, SRC["email"], _choice(rng, free.size, other_p))
        nps = np.flatnonzero(~purchase)
        pre, other = self._pre_purchase_rates(~purchase, q_e[2], PRE_PURCHASE_LIFT["came_from_email"])
        e = rng.random(nps.size) < np.where(self.s_pre_purchase[nps], pre, other)
        src[nps] = np.where(e, SRC["email"], _choice(rng, nps.size, nonp_p))
        # campaigns for email (latest campaign before), paid and social traffic
        em = (src == SRC["email"]) & (camp < 0)
        k = np.searchsorted(self.campaign_day * DAY, self.s_start[em], side="right") - 1
        camp[np.flatnonzero(em)] = np.where(k >= 0, k, -1)
        nc = len(self.campaign_ids)
        paid = src == SRC["paid_search"]
        camp[paid] = nc + _choice(rng, int(paid.sum()), [0.4, 0.3, 0.2, 0.1])
        soc = src == SRC["social"]
        camp[soc] = np.where(rng.random(int(soc.sum())) < 0.7,
                             nc + len(PAID_CAMPAIGNS) + _choice(rng, int(soc.sum()), [0.45, 0.3, 0.15, 0.1]), -1)
        self.s_source = src
        self.s_campaign = camp
        self.campaign_names = camp_names
        # raw values: canonical names, aliases (3 %), unknown values (among social traffic)
        raw_names = list(SOURCES)
        alias_of = []
        for s in SOURCES:
            for a in SOURCE_ALIASES[s]:
                raw_names.append(a)
                alias_of.append((len(raw_names) - 1, SRC[s]))
        raw = src.copy()
        use_alias = rng.random(n) < 0.03
        for s in range(len(SOURCES)):
            opts = [i for i, cs in alias_of if cs == s]
            m = np.flatnonzero(use_alias & (src == s))
            raw[m] = np.array(opts)[rng.integers(0, len(opts), m.size)]
        unknown_base = len(raw_names)
        raw_names += UNKNOWN_SOURCES
        m = np.flatnonzero((src == SRC["social"]) & (rng.random(n) < 0.04))
        raw[m] = unknown_base + rng.integers(0, len(UNKNOWN_SOURCES), m.size)
        self.s_raw_source = raw
        self.raw_source_names = raw_names
        meaning = list(SOURCES) + [SOURCES[cs] for _, cs in alias_of] + ["other"] * len(UNKNOWN_SOURCES)
        self.raw_source_meaning = meaning

    # -- identity ----------------------------------------------------------
    def _finalise_identity(self) -> None:
        """Registration time of customers who registered while placing their first order."""
        n = self.n_customers
        first_order = np.full(n, -1, dtype=np.int64)
        # orders are chronological: the first occurrence per customer is the first order
        uc, idx = np.unique(self.o_cust, return_index=True)
        first_order[uc] = idx
        signup = self.signup.copy()
        sao = np.flatnonzero(self.signup_at_order & (first_order >= 0))
        fo = first_order[sao]
        sess = self.o_session[fo]
        # checkout step 1 of that session
        ck = np.flatnonzero((self.ev_type == EV_CHECKOUT) & (self.ev_step == 1))
        step1 = np.full(self.n_sessions, -1, dtype=np.int64)
        step1[self.ev_sess[ck]] = self.ev_ts[ck]
        rng = self.rng("identity")
        fallback = self.o_ts[fo] - rng.integers(120, 900, fo.size)
        signup[sao] = np.where(sess >= 0, step1[np.maximum(sess, 0)], fallback)
        self.signup = signup
        self.signup_session = np.full(self.n_sessions, False)
        self.signup_session[sess[sess >= 0]] = True
        known = (self.s_cust >= 0) & ((self.s_start >= signup[np.maximum(self.s_cust, 0)]) | self.signup_session)
        self.s_known_cust = np.where(known, self.s_cust, -1)
