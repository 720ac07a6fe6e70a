"""The verdict's distance scale: 0 to 2, green left of the threshold and red right of it, with a
marker at the pair's distance. It lines up with the threshold slider drawn under it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from siamgui.ui.charts.axes import BAD, GOOD, INK, draw_x_labels_inside, smaller

SCALE_MAX = 2.0  # cosine and euclidean distances of unit vectors both lie in [0, 2]
HANDLE_PAD = 9  # half the slider handle (style.qss) so the scale lines up with the slider


class DistanceScale(QWidget):
    """0 … 2 with the 'same' zone (left of the threshold) green and the rest red; ▼ marks the pair."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.threshold = 0.5
        self.distance: float | None = None
        self.setMinimumHeight(40)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(320, 40)

    def set_values(self, threshold: float, distance: float | None) -> None:
        self.threshold, self.distance = threshold, distance
        self.update()

    def x_of(self, value: float) -> float:
        span = self.width() - 2 * HANDLE_PAD
        return HANDLE_PAD + span * min(max(value, 0.0), SCALE_MAX) / SCALE_MAX

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        bar_top, bar_h = 16.0, 8.0
        x0, xt, x1 = self.x_of(0), self.x_of(self.threshold), self.x_of(SCALE_MAX)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#bbf7d0"))
        p.drawRoundedRect(QRectF(x0, bar_top, max(xt - x0, 0), bar_h), 3, 3)
        p.setBrush(QColor("#fecaca"))
        p.drawRoundedRect(QRectF(xt, bar_top, max(x1 - xt, 0), bar_h), 3, 3)
        p.setPen(QPen(INK, 2))
        p.drawLine(QPointF(xt, bar_top - 3), QPointF(xt, bar_top + bar_h + 3))
        p.setFont(smaller(self.font(), 2, 7.0))
        draw_x_labels_inside(p, (0.0, 0.5, 1.0, 1.5, 2.0), self.x_of, bar_top + bar_h + 2, x1, lambda v: f"{v:g}",
                             width=40)
        if self.distance is not None:
            xd = self.x_of(self.distance)
            colour = GOOD if self.distance <= self.threshold else BAD
            p.setPen(QPen(QColor("white"), 1.5))
            p.setBrush(colour)
            p.drawPolygon(QPolygonF([QPointF(xd - 7, 2), QPointF(xd + 7, 2), QPointF(xd, bar_top + bar_h)]))
        p.end()
