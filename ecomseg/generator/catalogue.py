"""Stage 'catalogue': categories and products, with Zipf popularity inside each category."""

from __future__ import annotations

import numpy as np

from ecomseg.generator.common import (CATEGORIES, CAT_INDEX, MIN_PER_CATEGORY, PLANTED_ACCESSORIES,
                                      PLANTED_PAIRS, _GroupSampler, _choice, _group_positions, _odd_queries)


class CatalogueStage:
    """The product catalogue of the shop (a stage of _Shop)."""

    # -- products ----------------------------------------------------------
    def _build_catalogue(self) -> None:
        rng = self.rng("products")
        n = self.cfg.n_products
        ncat = len(CATEGORIES)
        w = np.array([c.weight for c in CATEGORIES])
        w = w / w.sum()
        extra = n - MIN_PER_CATEGORY * ncat
        share = w * extra
        alloc = MIN_PER_CATEGORY + np.floor(share).astype(np.int64)
        rest = n - alloc.sum()
        alloc[np.argsort(-(share - np.floor(share)), kind="stable")[:rest]] += 1
        cat = np.repeat(np.arange(ncat), alloc)
        _, rank = _group_positions(alloc)
        names, brands = [], []
        price = np.empty(n, dtype=np.int64)
        for i in range(n):
            c = CATEGORIES[cat[i]]
            b = c.brands[int(rng.integers(len(c.brands)))]
            noun = c.nouns[int(rng.integers(len(c.nouns)))]
            code = f"{'ABCDEFGHKLMNPRSTVXZ'[int(rng.integers(19))]}{int(rng.integers(10, 990))}"
            names.append(f"{b} {noun} {code}")
            brands.append(b)
            p = c.price * np.exp(c.sigma * rng.standard_normal())
            price[i] = max(int(round(p)) * 100 - 1, 99)  # x.99 prices
        start = np.cumsum(alloc) - alloc
        self.planted_index: dict[tuple[str, int], int] = {}

        def plant(spec: tuple[str, int, str, float]) -> int:
            cname, r, name, pr = spec
            k = CAT_INDEX[cname]
            r = min(r, int(alloc[k]) - 1)
            idx = int(start[k] + r)
            names[idx] = name
            brands[idx] = name.split(" ")[0]
            price[idx] = int(round(pr * 100))
            return idx

        self.pairs = []
        for a, b, kind, prob, desc in PLANTED_PAIRS:
            self.pairs.append((plant(a), plant(b), kind, prob, desc))
        self.accessories = []
        for m, acc, prob, max_days in PLANTED_ACCESSORIES:
            self.accessories.append((plant(m), plant(acc), prob, max_days))
        planted = [p for pr in self.pairs for p in pr[:2]] + [p for ac in self.accessories for p in ac[:2]]
        assert len(set(planted)) == len(planted), "planted products overlap"
        self.n_products = n
        self.prod_cat = cat
        self.prod_rank = rank
        self.prod_price = price
        self.prod_name = names
        self.prod_brand = brands
        self.prod_num = rng.permutation(n) + 1  # P-number of product index i
        pop = (rank + 1.0) ** -1.05
        self.prod_sampler = _GroupSampler(cat, pop)
        self.cat_weight = w
        qs = sorted({q for c in CATEGORIES for q in c.queries} | {c.brands[0].lower() for c in CATEGORIES}
                    | {f"{c.brands[1].lower()} {c.nouns[0].lower()}" for c in CATEGORIES})
        self.queries = qs + _odd_queries()
        self.n_normal_queries = len(qs)
        qw = rng.permutation(len(qs)).astype(np.float64)
        self.query_cdf = np.cumsum((qw + 1.0) ** -0.9)
        self.query_cdf /= self.query_cdf[-1]

    def _sample_products(self, rng: np.random.Generator, cats: np.ndarray) -> np.ndarray:
        return self.prod_sampler.sample(rng, cats)

    def _global_products(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._sample_products(rng, _choice(rng, n, self.cat_weight))
