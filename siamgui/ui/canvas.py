"""Drawing widgets: a picture with the encoder's region and crop, a spectrogram, thumbnails (the
waveform, a chart with a time axis, is in ``charts/waveform.py``)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from siamgui.ui.charts.waveform import WaveformView  # noqa: F401 - its old import path (pane.py)

ACCENT = QColor("#4f46e5")
MUTED = QColor("#6b7280")


def fit_rect(src_w: float, src_h: float, bounds: QRectF) -> QRectF:
    """The largest rectangle of the source's aspect ratio centred in bounds."""
    if src_w <= 0 or src_h <= 0:
        return QRectF()
    scale = min(bounds.width() / src_w, bounds.height() / src_h)
    w, h = src_w * scale, src_h * scale
    return QRectF(bounds.x() + (bounds.width() - w) / 2, bounds.y() + (bounds.height() - h) / 2, w, h)


class ImageCanvas(QWidget):
    """The picture scaled to fit, the region the encoder saw outlined, and an inset of its crop."""

    INSET = 104

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 140)
        self.image: QImage | None = None
        self.region = None  # faces.Box
        self.outline = None  # (4, 2) corners of a rotated crop in image pixels (aligned faces)
        self.view: QImage | None = None

    def sizeHint(self) -> QSize:
        return QSize(420, 320)

    def set_content(self, image: QImage | None, region=None, view: QImage | None = None, outline=None) -> None:
        """Show ``image`` with what the encoder saw: an axis-aligned ``region``, or the rotated
        ``outline`` of an aligned crop (drawn instead when given), and ``view`` as an inset."""
        self.image, self.region, self.view, self.outline = image, region, view, outline
        self.update()

    def outline_polygon(self) -> QPolygonF | None:
        """The rotated crop's corners in widget coordinates (None when there is none)."""
        if self.image is None or self.outline is None:
            return None
        target = self.image_rect()
        s = target.width() / max(self.image.width(), 1)
        return QPolygonF([QPointF(target.x() + float(x) * s, target.y() + float(y) * s) for x, y in self.outline])

    def _inset_side(self) -> float:
        return min(self.INSET, self.width() * 0.32, self.height() * 0.42) if self.view is not None else 0.0

    def _layout(self) -> tuple[QRectF, QRectF | None]:
        """(picture, inset box): the inset sits beside the picture when there is room, else over it."""
        bounds = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        if self.image is None:
            return QRectF(), None
        side = self._inset_side()
        full = fit_rect(self.image.width(), self.image.height(), bounds)
        if side < 40:
            return full, None
        caption_h = 18
        beside = fit_rect(self.image.width(), self.image.height(), bounds.adjusted(0, 0, -(side + 18), 0))
        if beside.width() >= full.width() * 0.92:  # costs the picture little: put the inset beside it
            x = beside.right() + 18
            box = QRectF(x, beside.bottom() - side - caption_h, side, side + caption_h)
            if box.top() < bounds.top():
                box.moveTop(bounds.top())
            return beside, box
        box = QRectF(self.width() - side - 10, self.height() - side - caption_h - 10, side, side + caption_h)
        return full, box

    def image_rect(self) -> QRectF:
        return self._layout()[0]

    def region_rect(self) -> QRectF | None:
        """The outlined region in widget coordinates (None when there is none to show)."""
        if self.image is None or self.region is None:
            return None
        target = self.image_rect()
        s = target.width() / max(self.image.width(), 1)
        return QRectF(target.x() + self.region.x * s, target.y() + self.region.y * s,
                      self.region.w * s, self.region.h * s)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.image is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target, inset = self._layout()
        p.drawImage(target, self.image)
        poly = self.outline_polygon()
        if poly is not None:
            self._draw_outline(p, target, poly)
        region = None if poly is not None else self.region_rect()
        full = region is not None and region.adjusted(-1, -1, 1, 1).contains(target)
        if region is not None and not full:
            # dim what the encoder did not see, then outline what it did
            clip = region.intersected(target)
            shade = QPainterPath()
            shade.setFillRule(Qt.FillRule.OddEvenFill)
            shade.addRect(target)
            shade.addRect(clip)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(17, 24, 39, 140))
            p.drawPath(shade)
            # the outline stays on the photo: a region reaching past its edge is cut at the edge
            p.save()
            p.setClipRect(target)
            shown = clip.adjusted(1, 1, -1, -1)
            p.setPen(QPen(QColor("white"), 4))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(shown, 4, 4)
            p.setPen(QPen(ACCENT, 2.5))
            p.drawRoundedRect(shown, 4, 4)
            p.restore()
        if inset is not None:
            self._draw_inset(p, inset)
        p.end()

    def _draw_outline(self, p: QPainter, target: QRectF, poly: QPolygonF) -> None:
        """Dim the photo outside the aligned crop and outline the crop (turned with the face),
        both kept on the photo."""
        p.save()
        p.setClipRect(target)
        shade = QPainterPath()
        shade.setFillRule(Qt.FillRule.OddEvenFill)
        shade.addRect(target)
        shade.addPolygon(poly)
        shade.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(17, 24, 39, 140))
        p.drawPath(shade)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor("white"), 4))
        p.drawPolygon(poly)
        p.setPen(QPen(ACCENT, 2.5))
        p.drawPolygon(poly)
        p.restore()

    def _draw_inset(self, p: QPainter, box: QRectF) -> None:
        side = box.width()
        caption_h = box.height() - side
        p.setPen(QPen(QColor("#d1d5db"), 1))
        p.setBrush(QColor(255, 255, 255, 240))
        p.drawRoundedRect(box.adjusted(-4, -4, 4, 4), 8, 8)
        img_box = fit_rect(self.view.width(), self.view.height(), QRectF(box.x(), box.y(), side, side))
        p.drawImage(img_box, self.view)
        p.setPen(QPen(ACCENT, 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(img_box)
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() - 2))
        p.setFont(f)
        p.setPen(MUTED)
        p.drawText(QRectF(box.x() - 6, box.y() + side, side + 12, caption_h), Qt.AlignmentFlag.AlignCenter,
                   "model's input")


class SpectrogramView(QWidget):
    """A log-mel spectrogram image stretched to the widget, with a caption."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(60)
        self.image: QImage | None = None

    def sizeHint(self) -> QSize:
        return QSize(420, 150)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.image is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        r = QRectF(self.rect()).adjusted(4, 2, -4, -2)
        path = QPainterPath()
        path.addRoundedRect(r, 6, 6)
        p.setClipPath(path)
        p.drawImage(r, self.image)
        p.setClipping(False)
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() - 2))
        p.setFont(f)
        label = "log-mel spectrogram"
        w = p.fontMetrics().horizontalAdvance(label) + 12
        tag = QRectF(r.left() + 6, r.top() + 6, w, 18)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 120))
        p.drawRoundedRect(tag, 4, 4)
        p.setPen(QColor("white"))
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
        p.end()


def thumb(label: QLabel, image: QImage | None, size: int = 128, stretch: bool = False) -> None:
    """A picture in a square label; spectrograms are stretched to fill it (time is not geometry)."""
    if image is None:
        label.clear()
        return
    mode = Qt.AspectRatioMode.IgnoreAspectRatio if stretch else Qt.AspectRatioMode.KeepAspectRatio
    label.setPixmap(QPixmap.fromImage(image).scaled(size - 4, size - 4, mode, Qt.TransformationMode.SmoothTransformation))
