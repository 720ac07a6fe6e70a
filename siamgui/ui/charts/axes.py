"""What every hand-painted chart shares: the palette, the small font, tick values, tick labels,
axis titles, the empty-chart sentence and a legend row.

Written once so the charts (histogram, ROC, k-shot curve, confusion matrix, scope, training
curves) agree on how an axis looks and each chart module only says what it plots.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

ACCENT = QColor("#4f46e5")
INK = QColor("#111827")
MUTED = QColor("#6b7280")
GRID = QColor("#e5e7eb")
GOOD = QColor("#16a34a")  # same pairs, right answers
BAD = QColor("#dc2626")  # different pairs, wrong answers

RIGHT_MIDDLE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def pct(x: float) -> str:
    """A rate as a percentage, with two decimals below 10% (where a tenth of a percent matters)."""
    return f"{100 * x:.2f}%" if x < 0.1 else f"{100 * x:.1f}%"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values (steps of 1, 2, 2.5 or 5 times a power of ten) from lo to hi."""
    span = max(hi - lo, 1e-12)
    raw = span / count
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(start, hi + step * 0.001, step)]


def smaller(font: QFont, by: float, floor: float) -> QFont:
    """``font`` made ``by`` points smaller, never below ``floor`` (labels that must stay legible)."""
    f = QFont(font)
    f.setPointSizeF(max(floor, f.pointSizeF() - by))
    return f


def bold(font: QFont) -> QFont:
    f = QFont(font)
    f.setBold(True)
    return f


def draw_empty(p: QPainter, rect: QRectF, text: str, colour: QColor = MUTED) -> None:
    """The sentence a chart shows before it has data (what will appear, and after what)."""
    p.setPen(colour)
    p.drawText(QRectF(rect), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)


def draw_y_labels(p: QPainter, values: Iterable[float], y_of: Callable[[float], float], right: float,
                  text: Callable[[float], str], width: float | None = None, height: float = 16) -> None:
    """Tick labels of a vertical axis, right-aligned so they end at ``right`` (the plot's left edge
    minus a gap), centred on each value's height."""
    p.setPen(MUTED)
    w = right if width is None else width
    for v in values:
        y = y_of(v)
        p.drawText(QRectF(right - w, y - height / 2, w, height), RIGHT_MIDDLE, text(v))


def draw_x_labels(p: QPainter, values: Iterable[float], x_of: Callable[[float], float], top: float,
                  text: Callable[[float], str], width: float = 60, height: float = 16,
                  align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignHCenter) -> None:
    """Tick labels of a horizontal axis, centred under each value, their top at ``top``."""
    p.setPen(MUTED)
    for v in values:
        x = x_of(v)
        p.drawText(QRectF(x - width / 2, top, width, height), align, text(v))


def draw_x_labels_inside(p: QPainter, values: Iterable[float], x_of: Callable[[float], float], top: float,
                         right: float, text: Callable[[float], str], width: float = 60, height: float = 14) -> None:
    """Tick labels of a horizontal axis that never run past its ends: the first starts at its tick,
    one within half a label of ``right`` ends at its tick, the others are centred on theirs."""
    p.setPen(MUTED)
    for i, v in enumerate(values):
        x = x_of(v)
        if i == 0:
            box, align = QRectF(x, top, width, height), Qt.AlignmentFlag.AlignLeft
        elif x > right - width / 2:
            box, align = QRectF(x - width, top, width, height), Qt.AlignmentFlag.AlignRight
        else:
            box, align = QRectF(x - width / 2, top, width, height), Qt.AlignmentFlag.AlignHCenter
        p.drawText(box, align | Qt.AlignmentFlag.AlignTop, text(v))


def draw_x_title(p: QPainter, left: float, top: float, width: float, text: str, height: float = 14,
                 align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignHCenter) -> None:
    """The horizontal axis's name, centred under its tick labels."""
    p.setPen(MUTED)
    p.drawText(QRectF(left, top, width, height), align, text)


def draw_y_title(p: QPainter, x: float, centre_y: float, length: float, text: str) -> None:
    """The vertical axis's name, turned to read upwards, its baseline at ``x``."""
    p.save()
    p.setPen(MUTED)
    p.translate(x, centre_y)
    p.rotate(-90)
    p.drawText(QRectF(-length / 2, -14, length, 14), Qt.AlignmentFlag.AlignHCenter, text)
    p.restore()


def draw_h_grid(p: QPainter, ys: Iterable[float], left: float, right: float, colour: QColor = GRID) -> None:
    p.setPen(QPen(colour, 1))
    for y in ys:
        p.drawLine(QPointF(left, y), QPointF(right, y))


def draw_legend_row(p: QPainter, items: Iterable[tuple[QColor, str]], x: float, y: float,
                    gap: float = 18) -> list[QRectF]:
    """A row of swatches and names starting at (x, y); returns where each entry went, so a chart
    (and its tests) can keep the legend off what it plots."""
    fm = p.fontMetrics()
    rects = []
    for colour, text in items:
        fill = QColor(colour)
        fill.setAlpha(110)
        p.setPen(QPen(colour, 1.2))
        p.setBrush(fill)
        p.drawRect(QRectF(x, y + 3, 11, 11))
        p.setPen(INK)
        width = fm.horizontalAdvance(text) + 4
        p.drawText(QRectF(x + 16, y, width, 17), Qt.AlignmentFlag.AlignVCenter, text)
        rects.append(QRectF(x, y, 16 + width, 17))
        x += 16 + width + gap
    return rects


class Chart(QWidget):
    """A chart widget: it grows with its layout and plots inside fixed margins (left, top, right,
    bottom) that leave room for the axes' labels."""

    MARGINS = (52, 28, 16, 36)
    MINIMUM = (240, 170)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(*self.MINIMUM)

    def plot_rect(self) -> QRectF:
        left, top, right, bottom = self.MARGINS
        return QRectF(self.rect()).adjusted(left, top, -right, -bottom)

    def _small_font(self) -> QFont:
        return smaller(self.font(), 1.5, 7.5)

    def _empty(self, p: QPainter, text: str) -> None:
        draw_empty(p, QRectF(self.rect()), text)
