"""Per-modality recipes: preprocessing spec, encoder size, batch shape, loss and split rule.

Each input kind declares its own in ``siamgui/kinds/<kind>/presets.py``; this module gathers them
(``PRESETS``, in the kinds' order) and hands out copies.
"""

from __future__ import annotations

from copy import deepcopy

from siamgui import kinds

PRESETS: dict[str, dict] = kinds.presets()


def get(name: str) -> dict:
    if name not in PRESETS:
        raise KeyError(name)
    return deepcopy(PRESETS[name])
