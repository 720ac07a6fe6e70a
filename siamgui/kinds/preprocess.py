"""Card-level shortcuts over :mod:`siamgui.kinds` (kept for callers holding a spec).

The card's ``preprocess`` entry is a small JSON object, e.g. ``{"kind": "face", "size": 64}``;
the Modality registered for its ``kind`` does the work. These functions only look it up.
"""

from __future__ import annotations

from typing import Any

from siamgui import kinds as modalities
from siamgui.kinds import Prepared, Source  # noqa: F401  (re-exported)


def resolve(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with the kind's defaults filled in; MediaError for an unknown kind."""
    return modalities.get(spec).spec


def modality(spec: dict[str, Any]) -> str:
    """The medium a spec reads: ``"image"`` or ``"audio"``."""
    return modalities.get(spec).medium.name


def input_shape(spec: dict[str, Any]) -> tuple[int, int, int]:
    """(C, H, W) of one encoder input under this spec."""
    return modalities.get(spec).input_shape()


def prepare(spec: dict[str, Any], source: Source) -> Prepared:
    """Preprocess one input exactly as the spec says."""
    return modalities.get(spec).prepare(source)
