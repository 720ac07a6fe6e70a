"""Live's microphone chart: a scrolling scope of the last seconds (voiced chunks in colour) over a
level meter in dBFS."""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from siamgui.ui.analysis import waveform
from siamgui.ui.charts.axes import draw_empty

BACKGROUND = QColor("#1f2933")
TEXT = QColor("#cbd2d9")
VOICED = QColor("#48bb78")
UNVOICED = QColor("#718096")
TRACK = QColor("#323f4b")
LOUD = QColor("#e53e3e")  # the meter near full scale (above -6 dBFS)
METER_H = 18
FLOOR_DB = -70.0  # the meter's left end


def meter_fraction(level_db: float) -> float:
    """How much of the meter a level fills: FLOOR_DB (or less) empty, 0 dBFS full."""
    return min(1.0, max(0.0, (level_db - FLOOR_DB) / -FLOOR_DB))


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
        p.fillRect(self.rect(), BACKGROUND)
        if not self.columns:
            draw_empty(p, QRectF(self.rect()), self.message, TEXT)
        self._draw_scope(p, self.width(), (self.height() - METER_H - 8) / 2)
        self._draw_meter(p, QRectF(0, self.height() - METER_H, self.width(), METER_H))

    def _draw_scope(self, p: QPainter, w: float, mid: float) -> None:
        """One vertical min/max line per column, the newest at the right edge."""
        step = w / (self.columns.maxlen or 1)
        for i, (lo, hi, voice) in enumerate(self.columns):
            x = w - (len(self.columns) - i) * step
            p.setPen(QPen(VOICED if voice else UNVOICED, max(1.0, step)))
            p.drawLine(QPointF(x, mid - hi * mid * 0.95), QPointF(x, mid - lo * mid * 0.95))

    def _draw_meter(self, p: QPainter, bar: QRectF) -> None:
        p.fillRect(bar, TRACK)
        filled = QRectF(bar.left(), bar.top(), bar.width() * meter_fraction(self.level_db), bar.height())
        p.fillRect(filled, VOICED if self.level_db < -6 else LOUD)
        p.setPen(QColor("#f5f7fa"))
        p.drawText(bar.adjusted(6, 0, 6, 0), Qt.AlignmentFlag.AlignVCenter, self.meter_text())

    def meter_text(self) -> str:
        """The level in words; nothing before the microphone is open ("silence" there read as if it listened)."""
        if self.level_db > -89:
            return f"{self.level_db:.0f} dBFS"
        return "silence" if self.columns else ""
