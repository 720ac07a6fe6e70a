"""The glyph kind's training source: drawings read once (cached), a small random affine on top.

Imported only by training (``kinds.source('glyph')``); the app never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from siamgui import kinds
from siamgui.kinds.training import Source, cache_key, progress_bar
from siamgui.media import images
from siamgui.media.errors import MediaError


# --- glyphs: a small random affine (rotation, scale, shear, shift) of the drawing
def glyph_affine(img: np.ndarray, rng: np.random.Generator, rot: float = 12.0, scale: float = 0.12,
                 shear: float = 0.2, shift: float = 0.06) -> np.ndarray:
    h, w = img.shape[:2]
    a = np.deg2rad(rng.uniform(-rot, rot))
    sx, sy = np.exp(rng.uniform(-scale, scale, size=2))
    sh = rng.uniform(-shear, shear)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    m2 = r @ np.array([[sx, sh], [0, sy]])
    c = np.array([w / 2, h / 2])
    t = c - m2 @ c + rng.uniform(-shift, shift, size=2) * np.array([w, h])
    m = np.hstack([m2, t[:, None]]).astype(np.float32)
    border = int(np.median(img))  # paper colour
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    if rng.random() < 0.3:  # thicker / thinner strokes
        k = np.ones((2, 2), np.uint8)
        out = cv2.erode(out, k) if border > 127 else cv2.dilate(out, k)
    return out


class GlyphSource(Source):
    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True):
        self.modality = kinds.get(spec)
        self.spec = self.modality.spec
        ok, self.images = [], []
        cached = None
        if cache is not None:
            f = cache / f"glyph-{cache_key(items, 'v1')}.npz"
            if f.is_file():
                z = np.load(f, allow_pickle=False)
                cached = (z["ok"], list(z["shapes"]), z["flat"])
        if cached is not None:
            okmask, shapes, flat = cached
            pos = 0
            for it, good, shp in zip(items, okmask, shapes):
                if good:
                    n = int(shp[0] * shp[1])
                    self.images.append(flat[pos : pos + n].reshape(int(shp[0]), int(shp[1])))
                    pos += n
                    ok.append(it)
                else:
                    skipped.add("unreadable or blank images", it.path.name)
        else:
            okmask, shapes = [], []
            for it in progress_bar(items, "reading glyphs", progress):
                try:
                    img = images.to_grey(images.load_image(it.path))
                    self.modality.tensor(img)
                except MediaError:
                    skipped.add("unreadable or blank images", it.path.name)
                    okmask.append(False)
                    shapes.append((0, 0))
                    continue
                ok.append(it)
                self.images.append(img)
                okmask.append(True)
                shapes.append(img.shape)
            if cache is not None and self.images:
                cache.mkdir(parents=True, exist_ok=True)
                np.savez(cache / f"glyph-{cache_key(items, 'v1')}.npz", ok=np.array(okmask), shapes=np.array(shapes),
                         flat=np.concatenate([m.ravel() for m in self.images]))
        self.items = ok

    def _tensor(self, img: np.ndarray) -> np.ndarray:
        return self.modality.tensor(img)

    def train_sample(self, i, rng, variant: int = 0):
        img = self.images[i] if not variant else np.ascontiguousarray(np.rot90(self.images[i], variant))
        for _ in range(3):
            try:
                return self._tensor(glyph_affine(img, rng))
            except MediaError:  # augmentation pushed the drawing off the page
                continue
        return self._tensor(img)

    def eval_inputs(self, indices, rng):
        return [self._tensor(self.images[i])[None] for i in indices], [self.items[i].label for i in indices]


SOURCE = GlyphSource
