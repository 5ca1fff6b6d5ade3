"""Stage 'customers': registered customers and their visitors, and the campaign sends to them."""

from __future__ import annotations

import datetime as _dt

import numpy as np

from ecomseg.generator.common import (AB_SPLIT, CHANNELS, CHANNEL_WEIGHTS, DAY, DEVICES, DEVICE_WEIGHTS,
                                      GENDERS, GENDER_WEIGHTS, HOUR, MONTH_SLUGS, REGIONS, REGULAR_SPLIT,
                                      VARIANTS, _choice, _group_positions, _weights)


class CustomerStage:
    """Customers and campaign sends (a stage of _Shop)."""

    # -- customers ---------------------------------------------------------
    def _build_customers(self) -> None:
        rng = self.rng("customers")
        n = self.cfg.customers
        t0, t1 = self.t0, self.t1
        self.n_customers = n
        pre = rng.random(n) < 0.22
        op0, op1 = self.to_op(t0), self.to_op(t1 - 2 * HOUR)
        opp = self.to_op(t0 - 2 * 365 * DAY)
        u = rng.random(n)
        op = np.where(pre, opp + (op0 - opp) * u, op0 + (op1 - op0) * u ** 0.8)
        self.signup = self.from_op(op)
        self.pre_window = pre
        age_days = (np.clip(rng.normal(37, 12, n), 18, 85) * 365.25).astype(np.int64)
        self.birth_day = (t1 // DAY) - age_days  # days since epoch
        self.gender = _choice(rng, n, _weights(GENDERS, GENDER_WEIGHTS, "genders") + [0.04])  # last = empty
        self.gender[self.gender == len(GENDERS)] = -1
        flat = [(ri, city, rw * cw / sum(x[1] for x in cities))
                for ri, (_, rw, cities) in enumerate(REGIONS) for city, cw in cities]
        self.city_region = np.array([f[0] for f in flat])
        self.city_names = [f[1] for f in flat]
        self.city_w = np.array([f[2] for f in flat])
        self.city = _choice(rng, n, self.city_w)
        self.income = _choice(rng, n, [0.22, 0.37, 0.25, 0.1, 0.06])
        self.income[self.income == 4] = -1
        consent = _choice(rng, n, [0.6, 0.32, 0.08])  # true, false, missing
        self.consent = consent
        self.channel = _choice(rng, n, _weights(CHANNELS, CHANNEL_WEIGHTS, "channels"))
        hw = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 1.2, 2.0, 1.6, 1.2, 1.3,
                       1.8, 1.4, 1.1, 1.1, 1.3, 1.7, 2.2, 2.4, 2.3, 1.6, 0.9, 0.4])
        self.contact_hour = _choice(rng, n, hw)
        # latent behaviour
        self.buyer = rng.random(n) < np.where(pre, 0.70, 0.76)
        self.signup_at_order = (~pre) & self.buyer & (rng.random(n) < 0.55)
        whale = rng.random(n) < 0.05
        self.cycle = np.clip(rng.lognormal(np.log(120), 0.8, n) * np.where(whale, 0.3, 1.0), 6, 600)
        kind = _choice(rng, n, [0.3, 0.25, 0.45])  # one-time, loyal, churning
        life = np.where(kind == 0, 0.0, np.where(kind == 1, 1e9, rng.exponential(260, n)))
        life = np.where(whale, np.maximum(life, 400), life)
        self.life = life
        self.basket = np.clip(rng.lognormal(np.log(0.7), 0.6, n) * np.where(whale, 1.8, 1.0), 0.05, 6)
        self.deal_seeker = rng.random(n) < 0.15
        self.fav = np.stack([_choice(rng, n, self.cat_weight), _choice(rng, n, self.cat_weight)], axis=1)
        self.pay_pref = _choice(rng, n, [0.4, 0.35, 0.15, 0.10])
        self.del_pref = _choice(rng, n, [0.35, 0.55, 0.10])
        # devices: each a visitor_id
        ndev = 1 + _choice(rng, n, [0.55, 0.33, 0.12])
        self.dev_start = np.cumsum(ndev) - ndev
        self.n_dev = ndev
        owner, pos = _group_positions(ndev)
        prim = _choice(rng, n, _weights(DEVICES, DEVICE_WEIGHTS, "devices"))
        shift = 1 + rng.integers(0, 3, owner.size)
        self.visitor_device = np.where(pos == 0, prim[owner], (prim[owner] + pos * shift) % len(DEVICES))
        self.n_customer_visitors = owner.size

    def _customer_visitor(self, rng: np.random.Generator, cust: np.ndarray) -> np.ndarray:
        """A device of each customer: the primary one 70 % of the time."""
        nd = self.n_dev[cust]
        pick = np.where(rng.random(cust.size) < 0.7, 0, rng.integers(0, 1 << 30, cust.size) % nd)
        return self.dev_start[cust] + pick

    # -- campaigns ---------------------------------------------------------
    def _build_campaigns(self) -> None:
        rng = self.rng("campaigns")
        t0, t1 = self.t0, self.t1
        first = (t0 // DAY) + 12
        last = (t1 // DAY) - 10
        days = np.arange(first, last + 1, 28)
        if days.size == 0:
            days = np.array([(t0 + t1) // 2 // DAY])
        ab_day = (t0 // DAY) + int(0.6 * self.cfg.days)
        ab = int(np.argmin(np.abs(days - ab_day)))
        self.campaign_day = days
        self.campaign_ids = []
        for d in days:
            dd = _dt.date(1970, 1, 1) + _dt.timedelta(days=int(d))
            self.campaign_ids.append(f"CMP{dd:%Y%m%d}-{MONTH_SLUGS[dd.month - 1]}")
        self.ab_campaign = ab
        consent = self.consent == 0
        cust_l, camp_l, var_l, sent_l = [], [], [], []
        for k, d in enumerate(days):
            eligible = np.flatnonzero(consent & (self.signup < d * DAY))
            if k != ab:
                eligible = eligible[rng.random(eligible.size) < 0.35]
            split = AB_SPLIT if k == ab else REGULAR_SPLIT
            var = _choice(rng, eligible.size, [split[v] for v in VARIANTS])
            sent = d * DAY + self.contact_hour[eligible] * HOUR + rng.integers(0, HOUR, eligible.size)
            cust_l.append(eligible)
            camp_l.append(np.full(eligible.size, k))
            var_l.append(var)
            sent_l.append(sent)
        cust = np.concatenate(cust_l)
        camp = np.concatenate(camp_l)
        var = np.concatenate(var_l)
        sent = np.concatenate(sent_l).astype(np.int64)
        order = np.lexsort((cust, camp, sent))
        self.send_cust, self.send_camp = cust[order], camp[order]
        self.send_var, self.send_ts = var[order], sent[order]
