"""The ROC curve: true-accept against false-accept rate, its AUC, the EER point and the threshold's point."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from siamgui.tasks.calibration import auc_text
from siamgui.ui.charts.axes import (
    ACCENT, GRID, INK, MUTED, Chart, bold, draw_x_labels, draw_x_title, draw_y_labels, draw_y_title, pct,
)

RATES = (0.0, 0.25, 0.5, 0.75, 1.0)


class RocPlot(Chart):
    """True-accept rate against false-accept rate, with the EER point and the current threshold."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rocPlot")
        self.far = np.zeros(0)
        self.tpr = np.zeros(0)
        self.auc = self.eer = 0.0
        self.point: tuple[float, float] | None = None  # (far, tpr) at the threshold
        self.eer_label_rect: QRectF | None = None  # where the EER label was last drawn (kept off the curve)

    def sizeHint(self) -> QSize:
        return QSize(340, 320)

    def set_curve(self, far: np.ndarray, tpr: np.ndarray, auc: float, eer: float) -> None:
        self.far, self.tpr, self.auc, self.eer = np.asarray(far), np.asarray(tpr), auc, eer
        self.update()

    def clear(self) -> None:
        self.far = self.tpr = np.zeros(0)
        self.point = None
        self.update()

    def set_point(self, far: float, tpr: float) -> None:
        self.point = (far, tpr)
        self.update()

    def square(self) -> QRectF:
        r = self.plot_rect()
        side = min(r.width(), r.height())
        return QRectF(r.left() + (r.width() - side) / 2, r.top(), side, side)

    def to_xy(self, far: float, tpr: float, s: QRectF) -> QPointF:
        return QPointF(s.left() + far * s.width(), s.bottom() - tpr * s.height())

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not len(self.far):
            self._empty(p, "The ROC curve appears here.")
            return
        s = self.square()
        p.setFont(self._small_font())
        p.setPen(QPen(GRID, 1))
        for v in RATES:
            p.drawLine(self.to_xy(v, 0, s), self.to_xy(v, 1, s))
            p.drawLine(self.to_xy(0, v, s), self.to_xy(1, v, s))
        draw_x_labels(p, RATES, lambda v: self.to_xy(v, 0, s).x(), s.bottom() + 4, lambda v: f"{v:g}",
                      width=40, height=14)
        draw_y_labels(p, RATES, lambda v: self.to_xy(0, v, s).y(), s.left() - 6, lambda v: f"{v:g}",
                      width=34, height=14)
        draw_x_title(p, s.left(), s.bottom() + 18, s.width(), "false-accept rate", height=16)
        draw_y_title(p, s.left() - 40, s.center().y(), s.height(), "true-accept rate")
        p.setPen(QPen(QColor("#d1d5db"), 1, Qt.PenStyle.DashLine))
        p.drawLine(self.to_xy(0, 0, s), self.to_xy(1, 1, s))
        path = QPainterPath(self.to_xy(float(self.far[0]), float(self.tpr[0]), s))
        for f, t in zip(self.far[1:], self.tpr[1:]):
            path.lineTo(self.to_xy(float(f), float(t), s))
        path.lineTo(self.to_xy(1.0, 1.0, s))
        p.setPen(QPen(ACCENT, 2.2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        e = self.to_xy(self.eer, 1 - self.eer, s)
        p.setPen(QPen(MUTED, 1.2))
        p.setBrush(QColor("#ffffff"))
        p.drawEllipse(e, 4, 4)
        # the label goes below and right of the point, inside the curve: a good model's EER point
        # sits in the curve's corner, where a label to its right would lie on the curve's top edge
        text = f"EER {pct(self.eer)}"
        tw = p.fontMetrics().horizontalAdvance(text) + 8
        box = QRectF(e.x() + 8, e.y() + 8, tw, 16)
        if box.right() > s.right():
            box.moveRight(e.x() - 8)
        if box.bottom() > s.bottom():
            box.moveBottom(e.y() - 8)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255, 230))
        p.drawRoundedRect(box, 3, 3)
        p.setPen(MUTED)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        self.eer_label_rect = box
        if self.point is not None:
            q = self.to_xy(*self.point, s)
            p.setPen(QPen(ACCENT, 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(s.left(), q.y()), q)
            p.drawLine(QPointF(q.x(), s.bottom()), q)
            p.setPen(QPen(QColor("#ffffff"), 2))
            p.setBrush(ACCENT)
            p.drawEllipse(q, 6, 6)
        p.setPen(INK)
        p.setFont(bold(self.font()))
        p.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                   f"ROC  ·  AUC {auc_text(self.auc)}")
