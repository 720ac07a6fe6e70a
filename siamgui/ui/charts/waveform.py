"""A clip's waveform: its min/max envelope over a time axis in seconds."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from siamgui.ui.charts.axes import ACCENT, GRID, MUTED, draw_x_labels_inside, smaller

WAVE = ACCENT


class WaveformView(QWidget):
    """Min/max envelope of a clip, with a time axis in seconds."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(60)
        self.wave: np.ndarray | None = None
        self.duration = 0.0

    def sizeHint(self) -> QSize:
        return QSize(420, 110)

    def set_wave(self, wave: np.ndarray | None, duration: float = 0.0) -> None:
        self.wave, self.duration = wave, duration
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.wave is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(4, 4, -4, -20)
        mid = r.center().y()
        p.setPen(QPen(GRID, 1))
        p.drawLine(QPointF(r.left(), mid), QPointF(r.right(), mid))
        lo, hi = self.wave
        n = len(hi)
        peak = max(float(np.max(np.abs(self.wave))), 1e-4)
        gain = (r.height() / 2) / max(peak, 0.05)  # quiet clips stay visibly quiet
        xs = r.left() + np.arange(n) * (r.width() / max(n - 1, 1))
        top = [QPointF(x, mid - v * gain) for x, v in zip(xs, hi)]
        bottom = [QPointF(x, mid - v * gain) for x, v in zip(xs[::-1], lo[::-1])]
        p.setPen(QPen(WAVE, 1))
        p.setBrush(QColor(79, 70, 229, 150))
        p.drawPolygon(QPolygonF(top + bottom))
        # time axis
        p.setFont(smaller(self.font(), 2, 7.0))
        if self.duration > 0:
            seconds = time_ticks(self.duration)

            def x_of(t: float) -> float:
                return r.left() + r.width() * t / self.duration

            p.setPen(MUTED)
            for t in seconds:
                p.drawLine(QPointF(x_of(t), r.bottom() + 2), QPointF(x_of(t), r.bottom() + 5))
            draw_x_labels_inside(p, seconds, x_of, r.bottom() + 6, r.right(), lambda t: f"{t:g} s")
        p.end()


def time_ticks(duration: float) -> list[float]:
    """0, one round step, two... up to the clip's end (in seconds)."""
    step, t, ticks = _nice_step(duration), 0.0, []
    while t <= duration + 1e-9:
        ticks.append(t)
        t += step
    return ticks


def _nice_step(duration: float, ticks: int = 6) -> float:
    raw = duration / ticks
    for s in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300):
        if s >= raw:
            return float(s)
    return 600.0
