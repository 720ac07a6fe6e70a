"""Live's camera side: the frame with every face boxed and named, and the device list.

What a face's box looks like (colour, label, judged or dimmed) is decided by one pure function,
:func:`face_marks`, from one ``FrameResult`` and the one threshold the verdict panel shows: the
box colour and the verdict beside it always come from the same frame and the same threshold.
Names are drawn with ``QPainter.drawText``, which never reads its text as rich text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QSizePolicy, QStyle, QStyleOptionComboBox, QStylePainter, QWidget

from siamgui.core.compare import Verdict
from siamgui.media.faces import Box
from siamgui.tasks.live import FaceResult, FrameResult

WAITING = "#2b6cb0"  # a face with no verdict yet (no reference, no gallery)
SAME = "#2f855a"
DIFFERENT = "#c53030"
DIMMED = "#9aa5b1"  # a face in view that is not the one judged (Verify)


@dataclass(frozen=True)
class FaceMark:
    """How one face is drawn over the video."""

    box: Box
    colour: str
    label: str = ""  # plain text beside the box
    track: int = 0  # the face's track (a click on a dimmed face asks to judge that one)
    judged: bool = False  # the face held against the reference: a thick box
    dimmed: bool = False  # in view, not judged: a thin grey box over a darkened face


def rejudged(face: FaceResult, threshold: float | None) -> Verdict | None:
    """The face's verdict at ``threshold`` (the panel's): a moved threshold recolours the boxes too."""
    if face.verdict is None or face.smoothed is None:
        return None
    return face.verdict if threshold is None else Verdict(face.smoothed, threshold)


def face_marks(result: FrameResult | None, threshold: float | None) -> list[FaceMark]:
    """The boxes of every face in ``result``, coloured and labelled at ``threshold``."""
    if result is None:
        return []
    marks = []
    for f in result.faces:
        if f.box is None:
            continue
        v = rejudged(f, threshold)
        colour = WAITING if v is None else SAME if v.same else DIFFERENT
        if result.identify:
            if v is None:
                label = "unknown" if f.embedding is not None and not result.message else ""
            else:
                label = f"{f.name}  {v.distance:.2f}" if v.same else "unknown"
            marks.append(FaceMark(f.box, colour, label, f.track))
        elif f.judged:
            label = "" if v is None else ("✓ same" if v.same else "✗ different") + f"  {v.distance:.2f}"
            marks.append(FaceMark(f.box, colour, label, f.track, judged=True))
        else:
            marks.append(FaceMark(f.box, DIMMED, "", f.track, dimmed=True))
    return marks


def face_rows(result: FrameResult, threshold: float | None) -> list[str]:
    """Identify: one line per face in view, judged at ``threshold`` like its box."""
    rows = []
    for f in result.faces:
        v = rejudged(f, threshold)
        if v is None:
            rows.append(f"—   {f.message or 'not judged'}")
        elif v.same:
            rows.append(f"{f.name}   {v.distance:.3f}")
        else:
            rows.append(f"unknown   (nearest: {f.name} {v.distance:.3f})")
    return rows


def crop_around(frame: np.ndarray, box: Box, grow: float = 0.6) -> np.ndarray:
    """The part of ``frame`` around one face (its box grown by ``grow`` of its side on each side),
    so a sample enrolled from a frame with several people holds the one meant."""
    h, w = frame.shape[:2]
    r = box.square(grow)
    x0, y0 = max(0, int(r.x)), max(0, int(r.y))
    x1, y1 = min(w, int(r.x + r.w + 0.5)), min(h, int(r.y + r.h + 0.5))
    return frame[y0:y1, x0:x1].copy()


def camera_items(from_env: str | None, cameras) -> list[tuple[str, str]]:
    """(label, source) of each camera to offer: ``$SIAMGUI_CAMERA``'s file or index first, then the
    devices the system lists (``media.camera.list_cameras``)."""
    from pathlib import Path

    items = [(f"{Path(from_env).name} (SIAMGUI_CAMERA)", from_env)] if from_env else []
    return items + [(c.name, c.id) for c in cameras]


def frame_emitter(emit: Callable[[tuple], None]) -> Callable[[np.ndarray, int], None]:
    """The camera thread's frame callback: ``emit((frame, seq))`` and nothing else."""

    def on_frame(frame: np.ndarray, seq: int) -> None:
        emit((frame, seq))

    return on_frame


class FramePreview(QWidget):
    """The live image, scaled to fit, with the boxes of a recent result. A click on a dimmed face
    emits ``faceClicked(track)``: Verify judges that face from then on."""

    faceClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.marks: list[FaceMark] = []
        self.placeholder = "Press Start to open the camera"
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def box(self) -> Box | None:
        """The judged face's box (Verify), else the first face's; None with no face drawn."""
        mark = next((m for m in self.marks if m.judged), self.marks[0] if self.marks else None)
        return None if mark is None else mark.box

    def show_frame(self, image: QImage | None, marks: list[FaceMark]) -> None:
        self.image, self.marks = image, list(marks)
        self.update()

    def set_marks(self, marks: list[FaceMark]) -> None:
        """New boxes over the frame on screen (a result arrived, the threshold moved, Stop)."""
        self.marks = list(marks)
        self.update()

    def clear(self, placeholder: str | None = None) -> None:
        self.image, self.marks = None, []
        if placeholder is not None:
            self.placeholder = placeholder
        self.update()

    def _target(self) -> tuple[QRectF, float]:
        """Where the image is drawn (scaled to fit, centred) and its scale."""
        iw, ih = self.image.width(), self.image.height()
        s = min(self.width() / iw, self.height() / ih)
        return QRectF((self.width() - iw * s) / 2, (self.height() - ih * s) / 2, iw * s, ih * s), s

    def mark_at(self, x: float, y: float) -> FaceMark | None:
        """The face drawn at widget point (x, y), if any."""
        if self.image is None:
            return None
        target, s = self._target()
        fx, fy = (x - target.x()) / s, (y - target.y()) / s
        return next((m for m in self.marks if m.box.x <= fx <= m.box.x + m.box.w and m.box.y <= fy <= m.box.y + m.box.h),
                    None)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        mark = self.mark_at(event.position().x(), event.position().y())
        if mark is not None and mark.dimmed:
            self.faceClicked.emit(mark.track)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1f2933"))
        if self.image is None:
            p.setPen(QColor("#cbd2d9"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        target, s = self._target()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(target, self.image)
        metrics = QFontMetrics(p.font())
        for m in self.marks:
            rect = QRectF(target.x() + m.box.x * s, target.y() + m.box.y * s, m.box.w * s, m.box.h * s)
            if m.dimmed:
                p.fillRect(rect, QColor(31, 41, 51, 110))
                pen = QPen(QColor(m.colour), 1.5, Qt.PenStyle.DashLine)
            else:
                pen = QPen(QColor(m.colour), 4 if m.judged else 3)
            p.setPen(pen)
            p.drawRect(rect)
            if m.label:
                text = metrics.elidedText(m.label, Qt.TextElideMode.ElideRight, int(max(rect.width(), 170)))
                tw, th = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
                top = rect.y() - th if rect.y() - th >= target.y() else rect.y() + rect.height()
                tag = QRectF(rect.x() - 2, top, tw, th)
                p.fillRect(tag, QColor(m.colour))
                p.setPen(QColor("#ffffff"))
                p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)  # drawText: plain text, never markup


class DeviceCombo(QComboBox):
    """The device list: a long name is shortened with an ellipsis (never cut mid-word); the full
    name is in the tooltip and in the open list, which may be wider than the box."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(16)
        self.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._own_tip = ""
        self.currentIndexChanged.connect(lambda _i: self._tip())

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt API
        """A tooltip of its own (else the current item's full text is the tooltip)."""
        self._own_tip = tip
        self._tip()

    def _tip(self) -> None:
        QComboBox.setToolTip(self, self._own_tip or self.currentText())

    def shown_text(self) -> str:
        """The current item's text as drawn at the box's width."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        return self.fontMetrics().elidedText(self.currentText(), Qt.TextElideMode.ElideRight, max(field.width(), 0))

    def showPopup(self) -> None:  # noqa: N802 - Qt API
        widest = max((self.fontMetrics().horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        self.view().setMinimumWidth(min(widest + 40, 640))
        super().showPopup()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        opt.currentText = self.shown_text()
        p.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        p.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)
