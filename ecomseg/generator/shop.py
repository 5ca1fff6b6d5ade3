"""The shop: every stage run in order on one random stream per stage (the stages are the mixins
of _Shop, one module each), giving the whole shop as numeric arrays."""

from __future__ import annotations

import time

import numpy as np

from ecomseg.generator.common import (DAY, HOUR, ProgressFn, _Config, _stream)
from ecomseg.generator.catalogue import CatalogueStage
from ecomseg.generator.customers import CustomerStage
from ecomseg.generator.dirt import DirtStage
from ecomseg.generator.events import EventStage
from ecomseg.generator.ground_truth import GroundTruthStage
from ecomseg.generator.orders import OrderStage
from ecomseg.generator.sessions import SessionStage


class _Shop(CatalogueStage, CustomerStage, OrderStage, SessionStage, EventStage, DirtStage,
            GroundTruthStage):
    """Builds the whole shop as numeric arrays; `_Writer` turns them into files."""

    def __init__(self, cfg: _Config, progress: ProgressFn | None = None):
        self.cfg = cfg
        self.t_start = time.perf_counter()
        self._progress = progress
        self.t0, self.t1 = cfg.t0, cfg.t1

    # -- infrastructure ----------------------------------------------------
    def rng(self, name: str, *extra: int) -> np.random.Generator:
        return _stream(self.cfg.seed, name, *extra)

    def report(self, stage: str, rows: int) -> None:
        if self._progress is not None:
            self._progress(stage, int(rows), time.perf_counter() - self.t_start)

    def build(self) -> "_Shop":
        self._build_clock()
        self._build_catalogue()
        self.report("products", self.n_products)
        self._build_customers()
        self.report("customers", self.n_customers)
        self._build_campaigns()
        self.report("campaign_sends", self.send_cust.size)
        self._build_orders()
        self.report("orders", self.n_orders)
        self._build_returns()
        self.report("returns", self.ret_line.size)
        self._build_sessions()
        self.report("sessions", self.n_sessions)
        self._build_events()
        self.report("events", self.ev_ts.size)
        self._finalise_identity()
        self._build_dirt()
        self.report("dirt", int(sum(self.dirt_counts.values())))
        return self

    # -- time --------------------------------------------------------------
    def _build_clock(self) -> None:
        """Hourly intensity (diurnal x weekly x yearly) and its cumulative 'operational time'."""
        g0 = self.t0 - 3 * 366 * DAY
        g1 = self.t1 + 400 * DAY
        hours = np.arange(g0, g1 + HOUR, HOUR, dtype=np.int64)
        day = hours // DAY
        hod = (hours % DAY) // HOUR
        dow = (day + 3) % 7  # Monday = 0
        d64 = day.astype("datetime64[D]")
        month = d64.astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
        dom = (d64 - d64.astype("datetime64[M]")).astype(np.int64) + 1
        year = d64.astype("datetime64[Y]").astype(np.int64) + 1970
        hourly = np.array([0.25, 0.15, 0.1, 0.08, 0.1, 0.2, 0.45, 0.7, 0.9, 1.0, 1.05, 1.1,
                           1.1, 1.05, 1.05, 1.1, 1.2, 1.35, 1.5, 1.6, 1.45, 1.1, 0.7, 0.4])
        weekly = np.array([1.05, 1.0, 1.0, 0.97, 0.9, 0.8, 1.25])
        monthly = np.array([0.8, 0.85, 0.95, 1.0, 1.0, 0.93, 0.88, 0.92, 1.0, 1.05, 1.35, 1.3])
        w = hourly[hod] * weekly[dow] * monthly[month]
        # Black Friday: fourth Friday of November, the week around it doubles
        nov1 = (np.array([f"{y}-11-01" for y in range(int(year.min()), int(year.max()) + 1)],
                         dtype="datetime64[D]").astype(np.int64))
        bf = nov1 + (4 - (nov1 + 3) % 7) % 7 + 21
        for b in bf:
            w = np.where((day >= b - 3) & (day <= b + 3), w * 2.0, w)
        xmas = (month == 11) & (dom >= 21) & (dom <= 26)
        w = np.where(xmas, w * 0.5, w)
        pre_xmas = (month == 11) & (dom <= 18)
        w = np.where(pre_xmas, w * 1.25, w)
        w = w / w.mean()
        self.clock_t = hours.astype(np.float64)
        self.clock_op = np.concatenate([[0.0], np.cumsum(w[:-1] * HOUR)]) + g0

    def to_op(self, t: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(t, dtype=np.float64), self.clock_t, self.clock_op)

    def from_op(self, op: np.ndarray) -> np.ndarray:
        return np.floor(np.interp(np.asarray(op, dtype=np.float64), self.clock_op, self.clock_t)).astype(np.int64)

    def _random_times(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Seasonal random calendar times in [lo, hi) (vectorised, lo/hi calendar seconds)."""
        a, b = self.to_op(lo), self.to_op(hi)
        return np.minimum(self.from_op(a + (b - a) * rng.random(np.size(a))), np.asarray(hi) - 1)
