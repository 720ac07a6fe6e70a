"""Few-shot classification: support folders, the three classifiers, the k-shot curve, bad input."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT, carded_model, draw
from siamgui import Encoder
from siamgui.tasks import fewshot as fs

LETTERS = ("A", "L", "O")


def letters(root: Path, per_class: int, seed0: int = 0, chars=LETTERS) -> Path:
    """``root/A/0.png ...``: drawn letters, each a little different."""
    for c in chars:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            s = seed0 + 100 * ord(c) + i
            cv2.imwrite(str(root / c / f"{i}.png"), draw(c, s, offset=(s % 7 - 3, s % 5 - 2)))
    return root


@pytest.fixture(scope="module")
def glyph():
    return Encoder.load(ROOT / "models" / "glyph.onnx", device="cpu")


@pytest.mark.parametrize("classifier", ["centroid", "knn"])
def test_labelled_queries_give_accuracy_per_class_and_a_confusion_matrix(tmp_path, glyph, classifier):
    support = fs.embed_support(glyph, letters(tmp_path / "s", 3))
    assert support.classes == list(LETTERS) and support.counts == {"A": 3, "L": 3, "O": 3}
    queries = fs.plan_queries([letters(tmp_path / "q", 4, seed0=50)], glyph.modality.suffixes)
    result = fs.classify(glyph, support, queries, classifier)
    assert result.confusion.shape == (3, 3) and result.confusion.sum() == 12
    assert result.accuracy == pytest.approx(np.trace(result.confusion) / 12)
    assert result.accuracy == 1.0 and set(result.per_class.values()) == {1.0}
    assert all(p.predicted == p.truth for p in result.predictions)
    d = result.as_dict()
    assert d["classes"] == list(LETTERS) and d["confusion"][0] == [4, 0, 0]
    assert {"file", "predicted", "distance", "truth"} <= set(d["predictions"][0])


def test_plain_files_get_predictions_only(tmp_path, glyph):
    support = fs.embed_support(glyph, letters(tmp_path / "s", 2))
    q = tmp_path / "o.png"
    cv2.imwrite(str(q), 255 - draw("O", 999))  # white on black: the modality finds the polarity
    result = fs.classify(glyph, support, fs.plan_queries([q], glyph.modality.suffixes), "centroid")
    assert result.accuracy is None and result.confusion is None
    assert [p.predicted for p in result.predictions] == ["O"]
    near = fs.nearest_examples(support, result.query_embeddings[0], n=2)
    assert [c for _, c, _ in near] == ["O", "O"] and near[0][2] <= near[1][2]


def test_a_blank_query_is_skipped_with_its_reason(tmp_path, glyph):
    support = fs.embed_support(glyph, letters(tmp_path / "s", 2))
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((40, 40), 255, np.uint8))
    good = tmp_path / "a.png"
    cv2.imwrite(str(good), draw("A", 7))
    result = fs.classify(glyph, support, fs.plan_queries([blank, good], glyph.modality.suffixes))
    assert [p.predicted for p in result.predictions] == ["A"]
    assert result.skipped[0][0] == str(blank) and "blank" in result.skipped[0][1]


def test_an_empty_class_one_class_and_the_wrong_modality_are_one_sentence(tmp_path, glyph):
    root = letters(tmp_path / "s", 2)
    (root / "Z").mkdir()
    with pytest.raises(fs.FewShotError, match=r"Z: the class folder is empty"):
        fs.embed_support(glyph, root)
    one = letters(tmp_path / "one", 2, chars=("A",))
    with pytest.raises(fs.FewShotError, match="only one class"):
        fs.embed_support(glyph, one)
    voice = Encoder.load(carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, name="v"), device="cpu")
    with pytest.raises(fs.FewShotError, match=r"holds image files, but the model 'v' reads audio"):
        fs.embed_support(voice, letters(tmp_path / "s2", 2))
    support = fs.embed_support(glyph, root.parent / "s2")
    other = letters(tmp_path / "q", 1, chars=("A", "X"))
    with pytest.raises(fs.FewShotError, match="not in the support set: X"):
        fs.classify(glyph, support, fs.plan_queries([other], glyph.modality.suffixes))


def test_svm_without_scikit_learn_says_how_to_get_it(monkeypatch):
    real = builtins.__import__

    def no_sklearn(name, *a, **k):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    monkeypatch.delitem(sys.modules, "sklearn.svm", raising=False)
    with pytest.raises(fs.FewShotError) as info:
        fs.make_classifier("svm")
    assert str(info.value) == fs.SVM_HINT and "\n" not in fs.SVM_HINT and "siamgui[fewshot]" in fs.SVM_HINT


def test_svm_classifies_when_scikit_learn_is_there(tmp_path, glyph):
    pytest.importorskip("sklearn.svm", reason="scikit-learn (the fewshot extra) is not installed")
    support = fs.embed_support(glyph, letters(tmp_path / "s", 3))
    result = fs.classify(glyph, support, fs.plan_queries([letters(tmp_path / "q", 2, 50)], glyph.modality.suffixes),
                         "svm")
    assert result.accuracy == 1.0 and result.score_kind == "score"
    assert "score" in result.as_dict()["predictions"][0]


def test_k_shot_curve_is_seeded_and_stops_where_no_query_is_left(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 8))
    labels = np.repeat(np.arange(4), 5)
    emb = centres[labels] + rng.normal(scale=0.9, size=(20, 8))
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    support = fs.SupportSet(list("abcd"), [Path(f"{i}.png") for i in range(20)], labels, emb)
    n, points = fs.k_shot_curve(support, episodes=100, seed=3)
    assert n == 4 and [p.k for p in points] == [1, 2, 3, 4]  # 5 examples: k = 5 leaves no query
    assert fs.k_shot_curve(support, episodes=100, seed=3)[1] == points
    assert points[-1].accuracy > points[0].accuracy and all(0 <= p.accuracy <= 1 for p in points)
    with pytest.raises(fs.FewShotError):
        fs.k_shot_curve(fs.SupportSet(list("ab"), [Path("x")] * 2, np.array([0, 1]), emb[:2]))
