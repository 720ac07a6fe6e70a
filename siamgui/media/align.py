"""Face alignment: a similarity transform from five landmarks onto a fixed template.

The chips feed dlib's face ResNet, which was trained on ``dlib.get_face_chip(img, shape5,
size=150, padding=0.25)``. dlib places its own five points (eye corners, nose base) at fixed
positions on a unit face square and maps that square into the chip as
``(t + padding) / (1 + 2 * padding) * size``. ``TEMPLATE`` is where MTCNN's five landmarks
(eye centres, nose tip, mouth corners) land on that same unit square when a face is aligned the
dlib way, measured on real faces (``python -m siamgui.train.face_template``; figures in
``models/detectors/README.md``), so a chip made here from MTCNN landmarks matches dlib's chip
of the same face, at any size and padding.
"""

from __future__ import annotations

import cv2
import numpy as np

# MTCNN's landmarks (left eye, right eye, nose, left mouth, right mouth, as seen in the image) on
# dlib's unit face square: the mean over faces of each landmark mapped into dlib's chip.
TEMPLATE = np.array([
    [0.2269, 0.2169],
    [0.7687, 0.2111],
    [0.5025, 0.5129],
    [0.2793, 0.7994],
    [0.7311, 0.7961],
], np.float64)

CHIP_SIZE = 150  # dlib's face ResNet input
CHIP_PADDING = 0.25


def template_points(size: int = CHIP_SIZE, padding: float = CHIP_PADDING, template: np.ndarray = TEMPLATE) -> np.ndarray:
    """The template in chip pixels for a chip of ``size`` with ``padding`` (dlib's formula)."""
    return (np.asarray(template, np.float64) + padding) / (1.0 + 2.0 * padding) * size


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, translation; never a reflection) that maps
    ``src`` points onto ``dst`` with the least squared error (Umeyama, 1991)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError("similarity needs two matching (N, 2) point sets, N >= 2")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    var_s = (s ** 2).sum() / len(src)
    if var_s <= 0:
        raise ValueError("the source points coincide")
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[1, 1] = -1.0
    rot = u @ e @ vt
    scale = float((sig * np.diag(e)).sum() / var_s)
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def invert(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 affine matrix (chip pixels back to image pixels)."""
    return cv2.invertAffineTransform(np.asarray(matrix, np.float64))


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points`` (N, 2) mapped by a 2x3 matrix."""
    pts = np.asarray(points, np.float64)
    return pts @ np.asarray(matrix, np.float64)[:, :2].T + np.asarray(matrix, np.float64)[:, 2]


def chip_matrix(landmarks: np.ndarray, size: int = CHIP_SIZE, padding: float = CHIP_PADDING,
                template: np.ndarray = TEMPLATE) -> np.ndarray:
    """The 2x3 matrix taking image pixels to chip pixels for a face with these five landmarks.

    Chip pixel ``c`` covers [c, c + 1) of the template's square, as in dlib's chips (measured:
    without the half-pixel shift our chips differ from dlib's by 2.3 grey levels, with it 0.7)."""
    m = similarity(np.asarray(landmarks, np.float64).reshape(-1, 2), template_points(size, padding, template))
    m[:, 2] -= 0.5
    return m


def chip_corners(matrix: np.ndarray, size: int = CHIP_SIZE) -> np.ndarray:
    """The chip's four corners in the original image (4, 2), to draw the region it was cut from."""
    return apply(invert(matrix), np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float64) - 0.5)


def warp(image: np.ndarray, landmarks: np.ndarray, size: int = CHIP_SIZE, padding: float = CHIP_PADDING,
         template: np.ndarray = TEMPLATE) -> tuple[np.ndarray, np.ndarray]:
    """(the aligned face chip, size x size RGB uint8; the 2x3 image-to-chip matrix).

    ``image`` is BGR (as the app decodes files and frames) or grey. Outside the image the chip is
    black, as in dlib's chips. A face much larger than the chip is halved first (as dlib's
    pyramid does) so the bilinear sampling does not alias."""
    matrix = chip_matrix(landmarks, size, padding, template)
    if image.ndim == 2:
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    sample = matrix.copy()
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))  # chip pixels per image pixel
    while scale < 0.5 and min(rgb.shape[:2]) >= 4:
        rgb = cv2.pyrDown(rgb)
        sample[:, :2] *= 2.0  # a pyrDown pixel x stands for image pixel 2x
        scale *= 2.0
    chip = cv2.warpAffine(rgb, sample, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(0, 0, 0))
    return chip, matrix
