"""Which face detector a face_aligned model uses: a setting, by name, for video frames and for pictures.

``mtcnn`` searches a frame over an image pyramid (about 20 ms for 640x480 here) and finds small,
distant faces; ``blazeface`` looks once at the frame scaled to 128x128 (a few ms), takes its
landmarks from MTCNN's O-net on each box, and leaves the frames where it finds nothing to the
MTCNN search. ``blazeface-keypoints`` aligns on BlazeFace's own keypoints instead (no O-net);
``blazeface-full`` is MediaPipe's full-range model (192x192, faces up to about 5 m).

Two roles: ``frames`` (Live, a new face searched for in every frame it is lost: speed counts;
default ``blazeface``) and ``pictures`` (a file or a snapshot embedded once: Compare, enrolment,
identification, calibration, training, the scoring behind the README's face figures; default
``mtcnn``, whose landmarks those figures were measured with: BlazeFace + O-net aligns about as
well on average but a few tenths of a point worse on three of the five sets). The name comes
from ``$SIAMGUI_FACE_DETECTOR`` when set, else from the model card's ``preprocess.detector``
(both for both roles), else the role's default. Recall and the alignment comparison are in
``models/detectors/README.md``.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from siamgui.media.errors import MediaError

ENV = "SIAMGUI_FACE_DETECTOR"
DEFAULTS = {"frames": "blazeface", "pictures": "mtcnn"}  # role -> detector when nothing names one
DEFAULT = DEFAULTS["frames"]
# name -> BlazeFaceDetector arguments (None: MTCNN itself)
DETECTORS: dict[str, dict[str, Any] | None] = {
    "mtcnn": None,
    "blazeface": {"variant": "short_range", "landmarks": "onet"},
    "blazeface-keypoints": {"variant": "short_range", "landmarks": "keypoints"},
    "blazeface-full": {"variant": "full_range", "landmarks": "onet"},
}


def chosen(spec: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None, role: str = "frames") -> str:
    """The detector's name for ``role`` ("frames" or "pictures"): the environment's, else the
    card's ``detector``, else the role's default."""
    env = os.environ if env is None else env
    name = (env.get(ENV) or (spec or {}).get("detector") or DEFAULTS[role]).strip().lower()
    if name not in DETECTORS:
        where = f"${ENV}" if env.get(ENV) else "the model card's preprocess.detector"
        raise MediaError(f"unknown face detector {name!r} in {where} (choose one of: {', '.join(DETECTORS)})")
    return name


def make(name: str, providers: Sequence[str], mtcnn):
    """The detector called ``name`` on ``providers``; ``mtcnn`` (a CnnFaceDetector) is MTCNN itself,
    and BlazeFace's O-net and fallback."""
    args = DETECTORS[name]
    if args is None:
        return mtcnn
    from siamgui.media.blazeface import BlazeFaceDetector

    return BlazeFaceDetector(providers=providers, fallback=mtcnn, **args)
