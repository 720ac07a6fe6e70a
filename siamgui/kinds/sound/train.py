"""The sound kind's training source: the speech source, one sample per clip.

Imported only by training (``kinds.source('sound')``); the app never loads it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from siamgui.kinds.logmel.train import AudioSource


class SoundSource(AudioSource):
    """One sample per clip (not per class): for a few kinds of sound (cat, dog) the split is by
    clip, so validation pairs come from clips never trained on. Segments of a clip are its samples."""

    def __init__(self, items: list[Any], spec: dict, skipped: Any, cache: Path | None, progress: bool = True):
        unique = [dataclasses.replace(it, label=f"{it.label}#{n}") for n, it in enumerate(items)]
        back = {u.label: it for u, it in zip(unique, items)}
        # evaluation: each clip's first 6 s through the modality's ``prepare``, one input per clip
        super().__init__(unique, spec, skipped, cache, progress, seg_s=(0.8, 2.0), eval_seg_s=6.0, eval_max=1)
        self.items = [back[it.label] for it in self.items]


SOURCE = SoundSource
