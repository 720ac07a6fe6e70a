"""Unit vectors and sample rows for gallery tests (core/test_gallery, core/test_gallery_scope)."""

from __future__ import annotations

import numpy as np


def vec(seed: int, dim: int = 8) -> np.ndarray:
    """A seeded random unit vector: an embedding stand-in."""
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def sample(i: int) -> tuple[str, str, bytes, str]:
    """A picture sample row as Gallery.enrol takes it: (modality, suffix, media, source)."""
    return ("image", ".png", f"media-{i}".encode(), f"/photos/{i}.png")
