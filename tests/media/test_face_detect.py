import threading

import cv2
import numpy as np
import pytest

from conftest import SAMPLES
from siamgui.media import face_detect
from siamgui.media.errors import MediaError
from siamgui.media.face_detect import CnnFaceDetector, Face
from siamgui.media.faces import Box
from siamgui.media.images import load_image

SAMPLE_FILES = sorted((SAMPLES / "face").glob("*.jpg"))


@pytest.fixture(scope="module")
def det() -> CnnFaceDetector:
    return CnnFaceDetector(threads=1)


def _plausible(face: Face) -> None:
    le, re, nose, lm, rm = face.landmarks
    b = face.box
    assert le[0] < re[0] and lm[0] < rm[0], "left before right as seen in the image"
    assert max(le[1], re[1]) < nose[1] < min(lm[1], rm[1]), "eyes above nose above mouth"
    assert le[0] < nose[0] < re[0]
    for x, y in face.landmarks:
        assert b.x <= x <= b.x + b.w and b.y <= y <= b.y + b.h


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_finds_the_sample_face_with_plausible_landmarks(det, path):
    img = load_image(path)
    faces = det.detect(img)
    assert len(faces) == 1
    f = faces[0]
    h, w = img.shape[:2]
    assert f.score > 0.9 and f.landmarks.shape == (5, 2)
    assert 0.15 * w < f.box.w < 0.8 * w and f.box.y < h / 2
    _plausible(f)


def test_no_face_in_a_blank_or_noise_image(det):
    assert det.detect(np.full((240, 320, 3), 128, np.uint8)) == []
    noise = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 256, (240, 320), dtype=np.uint8), (0, 0), 2)
    assert det.detect(noise) == []
    assert det.detect(np.zeros((5, 5, 3), np.uint8)) == []


def test_grey_and_bgr_agree(det):
    img = load_image(SAMPLES / "face" / "same_a.jpg")
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    a, b = det.detect(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))[0], det.detect(grey)[0]
    assert np.allclose(a.landmarks, b.landmarks)


def test_largest_first_and_downscaled_big_frame(det):
    face = load_image(SAMPLES / "face" / "same_a.jpg")
    frame = np.full((1200, 1600, 3), 90, np.uint8)
    big = cv2.resize(face, None, fx=2.0, fy=2.0)
    small = cv2.resize(face, None, fx=1.0, fy=1.0)
    frame[50:50 + big.shape[0], 50:50 + big.shape[1]] = big
    frame[700:700 + small.shape[0], 1100:1100 + small.shape[1]] = small
    faces = det.detect(frame)
    assert len(faces) == 2
    assert faces[0].box.area > faces[1].box.area
    assert faces[0].box.x < 600 and faces[1].box.x > 1100
    for f in faces:
        _plausible(f)


def test_tight_crop_is_found(det):
    img = load_image(SAMPLES / "face" / "same_a.jpg")
    f = det.detect(img)[0]
    x, y, w, h = f.box.as_int()
    tight = cv2.resize(img[y:y + h, x:x + w], (30, 40), interpolation=cv2.INTER_AREA)  # Georgia Tech size
    found = det.detect(tight)
    assert found and found[0].box.w > 15
    _plausible(found[0])


def test_detect_near_follows_a_moved_face(det):
    face = load_image(SAMPLES / "face" / "same_a.jpg")
    frame = np.full((480, 640, 3), 100, np.uint8)
    frame[20:20 + face.shape[0], 100:100 + face.shape[1]] = face
    f = det.detect(frame)[0]
    moved = np.full_like(frame, 100)
    moved[32:32 + face.shape[0], 112:112 + face.shape[1]] = face  # 12 px right and down
    near = det.detect_near(moved, f.box)
    assert near
    assert near[0].box.x == pytest.approx(f.box.x + 12, abs=6)
    assert near[0].box.y == pytest.approx(f.box.y + 12, abs=6)
    assert np.abs(near[0].landmarks - (f.landmarks + 12)).max() < 6
    _plausible(near[0])
    assert det.detect_near(np.full_like(frame, 100), f.box) == []
    assert det.detect_near(frame, Box(-100, -100, 20, 20)) == []


def test_detect_near_runs_nets_on_far_less_than_a_full_search(det, monkeypatch):
    face = load_image(SAMPLES / "face" / "same_a.jpg")
    frame = np.full((480, 640, 3), 100, np.uint8)
    frame[20:20 + face.shape[0], 100:100 + face.shape[1]] = face
    seen = []
    run = det._run
    monkeypatch.setattr(det, "_run", lambda name, x: seen.append(x.size) or run(name, x))
    f = det.detect(frame)[0]
    full, seen[:] = sum(seen), []
    det.detect_near(frame, f.box)
    assert sum(seen) < full / 3


def test_threads_share_one_detector():
    det = CnnFaceDetector(threads=1)
    img = load_image(SAMPLES / "face" / "same_b.jpg")
    out = [None] * 4

    def work(i):
        out[i] = det.detect(img)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(o and np.allclose(o[0].landmarks, out[0][0].landmarks) for o in out)


def test_missing_model_files_are_a_clear_error(tmp_path):
    with pytest.raises(MediaError, match="pnet.onnx is missing"):
        CnnFaceDetector(model_dir=tmp_path).detect(np.zeros((100, 100, 3), np.uint8))


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.95], [50, 50, 60, 60, 0.5]], np.float32)
    assert face_detect._nms(boxes, 0.5).tolist() == [1, 2]
    inner = np.array([[0, 0, 10, 10, 0.9], [2, 2, 6, 6, 0.8]], np.float32)
    assert face_detect._nms(inner, 0.5).tolist() == [0, 1]  # IoU 0.16
    assert face_detect._nms(inner, 0.5, union=False).tolist() == [0]  # inside the bigger one


@pytest.mark.data
def test_orl_faces_found_with_landmarks(det, data_dir):
    files = sorted((data_dir / "faces" / "orl").glob("s*/1.pgm"))[:8]
    if not files:
        pytest.skip("no ORL pictures in the shared data")
    for p in files:
        faces = det.detect(load_image(p))
        assert faces, p
        _plausible(faces[0])


def test_media_finds_the_detector_weights_without_asking_core():
    """media is the ground floor: its locator gives the same folder core's registry searches."""
    import ast
    from pathlib import Path

    from siamgui.core import registry
    from siamgui.media import face_detect, locations

    assert face_detect.detectors_dir() == locations.detectors_dir() == registry.shipped_dir() / "detectors"
    tree = ast.parse(Path(face_detect.__file__).read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [m for m in imported if m.startswith("siamgui.core")]


def test_net_crops_are_cut_in_place_inside_and_zero_filled_outside():
    """R- and O-net's inputs: each box's pixels (zeros past the edges) resized and scaled as the nets
    were trained, (x - 127.5) / 128 in RGB, whether the frame is BGR or already RGB."""
    from siamgui.media.face_detect import _crops

    rng = np.random.default_rng(8)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10, 20, 70, 80, 1], [-15, -5, 40, 50, 1], [130, 90, 190, 150, 1], [40.4, 30.6, 41, 31, 1]],
                     np.float32)
    for bgr in (True, False):
        got = _crops(frame, boxes, 48, bgr)
        assert got.shape == (4, 3, 48, 48) and got.dtype == np.float32
        for k, b in enumerate(boxes):
            xa, ya = int(round(b[0])), int(round(b[1]))
            xb, yb = max(int(round(b[2])), xa + 1), max(int(round(b[3])), ya + 1)
            canvas = np.zeros((yb - ya, xb - xa, 3), np.uint8)
            for y in range(ya, yb):
                for x in range(xa, xb):
                    if 0 <= y < 120 and 0 <= x < 160:
                        canvas[y - ya, x - xa] = frame[y, x]
            small = cv2.resize(canvas, (48, 48), interpolation=cv2.INTER_AREA if xb - xa > 48 else cv2.INTER_LINEAR)
            rgb = small[..., ::-1] if bgr else small
            want = ((rgb.astype(np.float32) - 127.5) * 0.0078125).transpose(2, 0, 1)
            assert np.array_equal(got[k], want)
