"""The distance histograms of same and different pairs, with the threshold as a line to drag."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from siamgui.tasks import calibration
from siamgui.ui.charts.axes import (
    ACCENT, BAD, GOOD, GRID, MUTED, Chart, draw_h_grid, draw_legend_row, draw_x_labels, draw_x_title,
    draw_y_labels, nice_ticks,
)

BINS = 40


class DistanceHistogram(Chart):
    """Same-pair and different-pair distance histograms with a draggable threshold line."""

    MARGINS = (52, 46, 16, 36)  # the legend has a row of its own above the bars (never over them)
    thresholdChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("distanceHistogram")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Drag the line (or click, or use the arrow keys) to move the threshold")
        self.same = np.zeros(0)
        self.different = np.zeros(0)
        self.threshold = 0.5
        self.default_threshold: float | None = None
        self.lo, self.hi = 0.0, 2.0
        self._dragging = False
        self.legend_rects: list[QRectF] = []  # where the legend was last drawn (kept off the bars)

    def sizeHint(self) -> QSize:
        return QSize(560, 320)

    def set_data(self, same: np.ndarray, different: np.ndarray, threshold: float,
                 default_threshold: float | None = None) -> None:
        self.same, self.different = np.asarray(same, float), np.asarray(different, float)
        every = np.r_[self.same, self.different]
        top = float(every.max()) if len(every) else 2.0
        self.lo = 0.0
        self.hi = max(top * 1.05, threshold * 1.1, (default_threshold or 0) * 1.1, 1e-3)
        self.default_threshold = default_threshold
        self.set_threshold(threshold, emit=False)

    def clear(self) -> None:
        self.same = self.different = np.zeros(0)
        self.update()

    def set_threshold(self, value: float, emit: bool = True) -> None:
        value = float(min(max(value, self.lo), max(self.hi, value if not emit else self.hi)))
        if value == self.threshold:
            self.update()
            return
        self.threshold = value
        self.update()
        if emit:
            self.thresholdChanged.emit(value)

    def x_of(self, v: float) -> float:
        r = self.plot_rect()
        return r.left() + (v - self.lo) / (self.hi - self.lo) * r.width()

    def value_at(self, x: float) -> float:
        r = self.plot_rect()
        return self.lo + (x - r.left()) / max(r.width(), 1) * (self.hi - self.lo)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not len(self.same) and not len(self.different):
            self._empty(p, "Distances of same and different pairs appear here after a calibration.")
            return
        r = self.plot_rect()
        edges = np.linspace(self.lo, self.hi, BINS + 1)
        hs = calibration.histogram(self.same, edges)
        hd = calibration.histogram(self.different, edges)
        ymax = max(float(hs.max(initial=0)), float(hd.max(initial=0)), 1e-6) * 1.12
        xt = self.x_of(self.threshold)
        # zones: left of the line is judged "same", right "different"
        p.fillRect(QRectF(r.left(), r.top(), max(0.0, xt - r.left()), r.height()), QColor(22, 163, 74, 14))
        p.fillRect(QRectF(xt, r.top(), max(0.0, r.right() - xt), r.height()), QColor(220, 38, 38, 12))
        p.setFont(self._small_font())
        fm = p.fontMetrics()

        def y_of(v: float) -> float:
            return r.bottom() - v / ymax * r.height()

        shares = nice_ticks(0, ymax, 4)
        draw_h_grid(p, [y_of(v) for v in shares], r.left(), r.right())
        draw_y_labels(p, shares, y_of, r.left() - 6, lambda v: f"{100 * v:.3g}%")
        distances = nice_ticks(self.lo, self.hi, 6)
        p.setPen(QPen(GRID, 1))
        for v in distances:
            p.drawLine(QPointF(self.x_of(v), r.bottom()), QPointF(self.x_of(v), r.bottom() + 4))
        draw_x_labels(p, distances, self.x_of, r.bottom() + 5, lambda v: f"{v:g}")
        draw_x_title(p, r.left(), r.bottom() + 18, r.width(), "distance")
        for hist, colour in ((hd, BAD), (hs, GOOD)):
            path = QPainterPath(QPointF(r.left(), r.bottom()))
            for i, h in enumerate(hist):
                y = y_of(h)
                path.lineTo(QPointF(self.x_of(edges[i]), y))
                path.lineTo(QPointF(self.x_of(edges[i + 1]), y))
            path.lineTo(QPointF(r.right(), r.bottom()))
            path.closeSubpath()
            fill = QColor(colour)
            fill.setAlpha(70)
            p.setPen(QPen(colour, 1.6))
            p.setBrush(fill)
            p.drawPath(path)
        p.setPen(QPen(QColor("#9ca3af"), 1))
        p.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
        if (self.default_threshold is not None and self.lo <= self.default_threshold <= self.hi
                and abs(self.x_of(self.default_threshold) - xt) > 3):
            xd = self.x_of(self.default_threshold)
            p.setPen(QPen(MUTED, 1.2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(xd, r.top() + 14), QPointF(xd, r.bottom()))
            p.drawText(QRectF(xd + 3, r.top() + 14, 90, 14), Qt.AlignmentFlag.AlignLeft, "model card")
        # the threshold line and its handle
        p.setPen(QPen(ACCENT, 2.4))
        p.drawLine(QPointF(xt, r.top() - 4), QPointF(xt, r.bottom()))
        p.setBrush(ACCENT)
        p.drawEllipse(QPointF(xt, r.top() - 4), 5.5, 5.5)
        label = f"threshold {self.threshold:.3f}"
        w = fm.horizontalAdvance(label) + 12
        lx = xt + 9 if xt + 9 + w < r.right() else xt - 9 - w
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#eef2ff"))
        p.drawRoundedRect(QRectF(lx, r.top() - 12, w, 17), 4, 4)
        p.setPen(QColor("#3730a3"))
        p.drawText(QRectF(lx, r.top() - 12, w, 17), Qt.AlignmentFlag.AlignCenter, label)
        # legend: one row above the plot, clear of the bars and of the threshold label
        legend = [(GOOD, f"same pairs ({len(self.same):,})"), (BAD, f"different pairs ({len(self.different):,})")]
        self.legend_rects = draw_legend_row(p, legend, r.left(), 2.0)

    # --- dragging --------------------------------------------------------------------------
    def _near_line(self, x: float) -> bool:
        return abs(x - self.x_of(self.threshold)) <= 7

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and len(self.same) + len(self.different):
            self._dragging = True
            self.set_threshold(self.value_at(event.position().x()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        x = event.position().x()
        if self._dragging:
            self.set_threshold(self.value_at(x))
        self.setCursor(Qt.CursorShape.SizeHorCursor if self._dragging or self._near_line(x)
                       else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._dragging = False

    def keyPressEvent(self, event) -> None:  # noqa: N802
        step = (self.hi - self.lo) / (50 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 500)
        if event.key() == Qt.Key.Key_Left:
            self.set_threshold(self.threshold - step)
        elif event.key() == Qt.Key.Key_Right:
            self.set_threshold(self.threshold + step)
        else:
            super().keyPressEvent(event)
