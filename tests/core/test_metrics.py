import numpy as np
import pytest

from siamgui.core import metrics


def brute_auc(d, y):
    pos, neg = d[y == 1], d[y == 0]
    wins = (pos[:, None] < neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_auc_matches_pairwise_count():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    d = rng.normal(size=300) - 0.8 * y
    d[:20] = np.round(d[:20], 1)  # some ties
    assert metrics.roc_auc(d, y) == pytest.approx(brute_auc(d, y))


def test_eer_of_separable_and_overlapping_sets():
    y = np.r_[np.ones(50), np.zeros(50)]
    rate, thr = metrics.eer(np.r_[np.linspace(0, 0.4, 50), np.linspace(0.6, 1, 50)], y)
    assert rate == 0.0 and 0.4 <= thr <= 0.6
    rng = np.random.default_rng(2)
    d = np.r_[rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)]
    rate, thr = metrics.eer(d, np.r_[np.ones(4000), np.zeros(4000)])
    assert rate == pytest.approx(0.1587, abs=0.015)  # Phi(-1) for unit normals 2 apart
    assert thr == pytest.approx(1.0, abs=0.1)


def test_threshold_at_far_bounds_false_accepts():
    rng = np.random.default_rng(3)
    d = np.r_[rng.normal(0, 1, 1000), rng.normal(3, 1, 1000)]
    y = np.r_[np.ones(1000), np.zeros(1000)]
    thr = metrics.threshold_at_far(d, y, 0.01)
    assert metrics.rates_at(d, y, thr)["far"] <= 0.01


def test_one_label_only_is_an_error():
    with pytest.raises(ValueError):
        metrics.roc_auc([0.1, 0.2], [1, 1])


def test_n_way_one_shot_perfect_and_chance():
    labels = np.repeat(np.arange(25), 3)
    perfect = np.eye(25)[labels] * 10
    assert metrics.n_way_one_shot(perfect, labels, 20, trials=100) == 1.0
    rng = np.random.default_rng(4)
    noise = rng.normal(size=(75, 16))
    assert metrics.n_way_one_shot(noise, labels, 20, trials=400) < 0.2
    with pytest.raises(ValueError):
        metrics.n_way_one_shot(perfect, labels, 30)


def test_n_way_k_shot_grows_with_k_and_needs_a_query_left():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 8)
    emb = np.eye(16)[labels] + rng.normal(scale=0.45, size=(80, 16))
    one = metrics.n_way_k_shot(emb, labels, 10, 1, trials=200, seed=1)
    five = metrics.n_way_k_shot(emb, labels, 10, 5, trials=200, seed=1)
    assert 0.1 < one < five <= 1.0
    assert metrics.n_way_k_shot(emb, labels, 10, 5, trials=200, seed=1) == five  # seeded
    assert metrics.n_way_k_shot(np.eye(16)[labels], labels, 10, 3, trials=50) == 1.0
    with pytest.raises(ValueError):
        metrics.n_way_k_shot(emb, labels, 10, 8)  # 8 examples: k = 8 leaves no query
