"""Calibration on a folder of classes or a pairs CSV, user thresholds, and the 2-D map."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from conftest import draw, tone
from siamgui.tasks import calibration as cal
from siamgui.core import metrics, projection, thresholds
from siamgui.core.compare import distance
from siamgui.core.encoder import Encoder

LETTERS = "ABCDEF"


def make_classes(root, letters=LETTERS, per_class=5, nested=False):
    """One folder per drawn character; each file a differently jittered, scaled, shifted drawing."""
    for ci, ch in enumerate(letters):
        folder = root / (f"script{ci % 2}/char_{ch}" if nested else ch)
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            img = draw(ch, seed=100 * ci + k, scale=2.4 + 0.25 * (k % 3), offset=(3 * (k % 4) - 4, 2 * (k % 3) - 2))
            cv2.imwrite(str(folder / f"{k}.png"), img)
    return root


@pytest.fixture
def classes(tmp_path):
    return make_classes(tmp_path / "classes")


@pytest.fixture
def enc(glyph_model):
    return Encoder.load(glyph_model)


def test_folder_pairs_are_balanced_distinct_and_labelled_by_class(enc, classes):
    c = cal.calibrate(enc, classes)
    same, diff = int(c.labels.sum()), int((~c.labels).sum())
    assert same == diff > 0
    assert len({tuple(p) for p in c.pairs.tolist()}) == len(c.pairs)  # no pair twice
    labels = [it.label for it in c.items]
    for (a, b), y in zip(c.pairs, c.labels):
        assert a != b and (labels[a] == labels[b]) == y
    assert sorted(set(labels)) == list(LETTERS)
    assert len(c.items) == len(LETTERS) * 5 and c.embeddings.shape == (30, 16)


def test_distances_are_the_encoders_own(enc, classes):
    c = cal.calibrate(enc, classes)
    for (a, b), d in list(zip(c.pairs, c.distances))[:5]:
        want = enc.compare(c.items[a].path, c.items[b].path).distance
        assert abs(d - want) < 1e-5


def test_figures_agree_with_metrics_and_target_far_holds(enc, classes):
    c = cal.calibrate(enc, classes)
    assert c.auc == pytest.approx(metrics.roc_auc(c.distances, c.labels))
    assert (c.eer, c.eer_threshold) == pytest.approx(metrics.eer(c.distances, c.labels))
    for target in (0.0, 0.05, 0.2):
        t = c.threshold_at_far(target)
        assert c.rates_at(t)["far"] <= target + 1e-12
    s = c.summary(0.05)
    assert s["rates"] == c.rates_at(s["threshold"]) and s["default_threshold"] == enc.card.threshold
    assert s["pairs"] == {"same": int(c.labels.sum()), "different": int((~c.labels).sum())}
    json.dumps(s)  # plain JSON types only
    assert c.auc > 0.8  # drawn letters: even a random projection separates them


def test_same_seed_same_pairs_other_seed_other_pairs(enc, tmp_path):
    root = make_classes(tmp_path / "many", per_class=8)
    a = cal.calibrate(enc, root, max_pairs=40, seed=3)
    b = cal.calibrate(enc, root, max_pairs=40, seed=3)
    c = cal.calibrate(enc, root, max_pairs=40, seed=4)
    assert np.array_equal(a.pairs, b.pairs) and np.array_equal(a.distances, b.distances)
    assert not np.array_equal(a.pairs, c.pairs)
    assert len(a.pairs) == 40


def test_unreadable_files_are_skipped_and_reported(enc, classes):
    (classes / "A" / "broken.png").write_bytes(b"not a png")
    (classes / "B" / "blank.png").write_bytes(cv2.imencode(".png", np.full((50, 50), 255, np.uint8))[1].tobytes())
    (classes / "loose.png").write_bytes((classes / "A" / "0.png").read_bytes())
    (classes / "A" / "notes.txt").write_text("ignored: not an image")
    c = cal.calibrate(enc, classes)
    why = {p.split("/")[-1]: reason for p, reason in c.skipped}
    assert set(why) == {"broken.png", "blank.png", "loose.png"}
    assert "not a readable image" in why["broken.png"] and "blank" in why["blank.png"]
    assert "class folder" in why["loose.png"]
    assert all("broken" not in str(it.path) for it in c.items)


def test_nested_class_folders_are_named_by_path(enc, tmp_path):
    root = make_classes(tmp_path / "alphabets", nested=True)
    c = cal.calibrate(enc, root)
    assert {it.label for it in c.items} == {f"script{i % 2}/char_{ch}" for i, ch in enumerate(LETTERS)}


def test_max_files_spreads_over_classes_keeping_two_each(tmp_path):
    root = make_classes(tmp_path / "big", per_class=10)
    plan = cal.plan_folder(root, "image", max_files=18, seed=0)
    counts = {}
    for it in plan.items:
        counts[it.label] = counts.get(it.label, 0) + 1
    assert len(plan.items) <= 18 and all(n >= 2 for n in counts.values()) and len(counts) >= 2


def test_progress_reports_every_batch_and_cancel_stops(enc, classes):
    seen = []
    cal.calibrate(enc, cal.plan(classes, "image"), progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 30) and seen[-1] == (30, 30)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1

    plan = cal.plan(classes, "image")
    with pytest.raises(cal.Cancelled):
        cal.embed_items(enc, plan.items, cancelled=cancelled, chunk=8)


def test_pairs_csv_relative_paths_labels_and_bad_rows(enc, glyph_files, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"garbage")
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text("a,b,label\na1.png,a2.png,1\na1.png,b1.png,0\na2.png,b1.png,different\n"
                        "a1.png,broken.png,0\n")
    c = cal.calibrate(enc, csv_path)
    assert c.kind == "pairs" and list(c.labels) == [True, False, False]
    assert [p.split("/")[-1] for p, _ in c.skipped] == ["broken.png"]
    d = enc.compare(glyph_files["a1"], glyph_files["b1"]).distance
    assert c.distances[1] == pytest.approx(d, abs=1e-5)


@pytest.mark.parametrize("text, message", [
    ("a,b\nx.png,y.png\n", "a,b,label"),
    ("a,b,label\na1.png,a2.png,maybe\n", "label must be 1"),
    ("a,b,label\na1.png,a2.png,1\n", "both same"),
    ("a,b,label\n", "no pairs"),
])
def test_pairs_csv_errors_are_for_the_user(text, message, enc, glyph_files, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(text)
    with pytest.raises(cal.CalibrationError, match=message):
        cal.calibrate(enc, p)


def test_folder_errors_are_for_the_user(enc, tmp_path):
    one = make_classes(tmp_path / "one", letters="A")
    with pytest.raises(cal.CalibrationError, match="at least two"):
        cal.calibrate(enc, one)
    (tmp_path / "empty").mkdir()
    with pytest.raises(cal.CalibrationError, match="no image files"):
        cal.calibrate(enc, tmp_path / "empty")
    single = tmp_path / "single"
    for ch in "AB":
        (single / ch).mkdir(parents=True)
        cv2.imwrite(str(single / ch / "0.png"), draw(ch))
    with pytest.raises(cal.CalibrationError, match="one file"):
        cal.calibrate(enc, single)
    with pytest.raises(FileNotFoundError):
        cal.calibrate(enc, tmp_path / "nowhere")


def test_audio_recordings_cut_into_segments(audio_model, tmp_path):
    enc = Encoder.load(audio_model)
    for name, freqs in (("low", (150.0, 300.0)), ("high", (900.0, 1800.0))):
        (tmp_path / "voices" / name).mkdir(parents=True)
        tone(tmp_path / "voices" / name / "talk.wav", freqs=freqs, seconds=6.0)
    plan = cal.plan_folder(tmp_path / "voices", "audio", segment_s=2.0)
    assert len(plan.items) == 6 and {it.start for it in plan.items} == {0.0, 2.0, 4.0}
    c = cal.calibrate(enc, plan)
    assert int(c.labels.sum()) == 6 and len(c.items) == 6
    with pytest.raises(cal.CalibrationError, match="segment"):
        cal.plan_folder(tmp_path / "voices", "audio")


# --- stored thresholds -------------------------------------------------------------------------
def test_thresholds_live_in_the_user_config_dir_keyed_by_model_hash(glyph_model, glyph_files):
    import os

    enc = Encoder.load(glyph_model)
    assert str(thresholds.path()).startswith(os.environ["XDG_CONFIG_HOME"])
    assert enc.threshold == enc.default_threshold == 0.05 and thresholds.get(enc.model_hash) is None
    thresholds.store(enc.model_hash, 0.123, model_name=enc.name, target_far=0.01)
    assert enc.threshold == pytest.approx(0.123) and enc.default_threshold == 0.05
    raw = json.loads(thresholds.path().read_text())
    assert raw["models"][enc.model_hash]["model_name"] == "glyphtest"
    again = Encoder.load(glyph_model)
    assert again.threshold == pytest.approx(0.123)
    assert again.compare(glyph_files["a1"], glyph_files["b1"]).threshold == pytest.approx(0.123)
    assert thresholds.clear(enc.model_hash) and enc.threshold == 0.05 and not thresholds.clear(enc.model_hash)


def test_another_model_file_keeps_its_own_default(tmp_path):
    from onnx_factory import carded_model

    a = Encoder.load(carded_model(tmp_path / "a.onnx", {"kind": "glyph", "size": 32}, threshold=0.2, seed=1))
    b = Encoder.load(carded_model(tmp_path / "b.onnx", {"kind": "glyph", "size": 32}, threshold=0.3, seed=2))
    thresholds.store(a.model_hash, 0.11)
    assert a.threshold == pytest.approx(0.11) and b.threshold == 0.3


def test_a_damaged_thresholds_file_falls_back_to_the_card(glyph_model):
    enc = Encoder.load(glyph_model)
    thresholds.store(enc.model_hash, 0.2)
    thresholds.path().write_text("{ not json")
    assert enc.threshold == 0.05
    thresholds.store(enc.model_hash, 0.3)  # and writing repairs it
    assert enc.threshold == pytest.approx(0.3)
    with pytest.raises(ValueError):
        thresholds.store(enc.model_hash, float("nan"))


# --- projection --------------------------------------------------------------------------------
def test_pca_finds_the_spread_and_is_deterministic():
    rng = np.random.default_rng(0)
    centres = np.eye(16)[:3] * 5
    x = np.concatenate([c + 0.1 * rng.standard_normal((20, 16)) for c in centres])
    p = projection.pca_2d(x)
    assert p.points.shape == (60, 2) and 0.9 < p.explained.sum() <= 1.0 + 1e-9
    again = projection.pca_2d(x)
    assert np.array_equal(p.points, again.points)
    np.testing.assert_allclose(p.transform(x), p.points, atol=1e-9)
    groups = [p.points[i * 20:(i + 1) * 20].mean(axis=0) for i in range(3)]
    spread = min(np.linalg.norm(groups[i] - groups[j]) for i in range(3) for j in range(i + 1, 3))
    assert spread > 10 * p.points[:20].std()


def test_pca_copes_with_tiny_inputs():
    assert projection.pca_2d(np.zeros((1, 8))).points.shape == (1, 2)
    assert projection.pca_2d(np.ones((3, 1))).points.shape == (3, 2)
    assert projection.pca_2d(np.zeros((0, 4))).points.shape == (0, 2)


def test_map_of_the_gallery(glyph_model, glyph_files, tmp_path):
    from siamgui.tasks.enrolment import enrol_files
    from siamgui.core.gallery import Gallery

    enc = Encoder.load(glyph_model)
    with Gallery(tmp_path / "g.sqlite3") as g:
        enrol_files(g, enc, "Alpha", [glyph_files["a1"], glyph_files["a2"]])
        enrol_files(g, enc, "Beta", [glyph_files["b1"]])
        names, vecs = projection.points_from_gallery(g, enc.model_hash)
    assert names == ["Alpha", "Alpha", "Beta"] and vecs.shape == (3, 16)
    d = distance(vecs[0], vecs[1])
    assert d < distance(vecs[0], vecs[2])


@pytest.mark.parametrize("segment", [float("nan"), 1e-9, 0.0, -1.0, 601.0, float("inf")])
def test_segment_lengths_outside_the_bounds_are_refused(tmp_path, segment):
    (tmp_path / "a").mkdir()
    with pytest.raises(cal.CalibrationError, match="the segment length must be from 0.5 to 600 seconds"):
        cal.plan_folder(tmp_path, "audio", segment_s=segment)


@pytest.mark.parametrize("per_class, max_pairs", [(1000, 1_000_000), (100, 2_000_000)])
def test_many_pairs_are_drawn_as_arrays_distinct_and_balanced(per_class, max_pairs):
    """10 classes of 1000 files asked for 10M pairs took 2 GB as Python tuples (and gathering
    their embeddings 1 GB more); now pairs are int64 keys. 10 x 100 files have 49500 same pairs
    in all: asked for more, every one of them is used (drawing them would take ages)."""
    import tracemalloc

    labels = [f"c{k}" for k in range(10) for _ in range(per_class)]
    tracemalloc.start()
    pairs, same = cal.folder_pairs(labels, max_pairs=max_pairs, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    lab = np.asarray(labels)
    half = min(max_pairs // 2, 10 * per_class * (per_class - 1) // 2)
    assert same.sum() == (~same).sum() == half
    assert (lab[pairs[same, 0]] == lab[pairs[same, 1]]).all() and (lab[pairs[~same, 0]] != lab[pairs[~same, 1]]).all()
    assert (pairs[:, 0] < pairs[:, 1]).all() and len(np.unique(pairs, axis=0)) == len(pairs)
    assert peak < 200 * 2**20, peak / 2**20
    again, _ = cal.folder_pairs(labels, max_pairs=max_pairs, seed=0)
    assert np.array_equal(pairs, again)  # seeded


def test_distances_are_computed_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(cal, "DISTANCE_CHUNK", 7)
    emb = np.random.default_rng(0).normal(size=(30, 8)).astype(np.float32)
    pairs = np.array([(i, j) for i in range(30) for j in range(i + 1, 30)], np.int64)
    whole = np.asarray(distance(emb[pairs[:, 0]], emb[pairs[:, 1]], "cosine"), np.float64).reshape(-1)
    assert np.allclose(cal._distances(emb, pairs, "cosine"), whole)
