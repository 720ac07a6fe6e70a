"""Faces found by a CNN detector with five landmarks and aligned onto a fixed template.

The MTCNN detector (``media/face_detect.py``, run by onnxruntime on the encoder's own providers)
gives a box and five landmarks; a similarity transform puts the eyes, nose and mouth where the
template says (``media/align.py``), and the aligned colour chip is exactly what the encoder sees
and what the app shows as "the model's input". dlib's face ResNet, imported by
``siamgui-train import dlib-face``, was trained on chips made this way.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Sequence

import cv2
import numpy as np

from siamgui.kinds import register
from siamgui.kinds.base import Modality, Prepared, Source
from siamgui.kinds.limits import SIZE, Limit
from siamgui.media import align, face_detectors
from siamgui.media.errors import MediaError
from siamgui.media.face_detect import CnnFaceDetector, Face

_DETECTORS: dict[tuple[str, ...], CnnFaceDetector] = {}
_LOCK = threading.Lock()


def shared_detector(providers: Sequence[str]) -> CnnFaceDetector:
    """One detector per set of execution providers (its sessions are loaded once, on first use).

    Its nets run on one thread: O-net on a BlazeFace box, every frame a face is searched for, takes
    0.43 ms so against 0.50 ms on two (a small net's work handed to a sleeping second core costs
    more than it saves), while MTCNN's whole search of a 640x480 frame takes 13.3 against 12.8 ms;
    and the detector leaves the other core to the encoder's second thread and the window."""
    key = tuple(providers)
    with _LOCK:
        if key not in _DETECTORS:
            _DETECTORS[key] = CnnFaceDetector(providers=key, threads=1)
        return _DETECTORS[key]


_CHOSEN: dict[tuple, Any] = {}


def chosen_detector(providers: Sequence[str], name: str):
    """The detector called ``name`` (``media.face_detectors``), one per providers, over the shared MTCNN."""
    key = (tuple(providers), name)
    mtcnn = shared_detector(providers)
    with _LOCK:
        if key not in _CHOSEN:
            _CHOSEN[key] = face_detectors.make(name, tuple(providers), mtcnn)
        return _CHOSEN[key]


def is_profile(landmarks: np.ndarray | Sequence[Sequence[float]]) -> bool:
    """True when the nose is outside the span of the eyes: a head turned to the side, whose
    verdicts are unreliable (the encoder learned on faces seen from the front)."""
    le, re_, nose = landmarks[0], landmarks[1], landmarks[2]
    lo, hi = min(le[0], re_[0]), max(le[0], re_[0])
    span = max(hi - lo, 1e-6)
    return bool(nose[0] < lo + 0.08 * span or nose[0] > hi - 0.08 * span)


@register
class AlignedFaceModality(Modality):
    """``{"kind": "face_aligned", "size": 150, "padding": 0.25}``: the largest face, aligned by its
    five landmarks, as an RGB chip of ``size`` pixels; values 0..255 (the encoder normalises)."""

    kind = "face_aligned"
    defaults: dict[str, Any] = {"size": 150, "padding": 0.25, "channels": 3, "input": "rgb_0_255",
                                "min_eye_px": 6.0}
    limits = {"size": SIZE, "padding": Limit(0.0, 2.0), "channels": Limit(choices=(3,)),
              "input": Limit(choices=("rgb_0_255",)), "min_eye_px": Limit(0.0, 1000.0),
              "detector": Limit(choices=tuple(face_detectors.DETECTORS))}  # optional: not in defaults
    live_source = "camera"
    sample_folder = "face"
    scope = "face"  # people enrolled under a cropped-face model are re-embedded, not hidden
    subjects = ("the same person", "different people")
    tracks_faces = True

    def __init__(self, spec: dict[str, Any], providers: Sequence[str] = ("CPUExecutionProvider",)):
        super().__init__(spec)
        self.providers = tuple(providers)

    def input_shape(self) -> tuple[int, int, int]:
        size = int(self.spec["size"])
        return (3, size, size)

    def detector(self) -> CnnFaceDetector:
        """The face detector for video frames (shared, on the encoder's execution providers): the one
        named by $SIAMGUI_FACE_DETECTOR or the card's ``detector``, else BlazeFace (face_detectors)."""
        return chosen_detector(self.providers, face_detectors.chosen(self.spec, role="frames"))

    def picture_detector(self) -> CnnFaceDetector:
        """The face detector for pictures embedded once (files, snapshots, training): as
        :meth:`detector`, but MTCNN unless something names another (face_detectors)."""
        return chosen_detector(self.providers, face_detectors.chosen(self.spec, role="pictures"))

    def prepare(self, source: Source) -> Prepared:
        img = self.image_of(source)
        found = self.picture_detector().detect(img)
        if not found:
            raise MediaError("no face found in the image")
        prepared = self.prepare_at(img, found[0])
        prepared.info["faces"] = len(found)
        if len(found) > 1:
            prepared.info["note"] = f"{len(found)} faces found: the largest is used"
        return prepared

    def prepare_at(self, frame: np.ndarray, box: Face) -> Prepared:  # type: ignore[override]
        """The aligned chip of one detected face (a ``Face`` with landmarks)."""
        lm = np.asarray(box.landmarks, np.float64)
        points = lm.tolist()  # five points: plain floats (a frame's worth of numpy calls add up)
        eyes = math.hypot(points[1][0] - points[0][0], points[1][1] - points[0][1])
        if eyes < float(self.spec["min_eye_px"]):
            raise MediaError(f"the face is too small to judge: its eyes are {eyes:.0f} px apart, "
                             f"at least {float(self.spec['min_eye_px']):.0f} px are needed")
        chip, matrix = self.chip(frame, lm)
        info: dict[str, Any] = {"eye_px": eyes, "score": float(box.score)}
        if is_profile(points):
            info["note"] = "the face is turned to the side: verdicts on profiles are less reliable"
        return Prepared(self.tensor(chip), region=box.box, view=chip, colour="rgb", info=info,
                        outline=align.chip_corners(matrix, int(self.spec["size"])))

    def chip(self, frame: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(aligned RGB uint8 chip, 2x3 image-to-chip matrix) for five landmarks; training jitters
        the landmarks and calls this too, so it learns on chips made exactly as the app makes them."""
        return align.warp(frame, np.asarray(landmarks, np.float64), int(self.spec["size"]),
                          float(self.spec["padding"]))

    @staticmethod
    def tensor(chip: np.ndarray) -> np.ndarray:
        """The encoder input (1, 3, H, W) float32, 0..255, of an RGB chip."""
        return cv2.dnn.blobFromImage(chip)  # HWC uint8 -> NCHW float32, values as they are
