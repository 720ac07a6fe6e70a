"""A 2-D map of embeddings (PCA by NumPy SVD), so a user sees the clusters a Siamese net learned.

    proj = pca_2d(embeddings)               # Projection(points (N, 2), explained (2,))
    points_from_gallery(gallery, enc.model_hash)  # (names, vectors) of everyone enrolled

PCA is exact, deterministic (signs fixed) and instant for thousands of points; t-SNE / UMAP
would separate clusters more but cost seconds to minutes and a dependency, and draw distances
that do not mean anything: PCA's axes are the embedding space's own directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Projection:
    points: np.ndarray  # (N, 2) float64
    explained: np.ndarray  # (2,) fraction of the variance along each axis
    mean: np.ndarray  # (D,) of the input
    axes: np.ndarray  # (2, D) principal directions

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Place new embeddings on the same map."""
        return (np.atleast_2d(np.asarray(x, np.float64)) - self.mean) @ self.axes.T


def pca_2d(x: np.ndarray) -> Projection:
    """The first two principal components of ``x`` (N, D). Fewer than 2 points/dims are padded with 0."""
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError("expected an (N, D) array of embeddings")
    n, d = x.shape
    mean = x.mean(axis=0) if n else np.zeros(d)
    centred = x - mean
    axes = np.zeros((2, d))
    explained = np.zeros(2)
    if n >= 2 and d >= 1:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        k = min(2, vt.shape[0])
        axes[:k] = vt[:k]
        total = float((s**2).sum())
        if total > 0:
            explained[:k] = (s[:k] ** 2) / total
        for i in range(k):  # deterministic sign: the largest loading is positive
            if axes[i, np.argmax(np.abs(axes[i]))] < 0:
                axes[i] = -axes[i]
    return Projection(points=centred @ axes.T, explained=explained, mean=mean, axes=axes)


def points_from_gallery(gallery, model_hash: str) -> tuple[list[str], np.ndarray]:
    """(person name per sample, embeddings) of everything enrolled with this model."""
    _, _, names, vecs = gallery.matrix(model_hash)
    return list(names), vecs
