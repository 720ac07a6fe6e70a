"""Keep every face from frame to frame, so detection does not eat the frame budget.

Each face in view is a :class:`Track` with an id that stays with that face while it is seen:
names and smoothing hang on the id, so they never jump from one face to another. With faces in
view, each frame is searched only near each track's last box and at sizes close to it
(``detect_near``, a small fraction of a full search); the whole frame is searched when there is
no face yet, when a local search misses, and every ``every``-th frame so a new face (someone
walking in) is not missed. A whole-frame search assigns its detections to the tracks they
overlap most; the rest become new tracks (up to ``max_faces``). A track is dropped after
``max_misses`` frames in a row without its face; a face that comes back gets a new track.
Boxes (and landmarks, for detectors that give them) are smoothed so crops do not jitter.

Works with any detector whose ``detect`` / ``detect_near`` return boxes (the Haar cascade) or
detections with a ``.box`` and ``.landmarks`` (the CNN detector).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from siamgui.media.faces import Box, default_detector, iou  # noqa: F401 - iou: this module's API too

MATCH_IOU = 0.3  # a detection continues a track when their boxes overlap at least this much
SAME_FACE_IOU = 0.6  # two tracks overlapping this much follow one face: the younger is dropped


def box_of(detection: Any) -> Box:
    """The box of a detection (a Box itself, or an object carrying one)."""
    return detection if isinstance(detection, Box) else detection.box


def _blend(a: Box, b: Box, w: float) -> Box:
    return Box(w * a.x + (1 - w) * b.x, w * a.y + (1 - w) * b.y, w * a.w + (1 - w) * b.w, w * a.h + (1 - w) * b.h)


@dataclass
class Track:
    """One face followed over frames: ``id`` is stable while the face stays in view."""

    id: int
    face: Any  # the last (smoothed) detection: a Box, or a detection with .box / .landmarks
    misses: int = 0  # frames in a row its face was not found (bridged until ``max_misses``)
    seen: int = 1  # frames it was found in

    @property
    def box(self) -> Box:
        return box_of(self.face)


@dataclass
class FaceTracker:
    every: int = 15  # a full-frame search on one frame in this many while faces are tracked
    smoothing: float = 0.5  # weight of the new detection (1 = no smoothing)
    max_misses: int = 3  # frames in a row without a face before its track is dropped
    detector: Any = None  # FaceDetector (Haar) or CnnFaceDetector; default: the Haar cascade
    max_faces: int = 1  # faces followed at once (the largest first); Live's Identify follows 8
    tracks: list[Track] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._frame = 0
        self._ids = itertools.count(1)
        self._primary: int | None = None
        self.full_searches = 0
        self.near_searches = 0

    # --- the one face a single-face caller (Verify) follows ----------------------------------------
    @property
    def primary(self) -> Track | None:
        """The track a single-face caller follows: the same face for as long as it stays in view,
        then the largest face in view."""
        if not self.tracks:
            self._primary = None
            return None
        for t in self.tracks:
            if t.id == self._primary:
                return t
        best = max(self.tracks, key=lambda t: t.box.area)
        self._primary = best.id
        return best

    def follow(self, track_id: int) -> bool:
        """Make ``track_id`` the followed face (a user chose it); False when no such face is in view."""
        if any(t.id == track_id for t in self.tracks):
            self._primary = track_id
            return True
        return False

    @property
    def face(self) -> Any:
        t = self.primary
        return None if t is None else t.face

    @property
    def box(self) -> Box | None:
        return None if self.face is None else box_of(self.face)

    def reset(self) -> None:
        self.tracks, self._frame, self._primary = [], 0, None

    def update(self, frame: np.ndarray) -> tuple[Any, bool]:
        """(the primary face's detection or None, whether the whole frame was searched)."""
        _, full = self.update_all(frame)
        return self.face, full

    # --- every face -------------------------------------------------------------------------------
    def update_all(self, frame: np.ndarray) -> tuple[list[Track], bool]:
        """(every track still alive, largest first; whether the whole frame was searched). A track
        whose face was missed this frame is kept (``misses`` > 0) until ``max_misses``."""
        self._frame += 1
        det = self.detector or default_detector()
        found_for: dict[int, Any] = {}
        full = not self.tracks or self._frame % self.every == 0
        if not full:
            for t in self.tracks:
                self.near_searches += 1
                near = det.detect_near(frame, t.box)
                best = max(near, key=lambda d: iou(box_of(d), t.box), default=None)
                if best is not None and iou(box_of(best), t.box) >= MATCH_IOU * 0.5:
                    found_for[t.id] = best
            full = len(found_for) < len(self.tracks)  # a face moved fast or left: look everywhere
        new: list[Any] = []
        if full:
            self.full_searches += 1
            search = getattr(det, "detect_every", det.detect) if self.max_faces > 1 else det.detect
            found_for, new = self._assign(list(search(frame)))  # several followed: a search that misses none
        kept = []
        for t in self.tracks:
            d = found_for.get(t.id)
            if d is None:
                t.misses += 1
                if t.misses < self.max_misses:
                    kept.append(t)
                continue
            t.face, t.misses, t.seen = self._smooth(d, t.face), 0, t.seen + 1
            kept.append(t)
        for d in new:
            if len(kept) >= self.max_faces:
                break
            kept.append(Track(next(self._ids), d))
        self.tracks = self._dedupe(kept)
        self.tracks.sort(key=lambda t: t.box.area, reverse=True)
        return list(self.tracks), full

    def _assign(self, found: list[Any]) -> tuple[dict[int, Any], list[Any]]:
        """Detections of a whole-frame search -> (track id -> its detection, unclaimed detections),
        greedily by overlap, the best-overlapping pair first."""
        pairs = sorted(((iou(box_of(d), t.box), i, t.id) for i, d in enumerate(found) for t in self.tracks),
                       reverse=True)
        taken: dict[int, Any] = {}
        used: set[int] = set()
        for overlap, i, tid in pairs:
            if overlap < MATCH_IOU:
                break
            if i in used or tid in taken:
                continue
            taken[tid] = found[i]
            used.add(i)
        return taken, [d for i, d in enumerate(found) if i not in used]

    @staticmethod
    def _dedupe(tracks: list[Track]) -> list[Track]:
        """Two tracks that ended on one face (after a crossing): the older keeps it."""
        out: list[Track] = []
        for t in sorted(tracks, key=lambda t: t.id):
            if all(iou(t.box, o.box) < SAME_FACE_IOU for o in out):
                out.append(t)
        return out

    def _smooth(self, new: Any, old: Any) -> Any:
        a = self.smoothing
        if isinstance(new, Box):
            return _blend(new, box_of(old), a)
        # a jump (a fast move) is taken as is rather than averaged into nonsense
        ob, nb = box_of(old), box_of(new)
        if abs((nb.x + nb.w / 2) - (ob.x + ob.w / 2)) > 0.5 * ob.w or abs(nb.w - ob.w) > 0.5 * ob.w:
            return new
        lm = a * np.asarray(new.landmarks) + (1 - a) * np.asarray(old.landmarks)
        return replace(new, box=_blend(nb, ob, a), landmarks=lm)
