import numpy as np
import pytest

from siamgui.core.compare import Verdict, distance, judge, pairwise


def test_cosine_and_euclidean_agree_with_definitions():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    assert distance(a, b, "cosine") == pytest.approx(1.0)
    assert distance(a, b, "euclidean") == pytest.approx(np.sqrt(2))
    assert distance(a, 3 * a, "cosine") == pytest.approx(0.0, abs=1e-7)


def test_pairwise_matches_rowwise():
    rng = np.random.default_rng(0)
    q, r = rng.normal(size=(3, 8)), rng.normal(size=(5, 8))
    for metric in ("cosine", "euclidean"):
        m = pairwise(q, r, metric)
        assert m.shape == (3, 5)
        assert m[1, 2] == pytest.approx(distance(q[1], r[2], metric), abs=1e-6)


def test_unknown_metric_is_rejected():
    with pytest.raises(ValueError):
        distance(np.ones(2), np.ones(2), "manhattan")


def test_verdict_margin_and_words():
    v = judge(0.3, 0.5)
    assert v.same and v.margin == pytest.approx(0.2) and v.words() == "same"
    w = Verdict(0.7, 0.5)
    assert not w.same and w.margin == pytest.approx(-0.2) and w.as_dict()["same"] is False
