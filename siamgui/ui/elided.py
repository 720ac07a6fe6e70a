"""A one-line label that shortens its text with an ellipsis instead of cutting it mid-word."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


MIN_TAIL = 12  # characters of an elided last part worth showing; fewer read as noise ("Fruit (…")


class ElidedLabel(QLabel):
    """Shows ``text()`` on one line, elided (right, or middle for paths) when the width is short.

    The full text stays in ``text()`` and in the tooltip whenever it does not fit, so nothing is
    lost; the label never asks for more width than it gets (it must not push buttons off).
    """

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight, parts: str | None = None):
        super().__init__(text, parent)
        self.mode = mode
        self.parts = parts  # a separator: a last part cut to a stub ("dlib's …") becomes a bare "…"
        self._own_tip = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt API
        self._own_tip = tip
        super().setToolTip(tip)

    def elided_text(self) -> str:
        """The text as drawn at the current width."""
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self.text(), self.mode, max(width, 0))
        if self.parts and shown != self.text() and self.mode == Qt.TextElideMode.ElideRight:
            cut = shown.rfind(self.parts)
            if cut >= 0 and len(shown) - cut - len(self.parts) - 1 < MIN_TAIL:
                return shown[:cut] + self.parts + "…"
        return shown

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802
        shown = self.elided_text()
        QLabel.setToolTip(self, self._own_tip or (self.text() if shown != self.text() else ""))
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)
