"""Loading still images from disk, robustly (unicode paths, PGM, truncated files, huge images)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from siamgui.media.errors import MediaError, require_file
from siamgui.media.image_header import image_size, png_complete
from siamgui.media.limits import MAX_PIXELS, opencv_limited

if not os.environ.get("OPENCV_LOG_LEVEL") and not os.environ.get("SIAMGUI_DEBUG"):
    # OpenCV's "[ WARN ] PNG input buffer is incomplete" is not for users: every failure to
    # decode ends in one sentence of SiamGUI's own (SIAMGUI_DEBUG=1 keeps OpenCV's lines)
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pbm", ".bmp", ".tif", ".tiff", ".webp")


def is_image_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def load_image(path: str | Path) -> np.ndarray:
    """Read an image as BGR uint8 (H, W, 3). Grey files are expanded to three channels.

    Reads bytes then decodes, so paths with non-ASCII characters work on every platform. Images over
    MAX_PIXELS are refused from their header size, before anything is decoded; a format whose
    header SiamGUI cannot read is left to OpenCV's own limit (media/limits.py), or refused when
    OpenCV was loaded without it.
    """
    p = require_file(path)
    with open(p, "rb") as f:
        size = image_size(f)
        check_size(p.name, size)
        f.seek(0)
        raw = f.read()
    data = np.frombuffer(raw, dtype=np.uint8)
    if data.size == 0:
        raise MediaError(f"{p.name}: the file is empty")
    if size is None and not opencv_limited():
        raise MediaError(f"{p.name}: not a readable image (a format whose size SiamGUI cannot check; "
                         "use PNG, JPEG, BMP, TIFF or WebP)")
    if raw.startswith(b"\x89PNG\r\n\x1a\n") and not png_complete(raw):
        raise MediaError(f"{p.name}: not a readable image (the PNG is truncated)")
    try:
        img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:  # OpenCV's own pixel limit (a format whose header is not read here)
        if "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
            raise MediaError(f"{p.name}: the image is larger than {MAX_PIXELS / 1e6:.0f} megapixels; images up to "
                             f"{MAX_PIXELS / 1e6:.0f} megapixels can be used (scale it down first)") from None
        raise MediaError(f"{p.name}: not a readable image (corrupt, truncated or unsupported format)") from None
    if img is None or img.size == 0:
        raise MediaError(f"{p.name}: not a readable image (corrupt, truncated or unsupported format)")
    return to_bgr(img)


def encode_png(img: np.ndarray) -> bytes:
    """An image (BGR or grey uint8, as load_image gives) as PNG bytes: lossless, for storing a
    sample (a live camera frame enrolled in the gallery) exactly as it was seen."""
    ok, data = cv2.imencode(".png", np.ascontiguousarray(img))
    if not ok:
        raise MediaError(f"could not encode a {img.shape} {img.dtype} image as PNG")
    return data.tobytes()


def check_size(name: str, size: tuple[int, int] | None) -> None:
    """MediaError when a header says the image has more than MAX_PIXELS pixels."""
    if size is None:
        return
    width, height = size
    if width * height > MAX_PIXELS:
        raise MediaError(f"{name}: {width}x{height} is {width * height / 1e6:.0f} megapixels; images up to "
                         f"{MAX_PIXELS / 1e6:.0f} megapixels can be used (scale it down first)")


def to_bgr(img: np.ndarray) -> np.ndarray:
    """Normalise any decoded image (grey, BGRA, 16-bit) to BGR uint8."""
    if img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    return img


def to_grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
