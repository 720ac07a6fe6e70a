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

import functools
import math

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
    ``src`` points onto ``dst`` with the least squared error.

    In the plane this is Umeyama's (1991) fit in closed form: with the points as complex numbers
    about their means, the rotation and scale are one complex factor a = sum(d * conj(s)) / sum(|s|^2),
    which no reflection can come from. It runs on every frame a face is aligned in: right after the
    encoder, with the caches cold, :func:`chip_matrix` took 0.23 ms through an SVD and takes 0.04 ms
    this way, the sums in plain Python."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if src.ndim != 2 or dst.ndim != 2 or src.shape[1:] != (2,) or dst.shape[1:] != (2,):
        raise ValueError("similarity needs two matching (N, 2) point sets, N >= 2")
    return np.array(_fit(src.tolist(), dst.tolist()))


def _fit(s: list, d: list) -> list[list[float]]:
    """:func:`similarity` on lists of (x, y): a handful of points, so plain floats, which beat numpy's
    per-call cost (each call about 5 us on a frame, right after the encoder has had the caches)."""
    if len(s) != len(d) or len(s) < 2:
        raise ValueError("similarity needs two matching (N, 2) point sets, N >= 2")
    n = len(s)
    msx, msy = sum(p[0] for p in s) / n, sum(p[1] for p in s) / n
    mdx, mdy = sum(p[0] for p in d) / n, sum(p[1] for p in d) / n
    var = re = im = 0.0
    for (sx, sy), (dx, dy) in zip(s, d):
        sx, sy, dx, dy = sx - msx, sy - msy, dx - mdx, dy - mdy
        var += sx * sx + sy * sy
        re += dx * sx + dy * sy
        im += dy * sx - dx * sy
    if var <= 0:
        raise ValueError("the source points coincide")
    re, im = re / var, im / var
    return [[re, -im, mdx - (re * msx - im * msy)], [im, re, mdy - (im * msx + re * msy)]]


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
    src = np.asarray(landmarks, np.float64).reshape(-1, 2)
    if template is TEMPLATE:  # every frame's alignment: the template's points are the same each time
        dst = _shipped_template_points(int(size), float(padding))
    else:
        dst = template_points(size, padding, template).tolist()
    (a, b, c), (d, e, f) = _fit(src.tolist(), dst)
    return np.array([[a, b, c - 0.5], [d, e, f - 0.5]])


@functools.lru_cache(maxsize=16)
def _shipped_template_points(size: int, padding: float) -> list:
    return template_points(size, padding, TEMPLATE).tolist()


def chip_corners(matrix: np.ndarray, size: int = CHIP_SIZE) -> np.ndarray:
    """The chip's four corners in the original image (4, 2), to draw the region it was cut from."""
    return np.array(_corners(matrix, size))


def _corners(matrix: np.ndarray, size: int) -> list[tuple[float, float]]:
    """The chip's corners (pixel edges: -0.5 and size - 0.5) mapped back into the image: the 2x2
    inverse written out in plain floats (it runs on every aligned frame)."""
    (a, b, c), (d, e, f) = np.asarray(matrix, np.float64).tolist()
    det = a * e - b * d
    if not det:
        raise ValueError("the chip matrix is singular")
    out = []
    for u, v in ((-0.5, -0.5), (size - 0.5, -0.5), (size - 0.5, size - 0.5), (-0.5, size - 0.5)):
        u, v = u - c, v - f
        out.append(((e * u - b * v) / det, (a * v - d * u) / det))
    return out


def warp(image: np.ndarray, landmarks: np.ndarray, size: int = CHIP_SIZE, padding: float = CHIP_PADDING,
         template: np.ndarray = TEMPLATE) -> tuple[np.ndarray, np.ndarray]:
    """(the aligned face chip, size x size RGB uint8; the 2x3 image-to-chip matrix).

    ``image`` is BGR (as the app decodes files and frames) or grey. Outside the image the chip is
    black, as in dlib's chips. A face much larger than the chip is halved first (as dlib's
    pyramid does) so the bilinear sampling does not alias.

    Only the part of the image the chip samples is halved (:func:`_region`), and only the chip is
    turned to RGB: a face in a 640x480 frame costs a tenth of the frame's pixels, and the chip is
    the same, bit for bit, as one cut from the whole converted and halved frame."""
    matrix = chip_matrix(landmarks, size, padding, template)
    (a, b, c), (d, e, f) = matrix.tolist()  # the small sums in plain floats, as in similarity()
    scale = math.sqrt(abs(a * e - b * d))  # chip pixels per image pixel
    levels = 0
    h, w = image.shape[:2]
    while scale < 0.5 and min(h, w) >= 4:
        h, w, scale, levels = (h + 1) // 2, (w + 1) // 2, scale * 2.0, levels + 1
    x0, y0, x1, y1 = _region(matrix, size, image.shape[:2], levels)
    part = image[y0:y1, x0:x1]
    for _ in range(levels):
        part = cv2.pyrDown(part)
    k = float(1 << levels)  # a pyrDown pixel x stands for image pixel 2x; crop pixel u for image pixel u + x0
    sample = np.array([[a * k, b * k, c + a * x0 + b * y0], [d * k, e * k, f + d * x0 + e * y0]])
    chip = cv2.warpAffine(part, sample, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(0, 0, 0, 0))
    return _rgb(chip), matrix  # each channel is sampled alike, so converting the chip is converting the image


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _region(matrix: np.ndarray, size: int, shape: tuple[int, ...], levels: int) -> tuple[int, int, int, int]:
    """The image rectangle (x0, y0, x1, y1) a chip needs: the chip's corners in the image, widened by
    what bilinear sampling and each pyrDown's 5x5 kernel read beyond them, its corner on the
    pyramid's grid (a multiple of ``2 ** levels``) so each halving lands on the same pixels as the
    whole image's would. Clipped to the image, whose edges then stay the edges the filters see."""
    h, w = int(shape[0]), int(shape[1])
    step = 1 << levels
    try:
        corners = _corners(matrix, size)
    except ValueError:  # a singular matrix samples one point of the image: no region to cut
        return 0, 0, w, h
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    margin = 4 * step + 2  # bilinear reads 1 px past a sample; each level's kernel 2 px of the level before
    x0 = min(max(math.floor(min(xs)) - margin, 0), w) // step * step
    y0 = min(max(math.floor(min(ys)) - margin, 0), h) // step * step
    x1 = min(max(math.ceil(max(xs)) + margin + 1, 0), w)
    y1 = min(max(math.ceil(max(ys)) + margin + 1, 0), h)
    if x1 - x0 < 4 * step or y1 - y0 < 4 * step:  # a chip that samples (almost) nothing of the image
        return 0, 0, w, h
    return x0, y0, x1, y1
