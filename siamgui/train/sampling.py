"""P x K batches: P classes, K samples each (with replacement when a class has fewer).

With ``groups`` (one per sample: an alphabet, a data set) and ``groups_per_batch`` g, the P
classes of a batch come from g random groups only, so negatives are look-alikes from the same
alphabet (the within-alphabet one-shot task is the hard one); groups are drawn in proportion
to their number of classes.
"""

from __future__ import annotations

import numpy as np


class PKSampler:
    def __init__(self, labels: list[str], p: int, k: int, groups: list[str] | None = None,
                 groups_per_batch: int | None = None):
        self.classes = sorted(set(labels))
        pos = {c: n for n, c in enumerate(self.classes)}
        index: dict[str, list[int]] = {c: [] for c in self.classes}
        for i, l in enumerate(labels):
            index[l].append(i)
        self.index = index
        self.p = min(p, len(self.classes))
        self.k = k
        self.by_group: list[np.ndarray] | None = None
        if groups is not None and groups_per_batch:
            members: dict[str, set[int]] = {}
            for l, g in zip(labels, groups):
                members.setdefault(g, set()).add(pos[l])
            if len(members) > groups_per_batch:
                self.by_group = [np.array(sorted(members[g])) for g in sorted(members)]
                self.g = int(groups_per_batch)

    def _classes(self, rng: np.random.Generator) -> np.ndarray:
        if self.by_group is None:
            return rng.choice(len(self.classes), size=self.p, replace=False)
        sizes = np.array([len(m) for m in self.by_group], float)
        chosen = rng.choice(len(self.by_group), size=self.g, replace=False, p=sizes / sizes.sum())
        pool = np.concatenate([self.by_group[j] for j in chosen])
        if len(pool) < self.p:  # small groups: top up from everywhere else
            rest = np.setdiff1d(np.arange(len(self.classes)), pool)
            pool = np.r_[pool, rng.choice(rest, size=self.p - len(pool), replace=False)]
        return rng.choice(pool, size=self.p, replace=False)

    def batch(self, rng: np.random.Generator, global_ids: bool = False) -> tuple[list[int], np.ndarray]:
        """(sample indices, class ids) for one batch: ids 0..P-1 within the batch, or with
        ``global_ids`` each class's index in ``self.classes`` (for losses with a centre per class)."""
        chosen = self._classes(rng)
        idx, ids = [], []
        for j, ci in enumerate(chosen):
            pool = self.index[self.classes[ci]]
            pick = rng.choice(len(pool), size=self.k, replace=len(pool) < self.k)
            idx += [pool[q] for q in pick]
            ids += [int(ci) if global_ids else j] * self.k
        return idx, np.asarray(ids, np.int64)
