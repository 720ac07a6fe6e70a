"""P x K batches: P classes, K samples each (with replacement when a class has fewer)."""

from __future__ import annotations

import numpy as np


class PKSampler:
    def __init__(self, labels: list[str], p: int, k: int):
        self.classes = sorted(set(labels))
        self.index = {c: [i for i, l in enumerate(labels) if l == c] for c in self.classes}
        self.p = min(p, len(self.classes))
        self.k = k

    def batch(self, rng: np.random.Generator) -> tuple[list[int], np.ndarray]:
        """(sample indices, class ids 0..P-1) for one batch."""
        chosen = rng.choice(len(self.classes), size=self.p, replace=False)
        idx, ids = [], []
        for j, ci in enumerate(chosen):
            pool = self.index[self.classes[ci]]
            pick = rng.choice(len(pool), size=self.k, replace=len(pool) < self.k)
            idx += [pool[q] for q in pick]
            ids += [j] * self.k
        return idx, np.asarray(ids, np.int64)
