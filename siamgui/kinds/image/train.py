"""The image kind's training source: photos decoded once; turned, mirrored, scaled, shifted,
brightened; hue-turned copies as new classes.

Imported only by training (``kinds.source('image')``); the app never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from siamgui import kinds
from siamgui.kinds.training import Source, progress_bar
from siamgui.media import images
from siamgui.media.errors import MediaError


# --- photos of things: a class made from another by turning its hue
def turn_hue(bgr: np.ndarray, degrees: float) -> np.ndarray:
    """The BGR uint8 picture with every hue turned by ``degrees`` (saturation and value kept)."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int32) + int(round(degrees / 2.0))) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


class PhotoSource(Source):
    """Colour photos of things (the ``image`` kind): decoded once; training turns, mirrors, scales
    and shifts the photo and changes its brightness, then runs the modality's own ``prepare``.

    Preset options: ``augment`` = {"rotate": degrees either way, "scale": [low, high]} (a product
    photo may show its subject at any angle), and ``hue_classes``: the class with its hue turned
    by each of these degrees is a new class (a red variety turned 60 degrees is a plausible orange
    one), which multiplies the few kinds a photo set has without teaching the encoder to ignore
    colour.
    """

    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True):
        self.modality = kinds.get(spec)
        self.spec = self.modality.spec
        self.items, self.images = [], []
        self.hues: tuple[float, ...] = (0.0,)
        self.rotate, self.scale = 20.0, (0.85, 1.15)
        side = 2 * max(self.modality.input_shape()[1:])  # keep memory small: twice the input side is plenty
        for it in progress_bar(items, "reading photos", progress):
            try:
                img = images.to_bgr(images.load_image(it.path))
            except MediaError:
                skipped.add("unreadable images", it.path.name)
                continue
            h, w = img.shape[:2]
            if max(h, w) > side:
                f = side / max(h, w)
                img = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
            self.items.append(it)
            self.images.append(img)

    def variants(self, preset: dict) -> int:
        aug = preset.get("augment") or {}
        self.rotate = float(aug.get("rotate", self.rotate))
        self.scale = tuple(float(x) for x in aug.get("scale", self.scale))
        self.hues = (0.0, *[float(x) for x in preset.get("hue_classes") or ()])
        return len(self.hues)

    def train_sample(self, i, rng, variant: int = 0):
        img = self.images[i]
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-self.rotate, self.rotate)),
                                    float(rng.uniform(*self.scale)))
        m[:, 2] += rng.uniform(-0.05, 0.05, size=2) * (w, h)
        out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if rng.random() < 0.5:
            out = out[:, ::-1]
        if self.hues[variant]:
            out = turn_hue(out, self.hues[variant])
        # brightness only: a kind's colour is what tells it apart, so no random colour cast is added
        out = np.clip(out.astype(np.float32) * rng.uniform(0.92, 1.08), 0, 255).astype(np.uint8)
        return self.modality.prepare(np.ascontiguousarray(out)).tensors[0]

    def eval_inputs(self, indices, rng):
        return [self.modality.prepare(self.images[i]).tensors for i in indices], [self.items[i].label for i in indices]


SOURCE = PhotoSource
