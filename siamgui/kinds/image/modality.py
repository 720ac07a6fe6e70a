"""Any picture, resized whole: the kind for a user's own image encoder."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from siamgui.kinds import register
from siamgui.kinds.base import Modality, Prepared, Source
from siamgui.kinds.limits import MEAN, SIZE, STD, Limit
from siamgui.media import images
from siamgui.media.faces import Box


@register
class ImageModality(Modality):
    """``{"kind": "image", "size": 64, "channels": 3, "mean": 0.5, "std": 0.5}``: RGB (or grey)
    resized to ``size`` (an int or [H, W]), scaled to [0, 1] and normalised per channel."""

    kind = "image"
    defaults: dict[str, Any] = {"size": 64, "channels": 3, "mean": 0.5, "std": 0.5}
    limits = {"size": Limit(SIZE.lo, SIZE.hi, integer=True, pair=True), "channels": Limit(choices=(1, 3)),
              "mean": MEAN, "std": STD}

    @classmethod
    def relations(cls, spec: dict[str, Any]) -> str | None:
        for key in ("mean", "std"):
            if isinstance(spec[key], list) and len(spec[key]) not in (1, spec["channels"]):
                return f"{key} must have 1 or {spec['channels']} values (one per channel), got {spec[key]!r}"
        return None
    live_source = "camera"
    sample_folder = "image"

    def input_shape(self) -> tuple[int, int, int]:
        size = self.spec["size"]
        h, w = (size, size) if isinstance(size, int) else tuple(size)
        return (int(self.spec.get("channels", 3)), int(h), int(w))

    def prepare(self, source: Source) -> Prepared:
        img = self.image_of(source)
        c, h, w = self.input_shape()
        x = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        x = images.to_grey(x)[..., None] if c == 1 else cv2.cvtColor(images.to_bgr(x), cv2.COLOR_BGR2RGB)
        t = (x.astype(np.float32) / 255.0 - np.asarray(self.spec["mean"], np.float32)) / np.asarray(
            self.spec["std"], np.float32)
        H, W = img.shape[:2]
        return Prepared(np.transpose(t, (2, 0, 1))[None].astype(np.float32), region=Box(0, 0, W, H),
                        view=x.squeeze(), colour="rgb" if c == 3 else "grey")
