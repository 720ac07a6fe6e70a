"""The k-shot curve: N-way accuracy as the examples per class grow from 1 to 10, against chance."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from siamgui.tasks import fewshot as fs
from siamgui.ui.charts.axes import (
    ACCENT, INK, MUTED, draw_empty, draw_h_grid, draw_x_labels, draw_x_title, draw_y_labels,
)

KMAX = 10


class CurveChart(QWidget):
    """Accuracy (y) against examples per class k (x), with chance (1/N) as a dashed line; the ks
    the support cannot give an episode for are shaded and said so."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.n_way = 0
        self.points: list[fs.CurvePoint] = []
        self.setMinimumSize(260, 180)

    def set_curve(self, n_way: int, points: list[fs.CurvePoint]) -> None:
        self.n_way, self.points = n_way, list(points)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.points:
            draw_empty(p, QRectF(self.rect()), "k-shot curve: accuracy as the examples per class grow")
            p.end()
            return
        left, top, right, bottom = 44, 30, 12, 30  # the title sits above the 100% line
        w, h = self.width() - left - right, self.height() - top - bottom
        kmax = KMAX

        def at(k: float, acc: float) -> QPointF:
            return QPointF(left + (k - 1) / (kmax - 1) * w, top + (1 - acc) * h)

        last = self.points[-1].k
        if last < kmax:  # the ks the support cannot give an episode for: shaded, and said so (note below)
            shade = QRectF(at(last + 0.5, 1.0), at(kmax, 0.0))
            p.fillRect(shade, QColor("#f3f4f6"))
            if shade.width() > 70:
                p.setPen(MUTED)
                p.drawText(shade.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                           "too few examples per class")
        draw_h_grid(p, [at(1, acc).y() for acc in (0.0, 0.25, 0.5, 0.75, 1.0)], at(1, 0).x(), at(kmax, 0).x())
        draw_y_labels(p, (0.0, 0.5, 1.0), lambda acc: at(1, acc).y(), left - 6, lambda acc: f"{acc:.0%}")
        draw_x_labels(p, range(1, kmax + 1), lambda k: at(k, 0).x(), top + h + 4, str, width=20, height=14,
                      align=Qt.AlignmentFlag.AlignCenter)
        draw_x_title(p, left, top + h + 16, w, "examples per class (k)", align=Qt.AlignmentFlag.AlignCenter)
        p.drawText(QRectF(left, 2, w, 18), Qt.AlignmentFlag.AlignLeft,
                   f"{self.n_way}-way accuracy, {self.points[0].episodes} episodes per k")
        chance = 1.0 / max(self.n_way, 1)
        pen = QPen(MUTED, 1, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(at(1, chance), at(kmax, chance))
        p.drawText(at(kmax, chance) + QPointF(-40, -4), "chance")
        p.setPen(QPen(ACCENT, 2))
        pts = [at(pt.k, pt.accuracy) for pt in self.points]
        for a, b in zip(pts, pts[1:]):
            p.drawLine(a, b)
        p.setBrush(ACCENT)
        for pt, xy in zip(self.points, pts):
            p.drawEllipse(xy, 3.5, 3.5)
            if pt.k in (1, 5, 10) or pt is self.points[-1]:
                p.setPen(INK)
                below = pt.accuracy > 0.85  # near the top: under the point, clear of the title
                p.drawText(xy + QPointF(-30 if pt is self.points[-1] else -14, 16 if below else -8),
                           f"{pt.accuracy:.0%}")
                p.setPen(QPen(ACCENT, 2))
        p.end()
