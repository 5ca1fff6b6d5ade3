"""Stage 'ground truth': what was planted, measured on the written data (ground_truth.json)."""

from __future__ import annotations

import numpy as np

import datetime as _dt

from ecomseg.generator.common import (AB_WINDOW_DAYS, DAY, DRIVER_RATE_DEFINITION, GENERATOR_VERSION,
                                      PERSON_DRIVER_DEFINITION, PRE_PURCHASE_DAYS, PRE_PURCHASE_LIFT,
                                      PURCHASE_DRIVERS, SCORECARD_UNIT, SRC, ST_CANCELLED, VARIANTS, _Config)


class GroundTruthStage:
    """Measures of the planted truth (a stage of _Shop)."""

    # -- truth -------------------------------------------------------------
    def conversion_rates(self, valid_order: np.ndarray) -> dict[str, float]:
        """Share of the A/B campaign's sends followed by a valid order within the window."""
        sel = np.flatnonzero(self.send_camp == self.ab_campaign)
        vo = np.flatnonzero(valid_order)
        big = np.int64(1) << 36
        key = self.o_cust[vo] * big + (self.o_ts[vo] - self.t0 + DAY)
        key.sort()
        c = self.send_cust[sel]
        lo = c * big + (self.send_ts[sel] - self.t0 + DAY)
        hi = lo + AB_WINDOW_DAYS * DAY
        conv = np.searchsorted(key, hi, side="right") - np.searchsorted(key, lo, side="right") > 0
        var = self.send_var[sel]
        return {v: round(float(conv[var == i].mean()) if (var == i).any() else 0.0, 4)
                for i, v in enumerate(VARIANTS)}

    def person_driver_ratios(self, end_date: _dt.date) -> dict[str, float]:
        """Likelihood ratio of each driver at the scorecard's unit (PERSON_DRIVER_DEFINITION),
        pooled over the snapshot dates, on the generated arrays (vectorised: searchsorted
        on (person, time) keys); persons stitched as the warehouse does (int_sessions_stitched)."""
        u = SCORECARD_UNIT
        # a person as the warehouse stitches them: the session's logged-in customer, else the customer
        # its visitor id was ever logged in as, else the anonymous visitor
        known = self.s_known_cust >= 0
        vis_cust = np.full(self.n_visitors, -1, dtype=np.int64)
        vis_cust[self.s_vis[known]] = self.s_known_cust[known]
        linked = np.where(known, self.s_known_cust, vis_cust[self.s_vis])
        person = np.where(linked >= 0, linked, self.n_customers + self.s_vis)
        big = np.int64(1) << 40
        base = self.t0 - 400 * DAY
        key = person * big + (self.s_start - base)
        flags = {"added_to_cart": self.s_atc, "viewed_3plus_products": self.s_v3, "used_search": self.s_search,
                 "came_from_email": self.s_source == SRC["email"]}
        skey = np.sort(key)
        fkey = {b: np.sort(key[f]) for b, f in flags.items()}
        ok = self.o_status != ST_CANCELLED
        okey = np.sort(self.o_cust[ok] * big + (self.o_ts[ok] - base))
        persons = np.unique(person) * big

        def any_in(sorted_keys: np.ndarray, who: np.ndarray, lo: int, hi: int) -> np.ndarray:
            return np.searchsorted(sorted_keys, who + hi, side="left") > np.searchsorted(sorted_keys, who + lo,
                                                                                          side="left")

        end_day = (end_date - _dt.date(1970, 1, 1)).days
        pos = neg = 0
        with_pos = dict.fromkeys(flags, 0)
        with_neg = dict.fromkeys(flags, 0)
        for k in range(u["snapshot_count"]):
            d = end_day - u["horizon_days"] - k * u["snapshot_spacing_days"]
            after_d = (d + 1) * DAY - base  # the first second after day d
            who = persons[any_in(skey, persons, (d - u["population_days"]) * DAY - base, after_d)]
            buys = any_in(okey, who, after_d, after_d + u["horizon_days"] * DAY)
            pos += int(buys.sum())
            neg += int((~buys).sum())
            # the window: the recent days, after the day of the person's latest order on or before d
            i = np.searchsorted(okey, who + after_d, side="left") - 1
            prev = okey[np.maximum(i, 0)]
            had = (i >= 0) & (prev >= who)
            since = np.where(had, ((prev - who + base) // DAY + 1) * DAY - base, 0)
            lo = np.maximum(after_d - u["recent_days"] * DAY, since)
            for b in flags:
                has = (np.searchsorted(fkey[b], who + after_d, side="left")
                       > np.searchsorted(fkey[b], who + lo, side="left"))
                with_pos[b] += int((has & buys).sum())
                with_neg[b] += int((has & ~buys).sum())
        return {b: round((with_pos[b] / max(pos, 1)) / max(with_neg[b] / max(neg, 1), 1e-12), 4) for b in flags}


def _ground_truth(shop, cfg: _Config, written: dict[str, int]) -> dict:  # shop: a built _Shop
    s = shop
    pid = lambda i: f"P{int(s.prod_num[i]):04d}"  # noqa: E731
    has = lambda t: t in written  # noqa: E731
    orders_written = has("orders")
    # an order without a customer id is a valid guest order (kept, with its lines);
    # only a malformed ordered_at quarantines an order
    quarantined_order = np.zeros(s.n_orders, dtype=bool)
    quarantined_order[s.o_bad_ts] = True
    valid = ~quarantined_order if orders_written else np.zeros(s.n_orders, dtype=bool)
    # the planted A/B effect counts orders the warehouse can attribute to a customer: not guest
    # orders; it does not depend on what is written
    valid_for_ab = ~s.o_dirty
    neg = np.zeros(s.l_order.size, dtype=bool)
    neg[s.l_negative] = True
    line_unknown = int(((~valid[s.l_order]) & ~neg).sum()) + int(s.orphan_num.size)
    ret_unknown = int((~valid[s.l_order[s.ret_line]]).sum())
    dc = dict(s.dirt_counts)
    zero_unless = {
        "duplicate_event_deliveries": "events", "late_events": "events",
        "orphan_order_items": "order_items", "negative_quantities": "order_items",
        "missing_customer_ids": "orders", "malformed_order_timestamps": "orders",
        "malformed_event_timestamps": "events", "odd_search_queries": "events",
    }
    dirt = {k: (v if has(zero_unless[k]) else 0) for k, v in dc.items()}
    eq = {
        "orders": {"unparseable:ordered_at": dirt["malformed_order_timestamps"]},
        "order_items": {"unknown_order": line_unknown if has("order_items") else 0,
                        "out_of_range:quantity": dirt["negative_quantities"]},
        "events": {"duplicate_key": dirt["duplicate_event_deliveries"],
                   "unparseable:occurred_at": dirt["malformed_event_timestamps"]},
        "returns": {"unknown_order": ret_unknown if has("returns") else 0},
    }
    used_raw = np.flatnonzero(np.bincount(s.s_raw_source, minlength=len(s.raw_source_names)))
    raw = {s.raw_source_names[i]: s.raw_source_meaning[i] for i in sorted(used_raw.tolist(),
                                                                        key=lambda k: s.raw_source_names[k])}
    drivers = [{"behaviour": name, "definition": f"{definition}; {DRIVER_RATE_DEFINITION}",
                "planted_relative_purchase_rate": ratio}
               for name, definition, _, ratio in PURCHASE_DRIVERS]
    measured = s.person_driver_ratios(cfg.end_date)
    person_drivers = {
        "unit": "person and snapshot date (the scorecard's unit)",
        "definition": PERSON_DRIVER_DEFINITION,
        "scorecard_defaults": dict(SCORECARD_UNIT),
        "pre_purchase_days": PRE_PURCHASE_DAYS,
        "drivers": [{"behaviour": name, "planted_pre_purchase_lift": PRE_PURCHASE_LIFT[name],
                     "likelihood_ratio": measured[name]}
                    for name in sorted(PRE_PURCHASE_LIFT, key=lambda b: -PRE_PURCHASE_LIFT[b])],
    }
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": cfg.seed,
        "customers": cfg.customers,
        "days": cfg.days,
        "end_date": cfg.end_date.isoformat(),
        "format": cfg.fmt,
        "dirt_rate": cfg.dirt_rate,
        "row_counts": written,
        "product_pairs": [
            {"product_a": pid(a), "product_b": pid(b), "kind": kind, "planted_probability": prob,
             "description": f"{desc}: {s.prod_name[a]} + {s.prod_name[b]}"}
            for a, b, kind, prob, desc in s.pairs],
        "accessories": [
            {"main_product_id": pid(m), "accessory_product_id": pid(acc), "probability": prob,
             "max_days_after": max_days}
            for m, acc, prob, max_days in s.accessories],
        "purchase_drivers": drivers,
        "person_purchase_drivers": person_drivers,
        "campaign_ab_effect": {
            "campaign_id": s.campaign_ids[s.ab_campaign],
            "variant_conversion_rate": s.conversion_rates(valid_for_ab),
            "window_days": AB_WINDOW_DAYS,
        },
        "traffic_source_raw_values": raw,
        "dirt": dirt,
        "expected_quarantine": eq,
    }
