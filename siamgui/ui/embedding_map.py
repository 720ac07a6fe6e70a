"""The embedding map: every embedding as a dot on its 2-D PCA projection, coloured by class.

Classes the Siamese net has learned to tell apart form separate clusters; classes it confuses
overlap. Hovering a dot names its file and class. Drawn with QPainter (no plotting library).
"""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

PALETTE = [QColor(c) for c in ("#4f46e5", "#dc2626", "#16a34a", "#d97706", "#0891b2", "#9333ea", "#db2777",
                               "#65a30d", "#0d9488", "#ea580c", "#2563eb", "#78716c")]
SHAPES = ("circle", "square", "triangle", "diamond")  # with 12 colours: 48 classes before a repeat
INK = QColor("#111827")
MUTED = QColor("#6b7280")
GRID = QColor("#e5e7eb")
LEGEND_W = 190


def style_of(index: int) -> tuple[QColor, str]:
    return PALETTE[index % len(PALETTE)], SHAPES[(index // len(PALETTE)) % len(SHAPES)]


def natural_key(text: str) -> list:
    """s2 before s10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def marker_path(shape: str, centre: QPointF, r: float) -> QPainterPath:
    path = QPainterPath()
    x, y = centre.x(), centre.y()
    if shape == "square":
        path.addRect(QRectF(x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r))
    elif shape == "triangle":
        path.moveTo(x, y - r * 1.1)
        path.lineTo(x + r, y + r * 0.8)
        path.lineTo(x - r, y + r * 0.8)
        path.closeSubpath()
    elif shape == "diamond":
        path.moveTo(x, y - r * 1.15)
        path.lineTo(x + r * 1.15, y)
        path.lineTo(x, y + r * 1.15)
        path.lineTo(x - r * 1.15, y)
        path.closeSubpath()
    else:
        path.addEllipse(centre, r, r)
    return path


class EmbeddingMap(QWidget):
    """A scatter of 2-D points coloured (and shaped) by class, with a legend and hover names."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("embeddingMap")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.points = np.zeros((0, 2))
        self.labels: list[str] = []
        self.names: list[str] = []
        self.classes: list[str] = []
        self.class_index = np.zeros(0, np.int64)
        self.explained = np.zeros(2)
        self.caption = ""
        self.message = "No map yet: run a calibration, or map the gallery."

    def sizeHint(self) -> QSize:
        return QSize(640, 420)

    def clear(self, message: str = "") -> None:
        self.set_points(np.zeros((0, 2)), [], message=message or self.message)

    def set_points(self, points: np.ndarray, labels: list[str], names: list[str] | None = None,
                   explained: np.ndarray | None = None, caption: str = "", message: str = "") -> None:
        self.points = np.asarray(points, np.float64).reshape(-1, 2)
        self.labels = list(labels)
        self.names = list(names) if names is not None else [""] * len(self.labels)
        counts: dict[str, int] = {}
        for lab in self.labels:
            counts[lab] = counts.get(lab, 0) + 1
        self.classes = sorted(counts, key=lambda c: (-counts[c], natural_key(c)))  # biggest first: clearest colours
        self.counts = counts
        order = {c: i for i, c in enumerate(self.classes)}
        self.class_index = np.array([order[lab] for lab in self.labels], np.int64)
        self.explained = np.zeros(2) if explained is None else np.asarray(explained, np.float64)
        self.caption = caption
        if message:
            self.message = message
        self.update()

    # --- geometry --------------------------------------------------------------------------
    def frame_rect(self) -> QRectF:
        """The square plot area; with the legend beside it, both centred in the widget."""
        area = QRectF(self.rect()).adjusted(44, 30, -16, -34)
        legend = LEGEND_W + 20 if self.classes else 0
        side = max(40.0, min(area.width() - legend, area.height()))
        left = area.left() + max(0.0, (area.width() - side - legend) / 2)
        return QRectF(left, area.top() + (area.height() - side) / 2, side, side)

    def _bounds(self) -> tuple[float, float, float, float]:
        p = self.points
        x0, x1 = float(p[:, 0].min()), float(p[:, 0].max())
        y0, y1 = float(p[:, 1].min()), float(p[:, 1].max())
        span = max(x1 - x0, y1 - y0, 1e-9)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = span / 2 * 1.08
        return cx - half, cx + half, cy - half, cy + half  # one scale on both axes: distances stay true

    def screen_points(self) -> np.ndarray:
        if not len(self.points):
            return np.zeros((0, 2))
        f = self.frame_rect()
        x0, x1, y0, y1 = self._bounds()
        sx = f.left() + (self.points[:, 0] - x0) / (x1 - x0) * f.width()
        sy = f.bottom() - (self.points[:, 1] - y0) / (y1 - y0) * f.height()
        return np.stack([sx, sy], axis=1)

    # --- painting --------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not len(self.points):
            p.setPen(MUTED)
            p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        xy = self.screen_points()
        frame = self.frame_rect()
        p.setPen(QPen(GRID, 1))
        p.setBrush(QColor("#fbfcfe"))
        p.drawRect(frame)
        for k in range(1, 4):
            p.drawLine(QPointF(frame.left() + frame.width() * k / 4, frame.top()),
                       QPointF(frame.left() + frame.width() * k / 4, frame.bottom()))
            p.drawLine(QPointF(frame.left(), frame.top() + frame.height() * k / 4),
                       QPointF(frame.right(), frame.top() + frame.height() * k / 4))
        radius = 4.0 if len(xy) < 400 else 3.0 if len(xy) < 2000 else 2.2
        draw_order = np.argsort(-self.class_index, kind="stable")  # small classes on top
        for i in draw_order:
            colour, shape = style_of(int(self.class_index[i]))
            fill = QColor(colour)
            fill.setAlpha(190)
            p.setPen(QPen(colour.darker(130), 0.8))
            p.setBrush(fill)
            p.drawPath(marker_path(shape, QPointF(xy[i, 0], xy[i, 1]), radius))
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, small.pointSizeF() - 1.5))
        p.setFont(small)
        p.setPen(MUTED)
        p.drawText(QRectF(frame.left(), frame.bottom() + 4, frame.width(), 18), Qt.AlignmentFlag.AlignHCenter,
                   f"principal component 1 ({100 * self.explained[0]:.0f}% of the variance)")
        p.save()
        p.translate(frame.left() - 8, frame.center().y())
        p.rotate(-90)
        p.drawText(QRectF(-frame.height() / 2, -16, frame.height(), 16), Qt.AlignmentFlag.AlignHCenter,
                   f"principal component 2 ({100 * self.explained[1]:.0f}% of the variance)")
        p.restore()
        if self.caption:
            p.setPen(INK)
            p.drawText(QRectF(frame.left(), 6, self.width() - frame.left() - 16, 20),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.caption)
        self._paint_legend(p, QRectF(frame.right() + 20, frame.top(), LEGEND_W, frame.height()))

    def _paint_legend(self, p: QPainter, box: QRectF) -> None:
        fm = p.fontMetrics()
        row = max(16, fm.height() + 3)
        rows = max(1, int(box.height() // row))
        shown = self.classes if len(self.classes) <= rows else self.classes[: rows - 1]
        y = box.top()
        for i, c in enumerate(shown):
            colour, shape = style_of(i)
            p.setPen(QPen(colour.darker(130), 0.8))
            p.setBrush(colour)
            p.drawPath(marker_path(shape, QPointF(box.left() + 8, y + row / 2), 4.5))
            p.setPen(INK)
            text = fm.elidedText(f"{c}  ({self.counts[c]})", Qt.TextElideMode.ElideMiddle, int(box.width() - 22))
            p.drawText(QRectF(box.left() + 18, y, box.width() - 18, row), Qt.AlignmentFlag.AlignVCenter, text)
            y += row
        if len(shown) < len(self.classes):
            p.setPen(MUTED)
            rest = len(self.classes) - len(shown)
            p.drawText(QRectF(box.left() + 18, y, box.width() - 18, row), Qt.AlignmentFlag.AlignVCenter,
                       f"+ {rest} more class{'es' if rest > 1 else ''}")

    # --- hover -----------------------------------------------------------------------------
    def point_at(self, pos: QPointF, within: float = 7.0) -> int | None:
        xy = self.screen_points()
        if not len(xy):
            return None
        d = np.hypot(xy[:, 0] - pos.x(), xy[:, 1] - pos.y())
        i = int(np.argmin(d))
        return i if d[i] <= within else None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        i = self.point_at(event.position())
        if i is None:
            QToolTip.hideText()
            return
        name = self.names[i] if i < len(self.names) else ""
        QToolTip.showText(event.globalPosition().toPoint(), f"{self.labels[i]}" + (f"\n{name}" if name else ""), self)
