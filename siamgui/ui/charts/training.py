"""The training curves: loss (left scale) and the held-out EER % and 20-way one-shot % (right
scale, 0-100) as ``siamgui-train`` prints them."""

from __future__ import annotations

from typing import Protocol, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from siamgui.ui.charts.axes import draw_empty

Series = Sequence[tuple[int, float]]  # (step, value)
LOSS, EER, WAY20 = "#1f77b4", "#d62728", "#2ca02c"


class TrainingSeries(Protocol):
    """What the chart reads of a run's progress (``train_view.Progress`` is one)."""

    loss: Series
    eer: Series  # percent
    way20: Series  # percent correct


class _NoRun:
    loss: Series = ()
    eer: Series = ()
    way20: Series = ()


class CurvePlot(QWidget):
    """Loss (blue, left scale) and held-out EER % (red) / 20-way one-shot % (green), right scale 0-100."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.progress: TrainingSeries = _NoRun()
        self.setMinimumHeight(200)
        self.paints = 0

    def set_progress(self, progress: TrainingSeries) -> None:
        self.progress = progress
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt
        self.paints += 1
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(46, 10, -46, -26)
        p.setPen(QPen(QColor("#999"), 1))
        p.drawRect(r)
        pr = self.progress
        steps = [s for s, _ in [*pr.loss, *pr.eer, *pr.way20]]
        if not steps:
            draw_empty(p, r, "The curves appear here as training runs.", QColor("#999"))
            return
        x_max = max(steps) or 1
        loss_max = max((v for _, v in pr.loss), default=1.0) or 1.0

        def x(s: float) -> float:
            return r.left() + r.width() * s / x_max

        def series(points: Series, top: float, colour: str) -> None:
            if not points:
                return
            p.setPen(QPen(QColor(colour), 2))
            poly = QPolygonF([QPointF(x(s), r.bottom() - r.height() * min(v, top) / top) for s, v in points])
            p.drawPolyline(poly)
            for pt in poly:
                p.drawEllipse(pt, 2, 2)

        series(pr.loss, loss_max, LOSS)
        series(pr.eer, 100.0, EER)
        series(pr.way20, 100.0, WAY20)
        p.setPen(QColor("#444"))
        p.drawText(QRectF(0, r.top() - 4, 44, 16), Qt.AlignmentFlag.AlignRight, f"{loss_max:.2f}")
        p.drawText(QRectF(r.right() + 4, r.top() - 4, 44, 16), Qt.AlignmentFlag.AlignLeft, "100%")
        p.drawText(QRectF(r.left(), r.bottom() + 4, r.width(), 16), Qt.AlignmentFlag.AlignCenter,
                   f"step (last {x_max})   {self.legend()}")

    def legend(self) -> str:
        """Names only the series this run has drawn (a 2-class run never shows a 20-way curve)."""
        pr = self.progress
        shown = [(pr.loss, "blue: loss"), (pr.eer, "red: held-out EER %"), (pr.way20, "green: 20-way one-shot %")]
        return "   ".join(name for points, name in shown if points)
