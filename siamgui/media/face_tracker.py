"""Keep a face box from frame to frame, so detection does not eat the frame budget.

With a face in view, each frame is searched only near the last box and at sizes close to it
(``FaceDetector.detect_near``, a small fraction of a full search); the whole frame is searched
when there is no face yet, when the local search misses, and every ``every``-th frame so a new
or much bigger face is not missed. The box is smoothed so the crop the encoder sees does not
jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamgui.media.faces import Box, FaceDetector, default_detector


@dataclass
class FaceTracker:
    every: int = 15  # a full-frame search on one frame in this many while a face is tracked
    smoothing: float = 0.5  # weight of the new box (1 = no smoothing)
    max_misses: int = 3  # frames in a row without a face before the box is dropped
    detector: FaceDetector | None = None

    def __post_init__(self) -> None:
        self.box: Box | None = None
        self._frame = 0
        self._misses = 0
        self.full_searches = 0
        self.near_searches = 0

    def reset(self) -> None:
        self.box, self._frame, self._misses = None, 0, 0

    def update(self, frame: np.ndarray) -> tuple[Box | None, bool]:
        """(face box or None, whether the whole frame was searched for it)."""
        self._frame += 1
        det = self.detector or default_detector()
        faces, full = [], False
        if self.box is not None and self._frame % self.every:
            self.near_searches += 1
            faces = det.detect_near(frame, self.box)
        if not faces:
            self.full_searches += 1
            full = True
            faces = det.detect(frame)
        if not faces:
            self._misses += 1
            if self._misses >= self.max_misses:
                self.box = None
            return self.box, full
        self._misses = 0
        new = faces[0]
        if self.box is None:
            self.box = new
        else:
            a = self.smoothing
            b = self.box
            self.box = Box(a * new.x + (1 - a) * b.x, a * new.y + (1 - a) * b.y,
                           a * new.w + (1 - a) * b.w, a * new.h + (1 - a) * b.h)
        return self.box, full
