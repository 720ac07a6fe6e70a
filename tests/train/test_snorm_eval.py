"""S-norm measurement helpers: the formula, the cohort, and that normalising can change the ranking."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from studies import snorm_eval  # noqa: E402


def test_snorm_is_the_mean_of_both_sides_z_scores():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(4, 8))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    coh = rng.normal(size=(5, 8))
    coh /= np.linalg.norm(coh, axis=1, keepdims=True)
    got = snorm_eval.snorm_scores(emb, np.array([0]), np.array([1]), coh)[0]
    s = emb[0] @ emb[1]
    za = (s - (emb[0] @ coh.T).mean()) / ((emb[0] @ coh.T).std() + 1e-6)
    zb = (s - (emb[1] @ coh.T).mean()) / ((emb[1] @ coh.T).std() + 1e-6)
    assert got == pytest.approx(0.5 * (za + zb))
    # adaptive: only the top-k most similar cohort members count
    mu, _ = snorm_eval.cohort_stats(emb[:1], coh, top_k=2)
    assert mu[0] == pytest.approx(np.sort(emb[0] @ coh.T)[-2:].mean())


def test_cohort_is_one_unit_mean_per_speaker_or_a_few_segments():
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    c = snorm_eval.cohort(emb, ["a", "a", "b", "b"], 0)
    assert np.allclose(c, [[2 ** -0.5, 2 ** -0.5], [1.0, 0.0]])
    assert len(snorm_eval.cohort(emb, ["a", "a", "b", "b"], 1)) == 2
