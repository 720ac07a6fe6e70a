"""Figures on held-out classes, computed the way the app computes them.

Every evaluation sample is the app's own tensor (one or more windows); window embeddings are
L2-normalised, averaged and re-normalised as ``Encoder.embed_prepared`` does.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from siamgui.core import metrics
from siamgui.core.compare import l2_normalise, pairwise


def embed(run: Callable[[np.ndarray], np.ndarray], inputs: list[np.ndarray], batch: int = 256) -> np.ndarray:
    """``run``: (N, C, H, W) float32 -> (N, D). ``inputs``: one (windows, C, H, W) array per sample."""
    if not inputs:
        return np.zeros((0, 0), np.float32)
    counts = [len(x) for x in inputs]
    flat = np.concatenate(inputs).astype(np.float32)
    raw = np.concatenate([run(flat[i : i + batch]) for i in range(0, len(flat), batch)])
    raw = l2_normalise(raw)
    b = np.cumsum([0] + counts)
    return l2_normalise(np.stack([raw[x:y].mean(0) for x, y in zip(b[:-1], b[1:])]))


def pairs(labels: list[str], rng: np.random.Generator, max_pairs: int = 200_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, same) for every genuine pair and up to ``max_pairs`` impostor pairs (all when fewer)."""
    y = np.asarray(labels)
    n = len(y)
    iu, ju = np.triu_indices(n, k=1)
    same = y[iu] == y[ju]
    gi, gj = iu[same], ju[same]
    ni, nj = iu[~same], ju[~same]
    if len(ni) > max_pairs:
        pick = rng.choice(len(ni), size=max_pairs, replace=False)
        ni, nj = ni[pick], nj[pick]
    i = np.r_[gi, ni]
    j = np.r_[gj, nj]
    return i, j, np.r_[np.ones(len(gi), bool), np.zeros(len(ni), bool)]


def within_group_one_shot(emb: np.ndarray, labels: list[str], groups: list[str], n: int, trials: int,
                          seed: int, metric: str = "cosine") -> float | None:
    """N-way one-shot with all N classes from one group (Lake / Koch: within one alphabet)."""
    rng = np.random.default_rng(seed)
    y, g = np.asarray(labels), np.asarray(groups)
    usable = {}
    for grp in np.unique(g):
        cls = [c for c in np.unique(y[g == grp]) if (y == c).sum() >= 2]
        if len(cls) >= n:
            usable[grp] = cls
    if not usable:
        return None
    by_class = {c: np.nonzero(y == c)[0] for cls in usable.values() for c in cls}
    names = sorted(usable)
    correct = 0
    for _ in range(trials):
        cls = usable[names[rng.integers(len(names))]]
        picked = rng.choice(len(cls), size=n, replace=False)
        q, s0 = rng.choice(by_class[cls[picked[0]]], size=2, replace=False)
        support = [s0] + [rng.choice(by_class[cls[c]]) for c in picked[1:]]
        correct += int(np.argmin(pairwise(emb[q], emb[support], metric)[0]) == 0)
    return correct / trials


def evaluate(emb: np.ndarray, labels: list[str], groups: list[str] | None = None, metric: str = "cosine",
             seed: int = 0, trials: int = 2000, threshold: float | None = None, quick: bool = False) -> dict:
    """AUC, EER (+ its threshold), accuracy / FAR / FRR at the threshold, 5- and 20-way one-shot."""
    rng = np.random.default_rng(seed)
    i, j, same = pairs(labels, rng, max_pairs=50_000 if quick else 200_000)
    a, b = emb[i], emb[j]
    d = 1.0 - np.sum(a * b, axis=1) if metric == "cosine" else np.linalg.norm(a - b, axis=1)
    d = np.maximum(d, 0.0)
    rate, thr = metrics.eer(d, same)
    t = thr if threshold is None else threshold
    out = {"auc": metrics.roc_auc(d, same), "eer": rate, "threshold": float(t),
           **{k: v for k, v in metrics.rates_at(d, same, t).items()},
           "val_classes": int(len(set(labels))), "val_samples": int(len(labels)),
           "genuine_pairs": int(same.sum()), "impostor_pairs": int((~same).sum())}
    trials = 300 if quick else trials
    for n in (5, 20):
        try:
            out[f"one_shot_{n}"] = metrics.n_way_one_shot(emb, np.asarray(labels), n, trials=trials, metric=metric,
                                                          seed=seed)
        except ValueError:
            pass
    if len(set(labels)) <= 10 and not quick:  # a closed set (digits): 10-way 1- and 5-shot, nearest class mean
        for k in (1, 5):
            try:
                out[f"way_10_shot_{k}"] = metrics.n_way_k_shot(emb, np.asarray(labels), 10, k, trials=trials,
                                                               metric=metric, seed=seed)
            except ValueError:
                pass
    if groups is not None and len(set(groups)) > 1 and not quick:
        w = within_group_one_shot(emb, labels, groups, 20, trials, seed, metric)
        if w is not None:
            out["one_shot_20_within_group"] = w
    return out
