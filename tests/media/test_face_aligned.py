"""Faces through the CNN detector and five-point alignment (the face_aligned kind)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from onnx_factory import carded_model
from siamgui.core.encoder import Encoder
from siamgui import kinds as modalities
from siamgui.media.errors import MediaError
from siamgui.media.face_tracker import FaceTracker
from siamgui.media.images import load_image
from siamgui.tasks.live import FaceVerifier

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples" / "face"


def face_image() -> np.ndarray:
    return load_image(sorted(SAMPLES.glob("same_a.*"))[0])


def test_aligned_chip_is_what_the_encoder_sees_in_rgb():
    mod = modalities.get("face_aligned")
    p = mod.prepare(face_image())
    assert p.tensors.shape == (1, 3, 150, 150) and p.tensors.dtype == np.float32
    assert p.view.shape == (150, 150, 3) and p.colour == "rgb"
    assert np.array_equal(p.tensors[0].transpose(1, 2, 0).astype(np.uint8), p.view)
    assert p.outline.shape == (4, 2) and p.info["faces"] == 1 and p.info["eye_px"] > 10


def test_no_face_and_too_small_faces_are_sentences_not_guesses():
    mod = modalities.get("face_aligned")
    with pytest.raises(MediaError, match="no face found"):
        mod.prepare(np.full((200, 200, 3), 128, np.uint8))
    strict = modalities.get({"kind": "face_aligned", "min_eye_px": 500})
    with pytest.raises(MediaError, match="too small to judge"):
        strict.prepare(face_image())


def test_several_faces_the_largest_is_used_and_said():
    face = face_image()
    h, w = face.shape[:2]
    small = cv2.resize(face, (w // 2, h // 2))
    canvas = np.full((h + 20, w + w // 2 + 40, 3), 90, np.uint8)
    canvas[10 : 10 + h, 10 : 10 + w] = face
    canvas[10 : 10 + h // 2, 30 + w : 30 + w + w // 2] = small
    p = modalities.get("face_aligned").prepare(canvas)
    assert p.info["faces"] == 2 and "largest is used" in p.info["note"]
    assert p.region.x < w  # the big face, on the left


def test_mirrored_face_aligns_to_the_same_place():
    """Alignment puts eyes where the template says whatever the pose in the frame."""
    mod = modalities.get("face_aligned")
    img = face_image()
    rot = cv2.warpAffine(img, cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), 12, 1.0),
                         (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    a, b = mod.prepare(img).view.astype(float), mod.prepare(rot).view.astype(float)
    assert np.abs(a - b).mean() < 25  # the same chip, give or take interpolation and the border


def test_encoder_and_live_verifier_use_the_cnn_detector(tmp_path):
    model = carded_model(tmp_path / "fa.onnx", {"kind": "face_aligned"}, metric="euclidean", threshold=0.6)
    enc = Encoder.load(model, device="cpu")
    assert enc.modality.detector() is enc.modality.detector()  # shared, sessions loaded once
    img = face_image()
    frame = np.full((480, 640, 3), 100, np.uint8)
    h, w = img.shape[:2]
    frame[100 : 100 + h, 200 : 200 + w] = img
    v = FaceVerifier(enc)
    v.set_reference(enc.embed_one(img))
    results = [v.process(frame, seq=i) for i in range(6)]
    assert all(r.verdict is not None and r.colour == "rgb" for r in results)
    assert v.tracker.near_searches >= 4  # tracked between whole-frame searches
    assert isinstance(v.tracker, FaceTracker) and v.tracker.face.landmarks.shape == (5, 2)
    gone = [v.process(np.full((480, 640, 3), 100, np.uint8), seq=7 + i) for i in range(v.tracker.max_misses)]
    assert gone[-1].verdict is None and gone[-1].message == "no face in view"  # dropped after a few misses
