"""Face detection and the face crop an encoder sees.

Detection uses OpenCV's Haar cascade shipped inside the opencv-python-headless 4.x wheel (no
download). Small, tightly cropped photos are upscaled and given a replicated border first, so
the same detector finds faces in webcam frames and in dataset crops alike; large frames are
downscaled so detection stays a few milliseconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from siamgui.media.errors import MediaError
from siamgui.media.images import to_grey

DETECT_MIN_SIDE = 160  # small crops are upscaled to this before detection
DETECT_MAX_SIDE = 320  # large frames are downscaled to this before detection
NEAR_FACE_PX = 48  # a tracked face is searched for at about this size (see detect_near)
BORDER = 0.25  # replicated border, as a fraction of the longer side, for tight crops


@dataclass(frozen=True)
class Box:
    """An axis-aligned region in image pixels."""

    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h

    def square(self, margin: float = 0.0) -> "Box":
        """The square around this box's centre, grown by ``margin`` of its side on each side."""
        side = max(self.w, self.h) * (1.0 + 2.0 * margin)
        cx, cy = self.x + self.w / 2, self.y + self.h / 2
        return Box(cx - side / 2, cy - side / 2, side, side)

    def as_int(self) -> tuple[int, int, int, int]:
        return int(round(self.x)), int(round(self.y)), int(round(self.w)), int(round(self.h))


def cascade_path(name: str = "haarcascade_frontalface_default.xml") -> Path:
    path = Path(cv2.data.haarcascades) / name
    if not path.is_file():
        raise MediaError(f"face detector file {name} is missing from the OpenCV install")
    return path


class FaceDetector:
    """Finds faces; thread-safe (one cascade per thread, since CascadeClassifier is not)."""

    def __init__(self, scale_factor: float = 1.1, min_neighbors: int = 4, min_face: float = 0.2):
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_face = min_face
        self._local = threading.local()

    def _cascade(self) -> cv2.CascadeClassifier:
        casc = getattr(self._local, "cascade", None)
        if casc is None:
            casc = cv2.CascadeClassifier(str(cascade_path()))
            if casc.empty():
                raise MediaError("the OpenCV face detector could not be loaded")
            self._local.cascade = casc
        return casc

    def detect(self, image: np.ndarray) -> list[Box]:
        """All faces in a BGR or grey image, largest first, in the image's own pixels."""
        grey = to_grey(image)
        if min(grey.shape[:2]) < 8:
            return []
        work, scale, pad = search_canvas(grey, DETECT_MAX_SIDE)
        min_side = max(20, int(self.min_face * min(work.shape[:2]) * (0.5 if pad else 1.0)))
        return self._search(work, scale, min_side, pad=pad)

    def detect_near(self, image: np.ndarray, box: Box, grow: float = 0.5) -> list[Box]:
        """Faces near a known one (video): only the region around ``box``, at a scale where the
        face is ``NEAR_FACE_PX`` wide, and only sizes close to its own, so a frame costs a small
        fraction of a full search. Largest first, in the image's own pixels."""
        grey = to_grey(image)
        h, w = grey.shape[:2]
        roi = box.square(grow)
        x0, y0 = max(0, int(roi.x)), max(0, int(roi.y))
        x1, y1 = min(w, int(roi.x + roi.w + 1)), min(h, int(roi.y + roi.h + 1))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return []
        scale = NEAR_FACE_PX / max(box.w, box.h, 1.0)
        work = rescale(grey[y0:y1, x0:x1], scale)
        lo, hi = int(NEAR_FACE_PX / 1.5), int(NEAR_FACE_PX * 1.5)
        if min(work.shape[:2]) < lo:
            return []
        return self._search(work, scale, lo, hi, origin=(x0, y0))

    def _search(self, work: np.ndarray, scale: float, min_side: int, max_side: int = 0, pad: int = 0,
                origin: tuple[int, int] = (0, 0)) -> list[Box]:
        """The cascade on ``work`` (the image scaled by ``scale``, padded by ``pad``, cut at
        ``origin``); boxes back in the image's own pixels, largest first."""
        found = self._cascade().detectMultiScale(work, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                                                 minSize=(min_side, min_side), maxSize=(max_side, max_side))
        x0, y0 = origin
        boxes = [Box(x0 + (x - pad) / scale, y0 + (y - pad) / scale, bw / scale, bh / scale) for (x, y, bw, bh) in found]
        return sorted(boxes, key=lambda b: b.area, reverse=True)


def rescale(img: np.ndarray, scale: float) -> np.ndarray:
    """``img`` resized by ``scale`` (area averaging down, bilinear up)."""
    if scale == 1.0:
        return img
    h, w = img.shape[:2]
    interp = cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when apart, 1 when equal): how trackers and
    detectors tell one face from another."""
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def search_canvas(img: np.ndarray, max_side: int) -> tuple[np.ndarray, float, int]:
    """The picture a whole-frame face search runs on, for every detector: a small crop upscaled so
    its short side is ``DETECT_MIN_SIDE`` and given a replicated border (a tight face crop has no
    margin for the detector's windows), a large frame downscaled to ``max_side``. Returns
    (picture, scale, border in pixels); a face found at (x, y) there is at
    ((x - border) / scale, (y - border) / scale) in ``img``."""
    h, w = img.shape[:2]
    scale = 1.0
    if min(h, w) < DETECT_MIN_SIDE:
        scale = DETECT_MIN_SIDE / min(h, w)
    elif max(h, w) > max_side:
        scale = max_side / max(h, w)
    work = rescale(img, scale)
    pad = int(BORDER * max(work.shape[:2])) if scale > 1 else 0
    if pad:
        work = cv2.copyMakeBorder(work, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return work, scale, pad


_default_detector: FaceDetector | None = None


def default_detector() -> FaceDetector:
    global _default_detector
    if _default_detector is None:
        _default_detector = FaceDetector()
    return _default_detector


def crop(image: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Crop ``box`` (may extend past the edges: replicated) and resize to size x size grey."""
    grey = to_grey(image)
    x, y, w, h = box.as_int()
    w, h = max(w, 1), max(h, 1)
    H, W = grey.shape[:2]
    pad = max(0, -x, -y, x + w - W, y + h - H)
    if pad:
        grey = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x, y = x + pad, y + pad
    patch = grey[y : y + h, x : x + w]
    interp = cv2.INTER_AREA if w > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


def face_region(image: np.ndarray, margin: float, detector: FaceDetector | None = None) -> Box:
    """The square region fed to a face encoder: the largest detected face, grown by ``margin``."""
    faces = (detector or default_detector()).detect(image)
    if not faces:
        raise MediaError("no face found in the image")
    return faces[0].square(margin)
