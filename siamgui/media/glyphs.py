"""Hand-drawn characters: ink on a plain background, normalised for position and size."""

from __future__ import annotations

import cv2
import numpy as np

from siamgui.media.errors import MediaError
from siamgui.media.images import to_grey


def ink_image(image: np.ndarray) -> np.ndarray:
    """Grey image as float ink in [0, 1] (1 = ink), whatever the paper colour."""
    grey = to_grey(image).astype(np.float32) / 255.0
    if float(np.median(grey)) > 0.5:  # dark ink on light paper (Omniglot, most scans)
        grey = 1.0 - grey
    return grey


def glyph_tensor(image: np.ndarray, size: int, margin: float = 0.1) -> np.ndarray:
    """The (size, size) float32 glyph: ink cropped to its bounding square, centred, resized.

    Cropping to the ink makes a character drawn small in a corner and large in the middle
    look alike, as they do to a person.
    """
    ink = ink_image(image)
    mask = ink > 0.35
    if not mask.any() or ink.max() - ink.min() < 0.2:
        raise MediaError("no drawing found: the image is blank")
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = int(max(y1 - y0, x1 - x0) * (1 + 2 * margin)) + 2
    cy, cx = (y0 + y1) // 2, (x0 + x1) // 2
    top, left = cy - side // 2, cx - side // 2
    pad = max(0, -top, -left, top + side - ink.shape[0], left + side - ink.shape[1])
    if pad:
        ink = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
        top, left = top + pad, left + pad
    patch = ink[top : top + side, left : left + side]
    return cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)


def reads_drawings(modality) -> bool:
    """Whether a model's input kind is a drawing: the app then offers a drawing pad. The kind
    declares it (``Modality.drawable``); kept for callers that ask here."""
    return bool(getattr(modality, "drawable", False))
