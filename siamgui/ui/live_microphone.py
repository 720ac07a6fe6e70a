"""Live's microphone side: the meter fold that runs on the microphone thread, and the scope.

``LevelFolder`` is plain Python handed to the device thread (it only calls ``emit``, a queued Qt
signal); ``LevelScope`` (``charts/scope.py``) is the widget that draws the level meter and the
last seconds of sound.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from siamgui.ui.charts.scope import LevelScope

__all__ = ["LevelFolder", "LevelScope", "microphone_items"]


def microphone_items(mics) -> list[tuple[str, object]]:
    """(label, device index) of each microphone to offer, the system default first; ALSA's device
    named "default" is not called "(default)" a second time."""
    items = []
    for m in sorted(mics, key=lambda m: not m.default):
        said = "default" in m.name.lower()
        items.append((m.name + (" (default)" if m.default and not said else ""), m.index))
    return items


class LevelFolder:
    """Folds microphone chunks into one meter update per ``period`` seconds (a fast source must not
    flood the UI). Called on the microphone thread: it keeps its own state and hands each fold,
    ``(min/max samples, level dBFS, voiced)``, to ``emit`` (a Qt signal's emit, queued to the UI)."""

    def __init__(self, emit: Callable[[tuple], None], period: float = 0.04,
                 clock: Callable[[], float] = time.perf_counter):
        self.emit, self.period, self.clock = emit, period, clock
        self._last = float("-inf")  # the first chunk is shown at once
        self._reset()

    def _reset(self) -> None:
        self._lo, self._hi, self._level, self._voice = 1.0, -1.0, -200.0, False

    def __call__(self, chunk: np.ndarray, level: float, voice: bool) -> None:
        if chunk.size:
            self._lo, self._hi = min(self._lo, float(chunk.min())), max(self._hi, float(chunk.max()))
        self._level, self._voice = max(self._level, float(level)), self._voice or bool(voice)
        now = self.clock()
        if now - self._last >= self.period:
            self.emit((np.array([self._lo, self._hi], np.float32), self._level, self._voice))
            self._last = now
            self._reset()
