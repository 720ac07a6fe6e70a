"""The face kind's training source: the app's Haar detections (cached), a jittered box and a
lightly changed crop.

Imported only by training (``kinds.source('face')``); the app never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from siamgui import kinds
from siamgui.kinds.training import Source, cached_detections
from siamgui.media import faces, images
from siamgui.media.faces import Box


# --- faces: jitter the detected box, then light / contrast / flip / small rotation on the grey crop
def jitter_box(box: Box, rng: np.random.Generator, shift: float = 0.06, scale: float = 0.08) -> Box:
    s = box.w * float(np.exp(rng.uniform(-scale, scale)))
    cx = box.x + box.w / 2 + rng.uniform(-shift, shift) * box.w
    cy = box.y + box.h / 2 + rng.uniform(-shift, shift) * box.h
    return Box(cx - s / 2, cy - s / 2, s, s)


def rotate_about(grey: np.ndarray, box: Box, degrees: float) -> np.ndarray:
    if abs(degrees) < 1e-3:
        return grey
    c = (box.x + box.w / 2, box.y + box.h / 2)
    m = cv2.getRotationMatrix2D(c, degrees, 1.0)
    return cv2.warpAffine(grey, m, (grey.shape[1], grey.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def face_crop_aug(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighting (gamma, contrast, side light), blur and horizontal flip of a grey uint8 crop."""
    x = crop.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        x = x[:, ::-1]
    x = np.clip(x, 0, 1) ** float(np.exp(rng.uniform(-0.5, 0.5)))
    if rng.random() < 0.5:  # light from one side: a gradient equalisation does not undo
        s = x.shape[1]
        ramp = np.linspace(-1, 1, s, dtype=np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        g = np.cos(ang) * ramp[None, :] + np.sin(ang) * ramp[:, None]
        x = x * (1.0 + rng.uniform(0.1, 0.5) * g)
    x = (x - 0.5) * rng.uniform(0.7, 1.3) + 0.5 + rng.uniform(-0.1, 0.1)
    out = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.2))
    if rng.random() < 0.3:  # low-resolution sources (small photos, far webcam faces)
        side = out.shape[0]
        small = int(rng.integers(max(12, side // 4), max(13, side * 3 // 4)))
        out = cv2.resize(cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA), (side, side),
                         interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.2:
        out = np.clip(out.astype(np.float32) + rng.normal(0, 6, out.shape), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(out)


class FaceSource(Source):
    """Detections are made once per image with the app's detector and cached (JSON)."""

    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True):
        self.modality = kinds.get(spec)
        self.spec = self.modality.spec
        det = faces.default_detector()

        def detect(img: np.ndarray) -> list[float] | None:
            found = det.detect(img)
            return [found[0].x, found[0].y, found[0].w, found[0].h] if found else None

        cfile = cache / "face-detections.json" if cache is not None else None
        self.items, self.images, self.boxes = [], [], []
        for it, img, rec in cached_detections(items, cfile, detect, skipped, progress):
            self.items.append(it)
            self.images.append(images.to_grey(img))
            self.boxes.append(faces.Box(*rec))

    def train_sample(self, i, rng, variant: int = 0):
        s = self.spec
        grey, box = self.images[i], self.boxes[i]
        grey = rotate_about(grey, box, rng.uniform(-10, 10))
        region = jitter_box(self.modality.region(box), rng)
        crop = face_crop_aug(faces.crop(grey, region, int(s["size"])), rng)
        return self.modality.tensor(crop)

    def eval_inputs(self, indices, rng):
        out = [self.modality.prepare_at(self.images[i], self.boxes[i]).tensors for i in indices]
        return out, [self.items[i].label for i in indices]


SOURCE = FaceSource
