"""The largest inputs SiamGUI decodes, in one place, and OpenCV's own pixel limit set from them.

A crafted file can be small on disk and huge once decoded (a 6 KB JPEG 2000 that declares
24000x24000 pixels, a 196 KB WAV whose header says 1 Hz and so lasts 27 hours). Every decoder
is asked for the declared size first and refused above these bounds, before it allocates.

Imports nothing heavy: ``siamgui/__init__.py`` calls :func:`limit_opencv` before any module can
import cv2, because OpenCV reads ``OPENCV_IO_MAX_IMAGE_PIXELS`` once, when it is loaded.
"""

from __future__ import annotations

import os
import sys

# Images: a decoded pixel costs 3 bytes, and the face and glyph pipelines peak at about 8 and
# 15 bytes a pixel. 60 MP keeps full-resolution photos of 50 MP phone sensors (8160x6144).
MAX_PIXELS = 60_000_000

# Video standing in for the camera: each frame is decoded whole, a few times its BGR size at the
# peak (measured: a 96 MP MJPEG frame took 760 MB to read; opening the file to learn its size, 50 MB).
# 4096x4096 keeps 4K and DCI 4K, more than any webcam delivers.
MAX_VIDEO_PIXELS = 4096 * 4096

# Audio: one clip is decoded whole (about 4 bytes a second of samples at each step), so its
# length is bounded; 10 minutes of 48 kHz stereo is 230 MB as float32. Rates outside
# MIN_RATE..MAX_RATE are not audio anyone records (a header saying 1 Hz makes 196 KB last 27 h).
MAX_AUDIO_S = 600.0
MIN_RATE = 4000
MAX_RATE = 384000

OPENCV_ENV = "OPENCV_IO_MAX_IMAGE_PIXELS"
_state = {"opencv_limited": False}


def limit_opencv() -> None:
    """Make OpenCV refuse images over MAX_PIXELS in every format it decodes (JPEG 2000, AVIF,
    PAM, HDR, ...), not only those whose header SiamGUI reads itself. Effective only when cv2 is
    not imported yet; :func:`opencv_limited` says whether it was."""
    current = os.environ.get(OPENCV_ENV, "")
    if not (current.isdigit() and 0 < int(current) <= MAX_PIXELS):
        os.environ[OPENCV_ENV] = str(MAX_PIXELS)
    _state["opencv_limited"] = "cv2" not in sys.modules


def opencv_limited() -> bool:
    """True when OpenCV was loaded with the pixel limit in force (siamgui imported before cv2)."""
    return _state["opencv_limited"]
