"""Live's microphone side: the meter fold that runs on the microphone thread, and the scope.

``LevelFolder`` is plain Python handed to the device thread (it only calls ``emit``, a queued Qt
signal); ``LevelScope`` is the widget that draws the level meter and the last seconds of sound.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from siamgui.ui.analysis import waveform


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


class LevelScope(QWidget):
    """Level meter and a scrolling waveform of the last few seconds; voiced chunks in colour."""

    def __init__(self, seconds: float = 5.0, parent=None):
        super().__init__(parent)
        self.seconds = seconds
        self.columns: deque[tuple[float, float, bool]] = deque(maxlen=400)
        self.level_db = -90.0
        self.message = "Press Start to open the microphone"
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def add(self, chunk: np.ndarray, level_db: float, voice: bool) -> None:
        lo, hi = waveform(chunk, 1)[:, 0]
        self.columns.append((float(lo), float(hi), voice))
        self.level_db = level_db
        self.update()

    def clear(self) -> None:
        self.columns.clear()
        self.level_db = -90.0
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1f2933"))
        w, h = self.width(), self.height()
        meter_h = 18
        if not self.columns:
            p.setPen(QColor("#cbd2d9"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        mid = (h - meter_h - 8) / 2
        n = self.columns.maxlen or 1
        step = w / n
        for i, (lo, hi, voice) in enumerate(self.columns):
            x = w - (len(self.columns) - i) * step
            p.setPen(QPen(QColor("#48bb78") if voice else QColor("#718096"), max(1.0, step)))
            p.drawLine(QPointF(x, mid - hi * mid * 0.95), QPointF(x, mid - lo * mid * 0.95))
        frac = min(1.0, max(0.0, (self.level_db + 70) / 70))
        p.fillRect(QRectF(0, h - meter_h, w, meter_h), QColor("#323f4b"))
        colour = QColor("#48bb78") if self.level_db < -6 else QColor("#e53e3e")
        p.fillRect(QRectF(0, h - meter_h, w * frac, meter_h), colour)
        p.setPen(QColor("#f5f7fa"))
        p.drawText(QRectF(6, h - meter_h, w, meter_h), Qt.AlignmentFlag.AlignVCenter,
                   f"{self.level_db:.0f} dBFS" if self.level_db > -89 else "silence")
