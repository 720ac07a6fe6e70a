"""Hand-drawn characters: ink cropped to its bounding square, centred and resized."""

from __future__ import annotations

from typing import Any

import numpy as np

from siamgui.kinds import register
from siamgui.kinds.base import Modality, Prepared, Source
from siamgui.kinds.limits import SIZE, Limit
from siamgui.media import glyphs


@register
class GlyphModality(Modality):
    """``{"kind": "glyph", "size": 32, "margin": 0.1}``: ink in [0, 1] whatever the paper colour."""

    kind = "glyph"
    defaults: dict[str, Any] = {"size": 32, "margin": 0.1}
    limits = {"size": SIZE, "margin": Limit(0.0, 0.9)}
    subjects = ("the same character", "different characters")
    drawable = True  # a drawing pad makes its inputs

    def input_shape(self) -> tuple[int, int, int]:
        size = int(self.spec["size"])
        return (1, size, size)

    def tensor(self, image: np.ndarray) -> np.ndarray:
        """An image of a drawing -> (1, S, S) float32 ink (MediaError when blank)."""
        return glyphs.glyph_tensor(image, int(self.spec["size"]), float(self.spec["margin"]))[None]

    def prepare(self, source: Source) -> Prepared:
        g = self.tensor(self.image_of(source))
        return Prepared(g[None], view=(g[0] * 255).astype(np.uint8), colour="grey")
