"""Verification and one-shot figures: ROC, AUC, EER, accuracy, N-way one-shot accuracy.

Distances, not scores: a lower distance means "more alike", labels are 1 for same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamgui.core.compare import pairwise


@dataclass(frozen=True)
class Roc:
    thresholds: np.ndarray  # ascending distances
    far: np.ndarray  # false-accept rate at each threshold (impostors with d <= t)
    frr: np.ndarray  # false-reject rate at each threshold (genuines with d > t)

    @property
    def tpr(self) -> np.ndarray:
        return 1.0 - self.frr


def _check(distances, labels) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(distances, dtype=np.float64).ravel()
    y = np.asarray(labels).astype(bool).ravel()
    if d.shape != y.shape:
        raise ValueError("distances and labels differ in length")
    if y.all() or not y.any():
        raise ValueError("need both same and different pairs")
    return d, y


def roc(distances, labels) -> Roc:
    d, y = _check(distances, labels)
    order = np.argsort(d, kind="mergesort")
    d, y = d[order], y[order]
    last = np.r_[np.diff(d) != 0, True]  # one point per distinct distance
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    thr = d[last]
    far = np.r_[0.0, fp / (~y).sum()]
    frr = np.r_[1.0, 1.0 - tp / y.sum()]
    thr = np.r_[thr[0] - 1e-9, thr]
    return Roc(thr, far, frr)


def roc_auc(distances, labels) -> float:
    """Probability that a random genuine pair is closer than a random impostor pair (ties: half)."""
    d, y = _check(distances, labels)
    ranks = _average_ranks(-d)  # high rank = small distance
    n_pos, n_neg = y.sum(), (~y).sum()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (as scipy.stats.rankdata)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    top = np.cumsum(counts)
    return (top - (counts - 1) / 2.0)[inverse]


def eer(distances, labels) -> tuple[float, float]:
    """Equal error rate and the threshold where false accepts and false rejects meet."""
    r = roc(distances, labels)
    diff = r.far - r.frr
    i = int(np.argmax(diff >= 0))  # first point where FAR has caught up with FRR
    if i == 0:
        return float(r.frr[0]), float(r.thresholds[0])
    # interpolate between points i-1 and i
    d0, d1 = diff[i - 1], diff[i]
    w = 0.0 if d1 == d0 else -d0 / (d1 - d0)
    rate = (1 - w) * (r.far[i - 1] + r.frr[i - 1]) / 2 + w * (r.far[i] + r.frr[i]) / 2
    thr = (1 - w) * r.thresholds[i - 1] + w * r.thresholds[i]
    return float(rate), float(thr)


def threshold_at_far(distances, labels, target_far: float) -> float:
    """The largest threshold whose false-accept rate stays at or below ``target_far``."""
    r = roc(distances, labels)
    ok = np.nonzero(r.far <= target_far)[0]
    return float(r.thresholds[ok[-1]])


def rates_at(distances, labels, threshold: float) -> dict[str, float]:
    d, y = _check(distances, labels)
    same = d <= threshold
    return {
        "accuracy": float(np.mean(same == y)),
        "far": float(np.mean(same[~y])),
        "frr": float(np.mean(~same[y])),
    }


def n_way_one_shot(embeddings: np.ndarray, labels, n: int, trials: int = 1000, metric: str = "cosine",
                   seed: int = 0) -> float:
    """Accuracy of matching a query to the one support sample of its class among ``n`` classes."""
    emb = np.asarray(embeddings, dtype=np.float32)
    labels = np.asarray(labels)
    classes = [c for c in np.unique(labels) if (labels == c).sum() >= 2]
    if len(classes) < n:
        raise ValueError(f"{n}-way one-shot needs {n} classes with 2+ samples; have {len(classes)}")
    by_class = {c: np.nonzero(labels == c)[0] for c in classes}
    rng = np.random.default_rng(seed)
    correct = 0
    for _ in range(trials):
        picked = rng.choice(len(classes), size=n, replace=False)
        query, first = rng.choice(by_class[classes[picked[0]]], size=2, replace=False)
        support = [first] + [rng.choice(by_class[classes[ci]]) for ci in picked[1:]]
        dist = pairwise(emb[query], emb[support], metric)[0]
        correct += int(np.argmin(dist) == 0)
    return correct / trials


def n_way_k_shot(embeddings: np.ndarray, labels, n: int, k: int, trials: int = 1000, metric: str = "cosine",
                 seed: int = 0, queries: int = 1) -> float:
    """Accuracy of naming a query's class among ``n`` classes from ``k`` support samples each
    (nearest class mean of the unit embeddings; the support and the query never share a sample)."""
    emb = np.asarray(embeddings, dtype=np.float32)
    labels = np.asarray(labels)
    classes = [c for c in np.unique(labels) if (labels == c).sum() >= k + 1]
    if len(classes) < n:
        raise ValueError(f"{n}-way {k}-shot needs {n} classes with {k + 1}+ samples; have {len(classes)}")
    by_class = {c: np.nonzero(labels == c)[0] for c in classes}
    rng = np.random.default_rng(seed)
    correct = total = 0
    for _ in range(trials):
        picked = rng.choice(len(classes), size=n, replace=False)
        cents, qs, truth = [], [], []
        for j, ci in enumerate(picked):
            pool = by_class[classes[ci]]
            draw = rng.choice(pool, size=min(len(pool), k + queries), replace=False)
            c = emb[draw[:k]].mean(0)
            cents.append(c / max(float(np.linalg.norm(c)), 1e-12))
            qs += list(draw[k:])
            truth += [j] * len(draw[k:])
        dist = pairwise(emb[qs], np.stack(cents), metric)
        correct += int((np.argmin(dist, axis=1) == np.asarray(truth)).sum())
        total += len(qs)
    return correct / max(total, 1)


def summary(distances, labels, threshold: float) -> dict[str, float]:
    """The verification figures a user asks for first."""
    rate, thr = eer(distances, labels)
    return {"auc": roc_auc(distances, labels), "eer": rate, "eer_threshold": thr, **rates_at(distances, labels, threshold)}
