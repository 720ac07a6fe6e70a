import numpy as np
import pytest

from conftest import SAMPLES
from siamgui.media import faces
from siamgui.media.errors import MediaError
from siamgui.media.images import load_image
from siamgui.kinds.preprocess import prepare


def test_shipped_portrait_has_one_face_where_expected():
    img = load_image(SAMPLES / "face" / "same_a.jpg")
    boxes = faces.default_detector().detect(img)
    assert boxes, "the Haar detector should find Grace Hopper's face"
    b = boxes[0]
    h, w = img.shape[:2]
    assert 0.15 * w < b.w < 0.7 * w and b.y < h / 2


def test_face_preprocessing_outlines_region_and_crops():
    p = prepare({"kind": "face", "size": 64}, SAMPLES / "face" / "diff_b.jpg")
    assert p.tensors.shape == (1, 1, 64, 64) and p.view.shape == (64, 64)
    assert p.region is not None and p.region.w == pytest.approx(p.region.h)


def test_no_face_is_a_clear_error():
    blank = np.full((240, 320, 3), 128, np.uint8)
    with pytest.raises(MediaError, match="no face"):
        prepare({"kind": "face"}, blank)


def test_crop_past_the_edges_is_padded():
    img = np.zeros((50, 50), np.uint8)
    out = faces.crop(img, faces.Box(-20, -20, 60, 60), 32)
    assert out.shape == (32, 32)


def test_tight_dataset_style_crop_is_detected():
    img = load_image(SAMPLES / "face" / "same_a.jpg")
    b = faces.default_detector().detect(img)[0]
    x, y, w, h = b.as_int()
    tight = img[y : y + h, x : x + w]
    small = __import__("cv2").resize(tight, (36, 48))
    assert faces.default_detector().detect(small), "tight 36x48 crops must still be found"
