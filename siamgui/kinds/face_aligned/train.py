"""The face_aligned kind's training source: MTCNN detections with landmarks (cached), chips from
jittered landmarks.

Imported only by training (``kinds.source('face_aligned')``); the app never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from siamgui import kinds
from siamgui.kinds.training import Source, cached_detections
from siamgui.media import faces
from siamgui.media.errors import MediaError


# --- aligned faces: jitter the five landmarks (as a detector would), then light / flip / grey on the chip
def jitter_landmarks(landmarks: np.ndarray, chip_scale: float, rng: np.random.Generator, rot: float = 8.0,
                     scale: float = 0.05, shift_px: float = 4.0, point_noise: float = 0.015) -> np.ndarray:
    """The landmarks moved by a random similarity about their centre (rotation up to ``rot``
    degrees, scale up to ``scale``, shift up to ``shift_px`` chip pixels; ``chip_scale`` is chip
    pixels per image pixel) plus independent noise of ``point_noise`` x the eye distance on each
    point. Aligning on them gives the chip rotated, scaled and shifted by as much."""
    lm = np.asarray(landmarks, np.float64)
    c = lm.mean(0)
    a = np.deg2rad(rng.uniform(-rot, rot))
    s = float(np.exp(rng.uniform(-scale, scale)))
    r = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    t = rng.uniform(-shift_px, shift_px, size=2) / max(chip_scale, 1e-6)
    eyes = float(np.hypot(*(lm[1] - lm[0])))
    return (lm - c) @ r.T + c + t + rng.normal(0.0, point_noise * eyes, size=lm.shape)


def chip_photometric(chip: np.ndarray, rng: np.random.Generator, grey_p: float = 0.2) -> np.ndarray:
    """Horizontal flip, gamma, contrast and brightness, side light, occasional greyscale, blur and
    low resolution on an RGB uint8 chip (values stay 0..255, as the encoder expects)."""
    x = chip.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        x = x[:, ::-1]
    if rng.random() < grey_p:
        g = x @ np.array([0.299, 0.587, 0.114], np.float32)
        x = np.repeat(g[:, :, None], 3, axis=2)
    x = np.clip(x, 0, 1) ** float(np.exp(rng.uniform(-0.3, 0.3)))
    if rng.random() < 0.3:
        side = x.shape[1]
        ramp = np.linspace(-1, 1, side, dtype=np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        g = np.cos(ang) * ramp[None, :] + np.sin(ang) * ramp[:, None]
        x = x * (1.0 + rng.uniform(0.1, 0.3) * g)[:, :, None]
    x = (x - 0.5) * rng.uniform(0.8, 1.2) + 0.5 + rng.uniform(-0.08, 0.08)
    out = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.15:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.3, 1.0))
    if rng.random() < 0.15:  # small sources: the chip of a 30 px face is an upscaled blur
        side = out.shape[0]
        small = int(rng.integers(side // 4, side // 2))
        out = cv2.resize(cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA), (side, side),
                         interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(out)


class FaceAlignedSource(Source):
    """Faces found by the modality's own CNN detector (once per image, cached as JSON with the
    five landmarks) and aligned by the modality's own warp. Training chips are made from jittered
    landmarks (the similarity a detector's error would cause) with light, flip and greyscale on
    top; evaluation uses ``prepare_at`` unchanged, so validation sees exactly what the app feeds."""

    CACHE = "face-aligned-detections.json"

    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True):
        from siamgui.media.face_detect import Face

        self.modality = kinds.get(spec)
        self.spec = self.modality.spec
        def detect(img: np.ndarray) -> dict | None:
            found = self.modality.picture_detector().detect(img)  # as the app's prepare() finds it
            f = found[0] if found else None
            return None if f is None else {"box": [f.box.x, f.box.y, f.box.w, f.box.h], "score": float(f.score),
                                            "landmarks": np.asarray(f.landmarks, float).tolist()}

        cfile = cache / self.CACHE if cache is not None else None
        self.items, self.images, self.boxes = [], [], []
        for it, img, rec in cached_detections(items, cfile, detect, skipped, progress):
            face = Face(faces.Box(*rec["box"]), float(rec["score"]), np.asarray(rec["landmarks"], np.float64))
            try:
                self.modality.prepare_at(img, face)
            except MediaError:
                skipped.add("faces too small to judge", it.path.name)
                continue
            self.items.append(it)
            self.images.append(img)
            self.boxes.append(face)

    def train_sample(self, i, rng, variant: int = 0):
        img, face = self.images[i], self.boxes[i]
        size, padding = int(self.spec["size"]), float(self.spec["padding"])
        from siamgui.media import align

        m = align.chip_matrix(face.landmarks, size, padding)
        chip_scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
        chip, _ = self.modality.chip(img, jitter_landmarks(face.landmarks, chip_scale, rng))
        return self.modality.tensor(chip_photometric(chip, rng))[0]

    def eval_inputs(self, indices, rng):
        out = [self.modality.prepare_at(self.images[i], self.boxes[i]).tensors for i in indices]
        return out, [self.items[i].label for i in indices]


SOURCE = FaceAlignedSource
