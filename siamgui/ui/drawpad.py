"""A drawing pad: strokes drawn with the mouse or a pen become an image a glyph or digit model reads.

``DrawPad`` keeps the strokes (undo takes the last one away, clear takes them all) and renders them
as dark ink on white paper, what a pen on paper gives (the glyph input finds the polarity either
way). It says ``changed`` while a stroke is drawn (at most every ``LIVE_MS``) and when it ends, so a
view can re-judge the drawing as it grows; the judging itself runs in a job, never here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

INK = QColor("#111827")
PAPER = QColor("#ffffff")
LIVE_MS = 120  # how often a stroke in progress is re-judged
IMAGE_SIDE = 280  # pixels of the rendered drawing (the model's input is made from it)


class DrawPad(QWidget):
    """A square of paper: press, drag and release to draw a stroke."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, pen_width: float = 0.055):
        super().__init__(parent)
        self.strokes: list[list[QPointF]] = []  # points in [0, 1] x [0, 1] of the pad
        self._drawing = False
        self.pen_width = pen_width  # a share of the pad's side, like a marker on a note
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the mouse or a pen")
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_MS)
        self._live.timeout.connect(self.changed.emit)

    # --- geometry ----------------------------------------------------------------------------
    def _square(self) -> QRectF:
        side = min(self.width(), self.height()) - 2
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_unit(self, pos: QPointF) -> QPointF:
        sq = self._square()
        return QPointF(min(max((pos.x() - sq.left()) / sq.width(), 0.0), 1.0),
                       min(max((pos.y() - sq.top()) / sq.height(), 0.0), 1.0))

    # --- editing -----------------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        return not self.strokes

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self.update()
            self.changed.emit()

    def clear(self) -> None:
        if self.strokes:
            self.strokes.clear()
            self.update()
            self.changed.emit()

    def add_stroke(self, points: list[tuple[float, float]]) -> None:
        """A whole stroke in pad units (0..1), as if drawn: for code that replays a drawing."""
        self.strokes.append([QPointF(x, y) for x, y in points])
        self.update()
        self.changed.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drawing = True
            self.strokes.append([self._to_unit(event.position())])
            self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._drawing and self.strokes:
            self.strokes[-1].append(self._to_unit(event.position()))
            self.update()
            if not self._live.isActive():
                self._live.start()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._drawing:
            self._drawing = False
            self._live.stop()
            self.changed.emit()

    # --- drawing -----------------------------------------------------------------------------
    def _paint_strokes(self, p: QPainter, rect: QRectF) -> None:
        pen = QPen(INK, max(1.0, self.pen_width * rect.width()), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        for stroke in self.strokes:
            pts = [QPointF(rect.left() + q.x() * rect.width(), rect.top() + q.y() * rect.height()) for q in stroke]
            if len(pts) == 1:
                p.drawPoint(pts[0])
                continue
            path = QPainterPath(pts[0])
            for q in pts[1:]:
                path.lineTo(q)
            p.drawPath(path)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        sq = self._square()
        p.fillRect(sq, PAPER)
        p.setPen(QPen(QColor("#d1d5db"), 1))
        p.drawRect(sq)
        if self.empty:
            p.setPen(QColor("#9ca3af"))
            p.drawText(sq, Qt.AlignmentFlag.AlignCenter, "Draw here")
        self._paint_strokes(p, sq)
        p.end()

    def image(self, side: int = IMAGE_SIDE) -> np.ndarray:
        """The drawing as a (side, side) uint8 grey image, dark ink on white."""
        img = QImage(side, side, QImage.Format.Format_Grayscale8)
        img.fill(PAPER)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_strokes(p, QRectF(0, 0, side, side))
        p.end()
        ptr = img.constBits()
        arr = np.frombuffer(ptr, np.uint8, count=img.bytesPerLine() * side).reshape(side, img.bytesPerLine())
        return arr[:, :side].copy()  # a copy: the QImage (and its memory) goes when this returns


class DrawPadPanel(QWidget):
    """The pad with its Undo and Clear buttons and a caption (what the model made of it)."""

    def __init__(self, title: str = "Drawing", parent: QWidget | None = None):
        super().__init__(parent)
        self.pad = DrawPad()
        self.title = QLabel(title)
        self.title.setObjectName("sectionTitle")
        self.undo_button = QPushButton("Undo stroke")
        self.undo_button.clicked.connect(lambda: self.pad.undo())
        self.clear_button = QPushButton("Clear drawing")
        self.clear_button.clicked.connect(lambda: self.pad.clear())
        self.seen = QLabel()  # what the model saw, filled by the view
        self.seen.setFixedSize(72, 72)
        self.seen.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.seen.setToolTip("What the model saw: the ink cropped, centred and shrunk")
        self.caption = QLabel("")
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.undo_button)
        head.addWidget(self.clear_button)
        foot = QHBoxLayout()
        foot.addWidget(self.seen)
        foot.addWidget(self.caption, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(head)
        lay.addWidget(self.pad, 1)
        lay.addLayout(foot)
        self.pad.changed.connect(self._buttons)
        self._buttons()

    def _buttons(self) -> None:
        self.undo_button.setEnabled(not self.pad.empty)
        self.clear_button.setEnabled(not self.pad.empty)
