"""The confusion matrix: true class by row, predicted class by column, each cell shaded by its
share of the row (green on the diagonal, red off it)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from siamgui.ui.charts.axes import BAD, GOOD, GRID, INK, MUTED, RIGHT_MIDDLE, draw_empty


class ConfusionMatrix(QWidget):
    """Rows: true class; columns: predicted class; each cell shaded by its share of the row."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.classes: list[str] = []
        self.matrix: np.ndarray | None = None
        self.setMinimumSize(220, 200)

    def set_matrix(self, classes: list[str], matrix: np.ndarray | None) -> None:
        self.classes, self.matrix = list(classes), matrix
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, 300)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.matrix is None or not len(self.classes):
            draw_empty(p, QRectF(self.rect()), "Classify a folder of class folders\nto see the confusion matrix")
            p.end()
            return
        n = len(self.classes)
        left, top = 56, 36
        side = max(4.0, min((self.width() - left - 8) / n, (self.height() - top - 8) / n))
        rows = self.matrix.sum(1)
        small = p.font()
        small.setPointSizeF(max(6.0, min(9.0, side / 3.2)))  # the labels shrink with the cells
        p.setFont(small)
        p.setPen(MUTED)
        p.drawText(QRectF(left, 0, side * n, 16), Qt.AlignmentFlag.AlignCenter, "predicted")
        p.drawText(QRectF(0, 16, left - 6, top - 16), RIGHT_MIDDLE, "true ↓")
        for i, c in enumerate(self.classes):
            p.setPen(INK)
            p.drawText(QRectF(0, top + i * side, left - 6, side), RIGHT_MIDDLE, c[:8])
            p.drawText(QRectF(left + i * side, 16, side, top - 16), Qt.AlignmentFlag.AlignCenter, c[:4])
            for j in range(n):
                v = int(self.matrix[i, j])
                share = v / rows[i] if rows[i] else 0.0
                colour = QColor(GOOD if i == j else BAD)
                colour.setAlphaF(0.08 + 0.85 * share if v else 0.0)
                cell = QRectF(left + j * side, top + i * side, side, side)
                p.fillRect(cell, colour)
                p.setPen(GRID)
                p.drawRect(cell)
                if v and side >= 14:
                    p.setPen(QColor("white") if share > 0.55 else INK)
                    p.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(v))
        p.end()
