"""BlazeFace (the shipped ONNX conversion) as the face_aligned detector: anchors, decoding, the
MTCNN landmarks on its boxes, the fallback to MTCNN for small faces, and the setting."""

from __future__ import annotations

import json

import cv2
import numpy as np
import onnx
import pytest

from conftest import SAMPLES
from siamgui import kinds as modalities
from siamgui.media import align, face_detectors
from siamgui.media.blazeface import (BlazeFaceDetector, KEYPOINT_TEMPLATE, anchors, decode, keypoints_to_landmarks,
                                     weighted_nms)
from siamgui.media.errors import MediaError
from siamgui.media.face_detect import CnnFaceDetector
from siamgui.media.faces import iou
from siamgui.media.images import load_image


@pytest.fixture(scope="module")
def mtcnn() -> CnnFaceDetector:
    return CnnFaceDetector(threads=1)


@pytest.fixture(scope="module")
def blaze(mtcnn) -> BlazeFaceDetector:
    return BlazeFaceDetector(fallback=mtcnn, threads=1)


def frame_with_face(height: int, at=(100, 200)) -> np.ndarray:
    """A 640x480 BGR frame with the sample portrait ``height`` px tall pasted in."""
    face = load_image(SAMPLES / "face" / "same_a.jpg")
    face = cv2.resize(face, (round(face.shape[1] * height / face.shape[0]), height), interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 90, np.uint8)
    y, x = at
    frame[y : y + height, x : x + face.shape[1]] = face
    return frame


def test_anchors_are_mediapipes_layout():
    short = anchors(128, (8, 16, 16, 16), 2)
    assert short.shape == (896, 2)  # 16x16 cells x 2, then 8x8 cells x 6
    assert np.allclose(short[:2], [[0.5 / 16, 0.5 / 16]] * 2) and np.allclose(short[512:518], [[0.5 / 8, 0.5 / 8]] * 6)
    assert np.allclose(short[-1], [7.5 / 8, 7.5 / 8])
    full = anchors(192, (4,), 1)
    assert full.shape == (2304, 2) and np.allclose(full[1], [1.5 / 48, 0.5 / 48])


def test_decode_and_weighted_nms_make_one_box_from_a_cluster():
    a = anchors(128, (8, 16, 16, 16), 2)
    reg = np.zeros((1, 896, 16), np.float32)
    logits = np.full((1, 896, 1), -10.0, np.float32)
    for i, shift in ((300, 0.0), (301, 2.0)):  # two anchors of one cell, boxes 32 px wide, 2 px apart
        reg[0, i, :4] = [shift, 0, 32, 32]
        reg[0, i, 4:] = shift  # keypoints at the anchor, shifted alike
        logits[0, i] = 3.0 if i == 300 else 1.0
    found = decode(reg, logits, a, 128, 0.5)
    assert len(found) == 2 and all(len(points) == 6 for _, _, points in found)
    cx, cy = a[300]
    assert np.allclose(found[0][0], [cx - 0.125, cy - 0.125, cx + 0.125, cy + 0.125], atol=1e-6)
    (merged, best, points), = weighted_nms(found)
    scores = np.array([s for _, s, _ in found])
    w = scores / scores.sum()
    assert best == pytest.approx(scores.max())
    assert np.allclose(merged, (np.array([b for b, _, _ in found]) * w[:, None]).sum(0), atol=1e-6)
    assert np.allclose(points, (np.array([p for _, _, p in found]) * w[:, None, None]).sum(0), atol=1e-6)


def test_weighted_nms_keeps_apart_boxes_apart_best_first():
    box = lambda x, s: ((x, 0.1, x + 0.2, 0.3), s, [(x, 0.1)] * 6)  # noqa: E731
    out = weighted_nms([box(0.1, 0.6), box(0.5, 0.9), box(0.11, 0.7), box(0.52, 0.55)])
    assert [round(s, 2) for _, s, _ in out] == [0.9, 0.7]  # two clusters, each scored by its best
    assert 0.5 < out[0][0][0] < 0.52 and 0.1 < out[1][0][0] < 0.11  # weighted means within each cluster


def test_decode_keeps_exactly_the_anchors_whose_sigmoid_reaches_the_threshold():
    """decode takes the sigmoid only of logits near the threshold's; what it keeps must be what the
    sigmoid of every logit would keep, at the threshold's edge too."""
    a = anchors(128, (8, 16, 16, 16), 2)
    rng = np.random.default_rng(7)
    reg = rng.uniform(1, 20, (1, 896, 16)).astype(np.float32)
    for min_score in (0.5, 0.6, 0.01, 0.99):
        edge = np.log(min_score / (1 - min_score))
        logits = np.concatenate([rng.normal(0, 4, 880), edge + 1e-6 * np.arange(-8, 8)]).astype(np.float32)
        rng.shuffle(logits)
        found = decode(reg, logits.reshape(1, 896, 1), a, 128, min_score)
        every = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -80, 80)))
        keep = np.nonzero(every >= min_score)[0]
        assert np.allclose([s for _, s, _ in found], every[keep], rtol=0, atol=1e-12) and len(found) == len(keep)


def test_the_shipped_short_range_model_runs_in_blocked_layout(blaze):
    """No channel padding is left between residual blocks, every widened feature map is a multiple
    of 16 channels, and the card says so with what the rounding changed."""
    model = onnx.load(str(blaze.model_path()))
    assert not [n for n in model.graph.node if n.op_type == "Pad"]
    weights = {i.name: i for i in model.graph.initializer}
    outs = [weights[n.input[1]].dims[0] for n in model.graph.node if n.op_type == "Conv"]
    heads = {2, 6, 32, 96}  # the classifier and regressor heads keep their channels
    assert all(c % 16 == 0 or c in heads for c in outs)
    info = json.loads({p.key: p.value for p in model.metadata_props}["siamgui.detector"])
    assert info["layout"]["channels_rounded_up_to"] == 16 and info["layout"]["max_abs_diff_vs_unrounded"] < 1e-3
    assert set(info["layout"]["ms_per_frame_one_thread"]) == {"as_converted", "rounded"}  # the import timed both


def test_keypoints_on_the_template_give_mtcnns_template_back():
    m = np.array([[1.7, -0.3, 40.0], [0.3, 1.7, 25.0]])  # a similarity: scale, turn, shift
    kp = np.vstack([KEYPOINT_TEMPLATE @ m[:, :2].T + m[:, 2], [[0, 0], [0, 0]]])  # + the two ears
    assert np.allclose(keypoints_to_landmarks(kp), align.TEMPLATE @ m[:, :2].T + m[:, 2], atol=1e-4)
    swapped = kp[[1, 0, 2, 3, 4, 5]]  # the eyes given the other way round: ordered as seen
    assert np.allclose(keypoints_to_landmarks(swapped), keypoints_to_landmarks(kp), atol=1e-4)


def test_the_sample_face_with_mtcnns_landmarks_from_o_net(blaze, mtcnn):
    frame = frame_with_face(300, at=(90, 190))
    (face,) = blaze.detect_own(frame)
    (ref,) = mtcnn.detect(frame)
    assert face.score > 0.8 and face.landmarks.shape == (5, 2)
    eyes = np.hypot(*(ref.landmarks[1] - ref.landmarks[0]))
    assert np.abs(face.landmarks - ref.landmarks).max() < 0.12 * eyes  # the same points, from O-net
    near = blaze.detect_near(frame, face.box)
    assert near and abs(near[0].box.x - face.box.x) < 0.1 * face.box.w
    kp = BlazeFaceDetector(fallback=mtcnn, landmarks="keypoints", threads=1).detect_own(frame)
    assert kp and np.abs(kp[0].landmarks[:3] - ref.landmarks[:3]).max() < 0.25 * eyes


def test_a_face_too_small_for_blazeface_is_left_to_mtcnn(blaze, mtcnn):
    frame = frame_with_face(80, at=(200, 300))
    assert blaze.detect_own(frame) == []  # short range: a face this small in the frame is not its job
    found = blaze.detect(frame)
    assert found and 300 < found[0].box.x < 360 and [f.box for f in found] == [f.box for f in mtcnn.detect(frame)]
    assert blaze.detect(np.full((200, 200, 3), 128, np.uint8)) == []


def test_the_shipped_conversion_records_its_parity_with_tflite(blaze):
    meta = {p.key: p.value for p in onnx.load(str(blaze.model_path()), load_external_data=False).metadata_props}
    info = json.loads(meta["siamgui.detector"])
    parity = info["parity_vs_tflite"]
    assert parity["reference"].startswith(("ai_edge_litert", "tflite_runtime", "tensorflow"))
    assert max(parity["max_abs_diff"].values()) < 1e-3 and info["input"]["size"] == 128
    assert "Apache-2.0" in info["licence"]


def test_the_detector_is_a_setting(monkeypatch):
    monkeypatch.delenv(face_detectors.ENV, raising=False)
    assert face_detectors.chosen({}) == face_detectors.DEFAULT == "blazeface"  # video frames
    assert face_detectors.chosen({}, role="pictures") == "mtcnn"  # files: the face figures' landmarks
    assert face_detectors.chosen({"detector": "mtcnn"}) == "mtcnn"
    assert face_detectors.chosen({"detector": "blazeface"}, role="pictures") == "blazeface"
    monkeypatch.setenv(face_detectors.ENV, "blazeface-keypoints")
    assert face_detectors.chosen({"detector": "mtcnn"}) == "blazeface-keypoints"  # the environment wins
    assert face_detectors.chosen({}, role="pictures") == "blazeface-keypoints"
    monkeypatch.setenv(face_detectors.ENV, "hog")
    with pytest.raises(MediaError, match="unknown face detector 'hog' in \\$SIAMGUI_FACE_DETECTOR"):
        face_detectors.chosen({})
    monkeypatch.delenv(face_detectors.ENV)
    assert isinstance(modalities.get("face_aligned").detector(), BlazeFaceDetector)
    card_mtcnn = modalities.get({"kind": "face_aligned", "detector": "mtcnn"}).detector()
    assert isinstance(card_mtcnn, CnnFaceDetector)
    assert modalities.get("face_aligned").detector().fallback is card_mtcnn  # one MTCNN per providers
    assert modalities.get("face_aligned").picture_detector() is card_mtcnn


def test_pictures_are_found_by_mtcnn_and_frames_by_blazeface(monkeypatch):
    """A file is embedded with MTCNN's landmarks (the face figures were measured so); Live's frames
    are searched by BlazeFace, whose O-net landmarks on the same face are within a few pixels."""
    monkeypatch.delenv(face_detectors.ENV, raising=False)
    mod = modalities.get("face_aligned")
    frame = frame_with_face(300, at=(90, 190))
    picture = mod.prepare(frame)
    (mt,) = mod.picture_detector().detect(frame)
    assert np.array_equal(picture.view, mod.prepare_at(frame, mt).view)  # exactly MTCNN's chip
    (bf,) = mod.detector().detect(frame)
    assert isinstance(mod.detector(), BlazeFaceDetector) and isinstance(mod.picture_detector(), CnnFaceDetector)
    eyes = np.hypot(*(mt.landmarks[1] - mt.landmarks[0]))
    assert np.abs(bf.landmarks - mt.landmarks).max() < 0.12 * eyes  # the same face, the same five points


def test_a_search_for_every_face_finds_the_whole_crowd_blazeface_alone_misses(blaze):
    """The multi-face Live search (issue 21): four ORL faces about 110 px wide in a 640x480 frame.
    BlazeFace alone, at 128 px, misses some of them; ``detect_every`` adds MTCNN's, once each."""
    from crowd import crowd_frames, orl

    frame = crowd_frames(orl())[0]
    own, every = blaze.detect_own(frame), blaze.detect_every(frame)
    assert len(every) == 4 and len(own) < 4
    boxes = [f.box for f in every]
    assert all(a is b or iou(a, b) < 0.3 for a in boxes for b in boxes)  # no face twice
