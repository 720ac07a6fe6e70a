"""Which face detector a face_aligned model uses: a setting, by name.

``mtcnn`` searches a frame over an image pyramid (about 20 ms for 640x480 here) and finds small,
distant faces; ``blazeface`` looks once at the frame scaled to 128x128 (a few ms), takes its
landmarks from MTCNN's O-net on each box, and leaves the frames where it finds nothing to the
MTCNN search. ``blazeface-keypoints`` aligns on BlazeFace's own keypoints instead (no O-net);
``blazeface-full`` is MediaPipe's full-range model (192x192, faces up to about 5 m).

The name comes from ``$SIAMGUI_FACE_DETECTOR`` when set, else from the model card's
``preprocess.detector``, else :data:`DEFAULT`. Recall on the shared face sets and the alignment
comparison behind the default are in ``models/detectors/README.md``.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from siamgui.media.errors import MediaError

ENV = "SIAMGUI_FACE_DETECTOR"
DEFAULT = "blazeface"
# name -> BlazeFaceDetector arguments (None: MTCNN itself)
DETECTORS: dict[str, dict[str, Any] | None] = {
    "mtcnn": None,
    "blazeface": {"variant": "short_range", "landmarks": "onet"},
    "blazeface-keypoints": {"variant": "short_range", "landmarks": "keypoints"},
    "blazeface-full": {"variant": "full_range", "landmarks": "onet"},
}


def chosen(spec: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> str:
    """The detector's name: the environment's, else the card's ``detector``, else the default."""
    env = os.environ if env is None else env
    name = (env.get(ENV) or (spec or {}).get("detector") or DEFAULT).strip().lower()
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
