"""FaceAlignedSource: detections cached with landmarks, evaluation inputs exactly the app's,
training chips jittered around the app's own alignment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import face_folder  # noqa: E402

from siamgui import kinds as modalities  # noqa: E402
from siamgui.train import augment, data  # noqa: E402
from siamgui.train.modalities import SOURCES, FaceAlignedSource  # noqa: E402

SPEC = {"kind": "face_aligned", "size": 150, "padding": 0.25, "channels": 3, "input": "rgb_0_255"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return face_folder(tmp_path_factory.mktemp("faces") / "faces", classes=3)


def test_face_aligned_source_caches_landmarks_and_evaluates_as_the_app(folder, tmp_path, monkeypatch):
    assert SOURCES["face_aligned"] is FaceAlignedSource
    items = data.scan([folder], "image")
    skipped = data.Skipped()
    src = FaceAlignedSource(items, dict(SPEC), skipped, tmp_path, progress=False)
    assert len(src.items) == 6 and skipped.total == 0
    store = json.loads((tmp_path / FaceAlignedSource.CACHE).read_text())
    assert len(store) == 6 and all(np.asarray(r["landmarks"]).shape == (5, 2) for r in store.values())

    # the exact tensors the app computes from the file
    mod = modalities.get(SPEC)
    got, labels = src.eval_inputs(list(range(6)), np.random.default_rng(0))
    assert labels == [it.label for it in src.items]
    for t, it in zip(got, src.items):
        assert np.array_equal(t, mod.prepare(it.path).tensors)

    # a second run reads the cache: no detector is run
    def no_detector(self):
        raise AssertionError("the detector ran although the detections are cached")

    monkeypatch.setattr(type(mod), "detector", no_detector)
    again = FaceAlignedSource(items, dict(SPEC), data.Skipped(), tmp_path, progress=False)
    assert [it.path for it in again.items] == [it.path for it in src.items]

    # training chips: the app's input shape and range, varied, yet the same face
    rng = np.random.default_rng(1)
    a, b = src.train_sample(0, rng), src.train_sample(0, rng)
    assert a.shape == (3, 150, 150) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 255
    assert not np.array_equal(a, b)
    ref = got[0][0].ravel()
    assert np.corrcoef(a.ravel(), ref)[0, 1] > 0.3 or np.corrcoef(a[:, :, ::-1].ravel(), ref)[0, 1] > 0.3


def test_landmark_jitter_stays_within_its_bounds():
    lm = np.array([[40, 50], [80, 50], [60, 75], [45, 95], [75, 95]], float)
    rng = np.random.default_rng(0)
    for _ in range(50):
        j = augment.jitter_landmarks(lm, chip_scale=1.0, rng=rng, point_noise=0.0)
        eyes = np.hypot(*(j[1] - j[0]))
        assert 40 * np.exp(-0.05) - 1e-9 <= eyes <= 40 * np.exp(0.05) + 1e-9
        angle = np.degrees(np.arctan2(*(j[1] - j[0])[::-1]))
        assert abs(angle) <= 8.0 + 1e-9
        assert np.all(np.abs(j.mean(0) - lm.mean(0)) <= 4.0 + 1e-9)
    assert np.array_equal(augment.jitter_landmarks(lm, 1.0, np.random.default_rng(3)),
                          augment.jitter_landmarks(lm, 1.0, np.random.default_rng(3)))
