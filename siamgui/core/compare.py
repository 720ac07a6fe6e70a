"""Distances between embeddings and the same / different verdict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def l2_normalise(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / (np.linalg.norm(x, axis=axis, keepdims=True) + 1e-12)


def distance(a: np.ndarray, b: np.ndarray, metric: str = "cosine") -> np.ndarray | float:
    """Distance between L2-normalised embeddings (row-wise for 2-D input).

    cosine: 1 - cos(a, b), in [0, 2]. euclidean: ||a - b||, in [0, 2].
    """
    a, b = l2_normalise(a), l2_normalise(b)
    if metric == "cosine":
        d = 1.0 - np.sum(a * b, axis=-1)
    elif metric == "euclidean":
        d = np.linalg.norm(a - b, axis=-1)
    else:
        raise ValueError(f"unknown metric {metric!r}")
    d = np.maximum(d, 0.0)
    return float(d) if np.ndim(d) == 0 else d


def pairwise(queries: np.ndarray, refs: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """(Q, R) distance matrix, computed with one matrix product."""
    q, r = l2_normalise(np.atleast_2d(queries)), l2_normalise(np.atleast_2d(refs))
    return from_cosine(q @ r.T, metric)


def from_cosine(cos: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Distances from cosine similarities of unit vectors (both metrics are functions of it)."""
    if metric == "cosine":
        return np.maximum(1.0 - cos, 0.0)
    if metric == "euclidean":
        return np.sqrt(np.maximum(2.0 - 2.0 * cos, 0.0))
    raise ValueError(f"unknown metric {metric!r}")


@dataclass(frozen=True)
class Verdict:
    """A judged pair. ``margin`` > 0 means the distance is that far under the threshold."""

    distance: float
    threshold: float

    @property
    def same(self) -> bool:
        return self.distance <= self.threshold

    @property
    def margin(self) -> float:
        return self.threshold - self.distance

    def words(self) -> str:
        return "same" if self.same else "different"

    def as_dict(self) -> dict:
        return {"distance": self.distance, "same": self.same, "threshold": self.threshold, "margin": self.margin}


def judge(distance_value: float, threshold: float) -> Verdict:
    return Verdict(float(distance_value), float(threshold))
