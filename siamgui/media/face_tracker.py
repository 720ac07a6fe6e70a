"""Keep a face box between detections, so detection does not eat the frame budget.

Detect on every ``every``-th frame (or at once when the face was lost), and smooth the box so
the crop the encoder sees does not jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamgui.media.faces import Box, FaceDetector, default_detector


@dataclass
class FaceTracker:
    every: int = 3  # detect on one frame in this many while a face is tracked
    smoothing: float = 0.5  # weight of the new box (1 = no smoothing)
    max_misses: int = 3  # detections in a row without a face before the box is dropped
    detector: FaceDetector | None = None

    def __post_init__(self) -> None:
        self.box: Box | None = None
        self._frame = 0
        self._misses = 0

    def reset(self) -> None:
        self.box, self._frame, self._misses = None, 0, 0

    def update(self, frame: np.ndarray) -> tuple[Box | None, bool]:
        """(face box or None, whether a detection ran on this frame)."""
        self._frame += 1
        if self.box is not None and self._frame % self.every:
            return self.box, False
        faces = (self.detector or default_detector()).detect(frame)
        if not faces:
            self._misses += 1
            if self._misses >= self.max_misses:
                self.box = None
            return self.box, True
        self._misses = 0
        new = faces[0]
        if self.box is None:
            self.box = new
        else:
            a = self.smoothing
            b = self.box
            self.box = Box(a * new.x + (1 - a) * b.x, a * new.y + (1 - a) * b.y,
                           a * new.w + (1 - a) * b.w, a * new.h + (1 - a) * b.h)
        return self.box, True
