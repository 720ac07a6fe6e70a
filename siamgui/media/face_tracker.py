"""Keep a face from frame to frame, so detection does not eat the frame budget.

With a face in view, each frame is searched only near the last box and at sizes close to it
(``detect_near``, a small fraction of a full search); the whole frame is searched when there is
no face yet, when the local search misses, and every ``every``-th frame so a new or much bigger
face is not missed. The box (and the landmarks, for detectors that give them) is smoothed so the
crop the encoder sees does not jitter.

Works with any detector whose ``detect`` / ``detect_near`` return boxes (the Haar cascade) or
detections with a ``.box`` and ``.landmarks`` (the CNN detector).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from siamgui.media.faces import Box, default_detector


def box_of(detection: Any) -> Box:
    """The box of a detection (a Box itself, or an object carrying one)."""
    return detection if isinstance(detection, Box) else detection.box


def _blend(a: Box, b: Box, w: float) -> Box:
    return Box(w * a.x + (1 - w) * b.x, w * a.y + (1 - w) * b.y, w * a.w + (1 - w) * b.w, w * a.h + (1 - w) * b.h)


@dataclass
class FaceTracker:
    every: int = 15  # a full-frame search on one frame in this many while a face is tracked
    smoothing: float = 0.5  # weight of the new detection (1 = no smoothing)
    max_misses: int = 3  # frames in a row without a face before the face is dropped
    detector: Any = None  # FaceDetector (Haar) or CnnFaceDetector; default: the Haar cascade

    def __post_init__(self) -> None:
        self.face: Any = None  # the last (smoothed) detection
        self._frame = 0
        self._misses = 0
        self.full_searches = 0
        self.near_searches = 0

    @property
    def box(self) -> Box | None:
        return None if self.face is None else box_of(self.face)

    def reset(self) -> None:
        self.face, self._frame, self._misses = None, 0, 0

    def update(self, frame: np.ndarray) -> tuple[Any, bool]:
        """(the tracked detection or None, whether the whole frame was searched for it)."""
        self._frame += 1
        det = self.detector or default_detector()
        found, full = [], False
        if self.face is not None and self._frame % self.every:
            self.near_searches += 1
            found = det.detect_near(frame, self.box)
        if not found:
            self.full_searches += 1
            full = True
            found = det.detect(frame)
        if not found:
            self._misses += 1
            if self._misses >= self.max_misses:
                self.face = None
            return self.face, full
        self._misses = 0
        self.face = found[0] if self.face is None else self._smooth(found[0], self.face)
        return self.face, full

    def _smooth(self, new: Any, old: Any) -> Any:
        a = self.smoothing
        if isinstance(new, Box):
            return _blend(new, box_of(old), a)
        # a jump (another face, a fast move) is taken as is rather than averaged into nonsense
        ob, nb = box_of(old), box_of(new)
        if abs((nb.x + nb.w / 2) - (ob.x + ob.w / 2)) > 0.5 * ob.w or abs(nb.w - ob.w) > 0.5 * ob.w:
            return new
        lm = a * np.asarray(new.landmarks) + (1 - a) * np.asarray(old.landmarks)
        return replace(new, box=_blend(nb, ob, a), landmarks=lm)
