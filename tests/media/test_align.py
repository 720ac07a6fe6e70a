import cv2
import numpy as np
import pytest

from conftest import SAMPLES
from siamgui.media import align
from siamgui.media.face_detect import CnnFaceDetector
from siamgui.media.images import load_image


def _similarity(angle_deg: float, scale: float, tx: float, ty: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    r = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([r, [[tx], [ty]]])


@pytest.mark.parametrize("angle,scale,tx,ty", [(0, 1, 0, 0), (17, 2.5, -30, 12), (-130, 0.4, 100, 7), (180, 1.3, 3, -9)])
def test_known_similarity_is_recovered_exactly(angle, scale, tx, ty):
    src = np.random.default_rng(1).uniform(0, 200, (5, 2))
    m = _similarity(angle, scale, tx, ty)
    assert np.allclose(align.similarity(src, align.apply(m, src)), m, atol=1e-9)


def test_no_reflection_even_for_mirrored_points():
    src = np.random.default_rng(2).uniform(0, 100, (5, 2))
    mirrored = src * [-1, 1]
    m = align.similarity(src, mirrored)
    assert np.linalg.det(m[:, :2]) > 0


def test_noisy_points_give_the_least_squares_fit():
    rng = np.random.default_rng(3)
    src = rng.uniform(0, 100, (50, 2))
    m = _similarity(10, 1.5, 5, 5)
    dst = align.apply(m, src) + rng.normal(0, 0.5, (50, 2))
    got = align.similarity(src, dst)
    assert np.allclose(got[:, :2], m[:, :2], atol=0.01) and np.allclose(got[:, 2], m[:, 2], atol=0.5)

    def err(mat):
        return ((align.apply(mat, src) - dst) ** 2).sum()

    assert err(got) <= err(m)
    for d in np.eye(6).reshape(6, 2, 3) * 1e-3:  # any nudge to a similarity's parameters costs more
        a, b = got[0, 0] + d[0, 0], got[1, 0] + d[1, 0]
        nudged = np.array([[a, -b, got[0, 2] + d[0, 2]], [b, a, got[1, 2] + d[1, 2]]])
        assert err(nudged) >= err(got)


def test_template_lands_where_dlibs_formula_puts_it():
    pts = align.template_points(150, 0.25)
    assert np.allclose(pts, (align.TEMPLATE + 0.25) / 1.5 * 150)
    assert pts[0, 0] < pts[2, 0] < pts[1, 0] and pts[0, 1] < pts[2, 1] < pts[3, 1]
    # landmarks already on the template give the identity (less dlib's half-pixel shift)
    m = align.chip_matrix(pts, 150, 0.25)
    assert np.allclose(m, [[1, 0, -0.5], [0, 1, -0.5]], atol=1e-9)


def test_warp_maps_landmarks_onto_the_template_and_back():
    img = load_image(SAMPLES / "face" / "same_a.jpg")
    face = CnnFaceDetector(threads=1).detect(img)[0]
    chip, m = align.warp(img, face.landmarks, 150, 0.25)
    assert chip.shape == (150, 150, 3) and chip.dtype == np.uint8
    in_chip = align.apply(m, face.landmarks)
    assert np.sqrt(((in_chip - (align.template_points(150, 0.25) - 0.5)) ** 2).sum(1).mean()) < 3
    back = align.apply(align.invert(m), in_chip)
    assert np.allclose(back, face.landmarks, atol=1e-6)
    corners = align.chip_corners(m, 150)
    assert corners.shape == (4, 2)
    # the chip region holds the face box's centre
    c = (face.box.x + face.box.w / 2, face.box.y + face.box.h / 2)
    assert cv2.pointPolygonTest(corners.astype(np.float32), c, False) > 0


def test_warp_is_rgb_and_samples_the_right_pixels():
    img = np.zeros((200, 200, 3), np.uint8)
    img[:, :, 0] = 255  # pure blue in BGR
    pts = align.template_points(100, 0.1) + 50
    chip, _ = align.warp(img, pts, 100, 0.1)
    assert chip[50, 50].tolist() == [0, 0, 255]


def test_big_face_is_halved_before_sampling():
    rng = np.random.default_rng(4)
    img = (rng.integers(0, 2, (1000, 1000)) * 255).astype(np.uint8)  # fine checker noise
    pts = align.template_points(1000, 0.0)  # the face fills the image; chip is 15x smaller
    chip, _ = align.warp(img, pts, 64, 0.0)
    assert chip.std() < 40  # averaged, not aliased (raw samples would have std ~127)


def test_the_closed_form_fit_is_umeyamas():
    """The complex-number fit equals Umeyama's SVD solution (with its reflection guard) on noisy,
    mirrored and nearly collinear point sets."""
    def umeyama(src, dst):
        mu_s, mu_d = src.mean(0), dst.mean(0)
        s, d = src - mu_s, dst - mu_d
        u, sig, vt = np.linalg.svd(d.T @ s / len(src))
        e = np.eye(2)
        if np.linalg.det(u) * np.linalg.det(vt) < 0:
            e[1, 1] = -1.0
        scale = (sig * np.diag(e)).sum() / ((s ** 2).sum() / len(src))
        m = np.zeros((2, 3))
        m[:, :2] = scale * (u @ e @ vt)
        m[:, 2] = mu_d - m[:, :2] @ mu_s
        return m

    rng = np.random.default_rng(5)
    for k in range(200):
        src = rng.uniform(-50, 250, (int(rng.integers(2, 8)), 2))
        dst = rng.uniform(-50, 250, src.shape) if k % 3 == 0 else \
            align.apply(_similarity(rng.uniform(-180, 180), rng.uniform(0.1, 5), *rng.uniform(-99, 99, 2)), src) \
            + rng.normal(0, 3, src.shape)
        if k % 5 == 0:
            dst = dst * [-1, 1]  # a mirror image: the best proper similarity, never a reflection
        assert np.allclose(align.similarity(src, dst), umeyama(src, dst), atol=1e-8)


@pytest.mark.parametrize("shape", [(480, 640, 3), (720, 1280, 3), (301, 207), (480, 640, 4)])
def test_a_chip_cut_from_the_faces_region_is_the_whole_images_chip(shape):
    """warp converts and halves only the region the chip samples; every pixel must be what the
    whole image, converted and halved, would give: faces small and large, tilted, at the edges
    and partly outside the picture."""
    def whole(image, landmarks, size, padding):
        matrix = align.chip_matrix(landmarks, size, padding)
        rgb = align._rgb(image)
        sample, scale = matrix.copy(), float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
        while scale < 0.5 and min(rgb.shape[:2]) >= 4:
            rgb, scale = cv2.pyrDown(rgb), scale * 2.0
            sample[:, :2] *= 2.0
        return cv2.warpAffine(rgb, sample, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=(0, 0, 0))

    rng = np.random.default_rng(6)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    h, w = shape[:2]
    for _ in range(150):
        eyes = rng.uniform(4, 0.7 * max(h, w))
        a = rng.uniform(-1.2, 1.2)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        lm = (align.TEMPLATE - 0.5) * eyes / 0.54 @ rot.T + rng.uniform([-0.3 * w, -0.3 * h], [1.3 * w, 1.3 * h])
        size, padding = int(rng.choice([150, 64])), float(rng.choice([0.25, 0.0]))
        chip, _ = align.warp(img, lm, size, padding)
        assert np.array_equal(chip, whole(img, lm, size, padding))
