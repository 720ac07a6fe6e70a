"""Calibrate: choose the threshold on your own data, and see what it costs.

Pick a folder with one sub-folder per class (or a labelled pairs CSV). A background worker
embeds every file once (progress bar, Cancel), builds balanced same / different pairs and
measures them; the view then shows the two distance histograms, the ROC curve with its AUC and
EER, and the threshold as a line to drag, with the false-accept and false-reject rates it gives.
"Use this threshold" stores it for this model file (the model is not changed); the Embedding
map tab shows the same embeddings (or the gallery's) on a 2-D PCA projection.
"""

from __future__ import annotations

import html

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar,
    QPushButton, QSizePolicy, QSpinBox, QTabWidget, QVBoxLayout, QWidget,
)

from siamgui.core import thresholds
from siamgui.tasks import calibration
from siamgui.tasks.calibration import auc_text  # noqa: F401 - the view's figures and ROC title
from siamgui.ui.elided import ElidedLabel
from siamgui.ui.embedding_map import EmbeddingMap
from siamgui.ui.jobs import Job, Jobs, Outcome
from siamgui.ui.views import View

ACCENT = QColor("#4f46e5")
INK = QColor("#111827")
MUTED = QColor("#6b7280")
GRID = QColor("#e5e7eb")
SAME = QColor("#16a34a")
DIFF = QColor("#dc2626")
FAR_CHOICES = (0.001, 0.01, 0.05, 0.1)
BINS = 40
NO_VALUE = -1.0  # the threshold box's "no value" (shown as a dash) before any calibration


def pct(x: float) -> str:
    return f"{100 * x:.2f}%" if x < 0.1 else f"{100 * x:.1f}%"


# --- background work (on the window's job runner, in a lane of its own) -------------------
LANE = "calibrate"  # one calibration (or gallery map) at a time; the shared pool stays free for the views


@dataclass
class CalibrationOutcome:
    result: calibration.Calibration | None = None
    points: np.ndarray | None = None  # PCA of the embeddings
    explained: np.ndarray | None = None
    names: list[str] | None = None  # gallery map: person per point


def _run_calibration(encoder, source: str, max_pairs: int, segment_s: float | None,
                     cancel: threading.Event, progress,
                     max_files: int = calibration.DEFAULT_MAX_FILES) -> CalibrationOutcome:
    from siamgui.core.projection import pca_2d

    plan = calibration.plan(source, encoder.modality.medium, max_files=max_files,
                            seed=0, segment_s=segment_s)
    result = calibration.calibrate(encoder, plan, max_pairs=max_pairs, seed=0, progress=progress,
                                   cancelled=cancel.is_set)
    proj = pca_2d(result.embeddings)
    return CalibrationOutcome(result=result, points=proj.points, explained=proj.explained)


# --- plots ---------------------------------------------------------------------------------
class _Plot(QWidget):
    MARGINS = (52, 28, 16, 36)  # left, top, right, bottom

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 170)

    def plot_rect(self) -> QRectF:
        left, top, right, bottom = self.MARGINS
        return QRectF(self.rect()).adjusted(left, top, -right, -bottom)

    def _small_font(self) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(max(7.5, f.pointSizeF() - 1.5))
        return f

    def _empty(self, p: QPainter, text: str) -> None:
        p.setPen(MUTED)
        p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = max(hi - lo, 1e-12)
    raw = span / count
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(start, hi + step * 0.001, step)]


class DistanceHistogram(_Plot):
    """Same-pair and different-pair distance histograms with a draggable threshold line."""

    MARGINS = (52, 46, 16, 36)  # the legend has a row of its own above the bars (never over them)
    thresholdChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("distanceHistogram")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Drag the line (or click, or use the arrow keys) to move the threshold")
        self.same = np.zeros(0)
        self.different = np.zeros(0)
        self.threshold = 0.5
        self.default_threshold: float | None = None
        self.lo, self.hi = 0.0, 2.0
        self._dragging = False
        self.legend_rects: list[QRectF] = []  # where the legend was last drawn (kept off the bars)

    def sizeHint(self) -> QSize:
        return QSize(560, 320)

    def set_data(self, same: np.ndarray, different: np.ndarray, threshold: float,
                 default_threshold: float | None = None) -> None:
        self.same, self.different = np.asarray(same, float), np.asarray(different, float)
        every = np.r_[self.same, self.different]
        top = float(every.max()) if len(every) else 2.0
        self.lo = 0.0
        self.hi = max(top * 1.05, threshold * 1.1, (default_threshold or 0) * 1.1, 1e-3)
        self.default_threshold = default_threshold
        self.set_threshold(threshold, emit=False)

    def clear(self) -> None:
        self.same = self.different = np.zeros(0)
        self.update()

    def set_threshold(self, value: float, emit: bool = True) -> None:
        value = float(min(max(value, self.lo), max(self.hi, value if not emit else self.hi)))
        if value == self.threshold:
            self.update()
            return
        self.threshold = value
        self.update()
        if emit:
            self.thresholdChanged.emit(value)

    def x_of(self, v: float) -> float:
        r = self.plot_rect()
        return r.left() + (v - self.lo) / (self.hi - self.lo) * r.width()

    def value_at(self, x: float) -> float:
        r = self.plot_rect()
        return self.lo + (x - r.left()) / max(r.width(), 1) * (self.hi - self.lo)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not len(self.same) and not len(self.different):
            self._empty(p, "Distances of same and different pairs appear here after a calibration.")
            return
        r = self.plot_rect()
        edges = np.linspace(self.lo, self.hi, BINS + 1)
        hs = calibration.histogram(self.same, edges)
        hd = calibration.histogram(self.different, edges)
        ymax = max(float(hs.max(initial=0)), float(hd.max(initial=0)), 1e-6) * 1.12
        xt = self.x_of(self.threshold)
        # zones: left of the line is judged "same", right "different"
        p.fillRect(QRectF(r.left(), r.top(), max(0.0, xt - r.left()), r.height()), QColor(22, 163, 74, 14))
        p.fillRect(QRectF(xt, r.top(), max(0.0, r.right() - xt), r.height()), QColor(220, 38, 38, 12))
        p.setFont(self._small_font())
        fm = p.fontMetrics()
        for v in nice_ticks(0, ymax, 4):
            y = r.bottom() - v / ymax * r.height()
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.setPen(MUTED)
            p.drawText(QRectF(0, y - 8, r.left() - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{100 * v:.3g}%")
        for v in nice_ticks(self.lo, self.hi, 6):
            x = self.x_of(v)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(x, r.bottom()), QPointF(x, r.bottom() + 4))
            p.setPen(MUTED)
            p.drawText(QRectF(x - 30, r.bottom() + 5, 60, 16), Qt.AlignmentFlag.AlignHCenter, f"{v:g}")
        p.drawText(QRectF(r.left(), r.bottom() + 18, r.width(), 14), Qt.AlignmentFlag.AlignHCenter, "distance")
        for hist, colour in ((hd, DIFF), (hs, SAME)):
            path = QPainterPath(QPointF(r.left(), r.bottom()))
            for i, h in enumerate(hist):
                y = r.bottom() - h / ymax * r.height()
                path.lineTo(QPointF(self.x_of(edges[i]), y))
                path.lineTo(QPointF(self.x_of(edges[i + 1]), y))
            path.lineTo(QPointF(r.right(), r.bottom()))
            path.closeSubpath()
            fill = QColor(colour)
            fill.setAlpha(70)
            p.setPen(QPen(colour, 1.6))
            p.setBrush(fill)
            p.drawPath(path)
        p.setPen(QPen(QColor("#9ca3af"), 1))
        p.drawLine(QPointF(r.left(), r.bottom()), QPointF(r.right(), r.bottom()))
        if (self.default_threshold is not None and self.lo <= self.default_threshold <= self.hi
                and abs(self.x_of(self.default_threshold) - xt) > 3):
            xd = self.x_of(self.default_threshold)
            p.setPen(QPen(MUTED, 1.2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(xd, r.top() + 14), QPointF(xd, r.bottom()))
            p.drawText(QRectF(xd + 3, r.top() + 14, 90, 14), Qt.AlignmentFlag.AlignLeft, "model card")
        # the threshold line and its handle
        p.setPen(QPen(ACCENT, 2.4))
        p.drawLine(QPointF(xt, r.top() - 4), QPointF(xt, r.bottom()))
        p.setBrush(ACCENT)
        p.drawEllipse(QPointF(xt, r.top() - 4), 5.5, 5.5)
        label = f"threshold {self.threshold:.3f}"
        w = fm.horizontalAdvance(label) + 12
        lx = xt + 9 if xt + 9 + w < r.right() else xt - 9 - w
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#eef2ff"))
        p.drawRoundedRect(QRectF(lx, r.top() - 12, w, 17), 4, 4)
        p.setPen(QColor("#3730a3"))
        p.drawText(QRectF(lx, r.top() - 12, w, 17), Qt.AlignmentFlag.AlignCenter, label)
        # legend: one row above the plot, clear of the bars and of the threshold label
        legend = [(SAME, f"same pairs ({len(self.same):,})"), (DIFF, f"different pairs ({len(self.different):,})")]
        x, y = r.left(), 2.0
        self.legend_rects = []
        for colour, text in legend:
            fill = QColor(colour)
            fill.setAlpha(110)
            p.setPen(QPen(colour, 1.2))
            p.setBrush(fill)
            p.drawRect(QRectF(x, y + 3, 11, 11))
            p.setPen(INK)
            width = fm.horizontalAdvance(text) + 4
            p.drawText(QRectF(x + 16, y, width, 17), Qt.AlignmentFlag.AlignVCenter, text)
            self.legend_rects.append(QRectF(x, y, 16 + width, 17))
            x += 16 + width + 18

    # --- dragging --------------------------------------------------------------------------
    def _near_line(self, x: float) -> bool:
        return abs(x - self.x_of(self.threshold)) <= 7

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and len(self.same) + len(self.different):
            self._dragging = True
            self.set_threshold(self.value_at(event.position().x()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        x = event.position().x()
        if self._dragging:
            self.set_threshold(self.value_at(x))
        self.setCursor(Qt.CursorShape.SizeHorCursor if self._dragging or self._near_line(x)
                       else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._dragging = False

    def keyPressEvent(self, event) -> None:  # noqa: N802
        step = (self.hi - self.lo) / (50 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 500)
        if event.key() == Qt.Key.Key_Left:
            self.set_threshold(self.threshold - step)
        elif event.key() == Qt.Key.Key_Right:
            self.set_threshold(self.threshold + step)
        else:
            super().keyPressEvent(event)


class RocPlot(_Plot):
    """True-accept rate against false-accept rate, with the EER point and the current threshold."""

    MARGINS = (52, 28, 16, 36)

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
        for v in (0.0, 0.25, 0.5, 0.75, 1.0):
            p.setPen(QPen(GRID, 1))
            p.drawLine(self.to_xy(v, 0, s), self.to_xy(v, 1, s))
            p.drawLine(self.to_xy(0, v, s), self.to_xy(1, v, s))
            p.setPen(MUTED)
            x = self.to_xy(v, 0, s)
            p.drawText(QRectF(x.x() - 20, s.bottom() + 4, 40, 14), Qt.AlignmentFlag.AlignHCenter, f"{v:g}")
            y = self.to_xy(0, v, s)
            p.drawText(QRectF(s.left() - 40, y.y() - 7, 34, 14),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{v:g}")
        p.drawText(QRectF(s.left(), s.bottom() + 18, s.width(), 16), Qt.AlignmentFlag.AlignHCenter,
                   "false-accept rate")
        p.save()
        p.translate(s.left() - 40, s.center().y())
        p.rotate(-90)
        p.drawText(QRectF(-s.height() / 2, -14, s.height(), 14), Qt.AlignmentFlag.AlignHCenter, "true-accept rate")
        p.restore()
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
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                   f"ROC  ·  AUC {auc_text(self.auc)}")


# --- the view ------------------------------------------------------------------------------
class CalibrateView(View):
    title = "Calibrate"
    tooltip = "Choose the threshold on your own data: histograms, ROC, false accepts and rejects"

    thresholdStored = Signal(object)  # the stored threshold (float), or None when reset to the card's

    def __init__(self, jobs: Jobs | None = None, parent: QWidget | None = None,
                 gallery_factory: Callable[[], Any] | None = None):
        super().__init__(parent)
        self.setObjectName("calibrateView")
        self.setStyleSheet("#rateValue { font-size: 22px; font-weight: 700; }")
        self.setAcceptDrops(True)
        self._own_jobs = jobs is None
        self.jobs: Jobs = jobs if jobs is not None else Jobs(self)
        self.gallery_factory = gallery_factory
        self.encoder = None
        self.result: calibration.Calibration | None = None
        self.source: str | None = None
        self._job: Job | None = None  # the calibration running now
        self._map_job: Job | None = None  # the gallery map being computed
        self.running = False
        self._build()
        self.set_encoder(None)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Calibrate")
        title.setObjectName("viewTitle")
        self.model_label = ElidedLabel("")
        self.model_label.setObjectName("muted")
        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(title)
        top.addSpacing(6)
        top.addWidget(self.model_label, 1)

        self.folder_button = QPushButton("Folder of classes…")
        self.folder_button.setObjectName("primaryButton")
        self.folder_button.setToolTip("A folder with one sub-folder per person, speaker or character")
        self.folder_button.clicked.connect(lambda: self.choose_folder())
        self.csv_button = QPushButton("Pairs CSV…")
        self.csv_button.setToolTip("A CSV with columns a,b,label (1 = same, 0 = different); paths relative to it")
        self.csv_button.clicked.connect(lambda: self.choose_csv())
        self.source_label = ElidedLabel("Drop a folder or a pairs CSV here, or choose one.",
                                        mode=Qt.TextElideMode.ElideMiddle)  # a path: keep both ends
        self.source_label.setObjectName("muted")
        self.pairs_spin = QSpinBox()
        self.pairs_spin.setRange(20, 100_000)
        self.pairs_spin.setSingleStep(500)
        self.pairs_spin.setValue(calibration.DEFAULT_MAX_PAIRS)
        self.pairs_spin.setGroupSeparatorShown(True)
        self.pairs_spin.setToolTip("At most this many pairs from a folder, half same and half different")
        self.pairs_caption = QLabel("pairs")
        self.files_spin = QSpinBox()
        self.files_spin.setRange(20, 1_000_000)
        self.files_spin.setSingleStep(1000)
        self.files_spin.setGroupSeparatorShown(True)
        self.files_spin.setValue(calibration.DEFAULT_MAX_FILES)
        self.files_spin.setToolTip("At most this many files from a folder: a larger folder is sampled at random "
                                   "(a fixed seed, an equal share per class); raise it to use more")
        self.files_caption = QLabel("files and")
        self.segment_check = QCheckBox("cut recordings into")
        self.segment_check.setChecked(True)
        self.segment_check.setToolTip("Audio: cut each recording into segments, so one recording per speaker "
                                      "still gives same-speaker pairs")
        self.segment_spin = QDoubleSpinBox()
        self.segment_spin.setRange(0.5, 30.0)
        self.segment_spin.setValue(2.0)
        self.segment_spin.setSuffix(" s")
        self.segment_spin.setDecimals(1)
        self.segment_check.toggled.connect(lambda on: self.segment_spin.setEnabled(on and not self.running))
        self.run_button = QPushButton("Run again")
        self.run_button.clicked.connect(lambda: self.rerun())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.progress = QProgressBar()
        self.progress.setObjectName("calibrateProgress")
        self.progress.setFixedHeight(6)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("muted")
        src = QHBoxLayout()
        src.setSpacing(8)
        src.addWidget(self.folder_button)
        src.addWidget(self.csv_button)
        src.addWidget(self.source_label, 1)
        src.addWidget(self.run_button)
        src.addWidget(self.cancel_button)
        # the limits on a line of their own: beside the source they pushed it (and the buttons) off at 1024 px
        self.limits_row = QHBoxLayout()
        self.limits_row.setSpacing(8)
        at_most = QLabel("From a folder, at most")
        at_most.setObjectName("muted")
        self.limits_row.addWidget(at_most)
        self.limits_row.addWidget(self.files_spin)
        self.limits_row.addWidget(self.files_caption)
        self.limits_row.addWidget(self.pairs_spin)
        self.limits_row.addWidget(self.pairs_caption)
        self.limits_row.addSpacing(12)
        self.limits_row.addWidget(self.segment_check)
        self.limits_row.addWidget(self.segment_spin)
        self.limits_row.addStretch(1)
        self.progress_row = QWidget()
        prog = QHBoxLayout(self.progress_row)
        prog.setContentsMargins(0, 0, 0, 0)
        prog.addWidget(self.progress, 1)
        prog.addWidget(self.progress_label)
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.error_label = QLabel("")
        self.error_label.setObjectName("paneError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        # distances tab
        self.histogram = DistanceHistogram()
        self.histogram.thresholdChanged.connect(self._threshold_moved)
        self.roc = RocPlot()
        plots = QHBoxLayout()
        plots.setSpacing(12)
        plots.addWidget(self._card(self.histogram), 3)
        plots.addWidget(self._card(self.roc), 2)
        self.figures = QLabel("")
        self.figures.setObjectName("calibrateFigures")
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.figures.setWordWrap(True)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setObjectName("thresholdSpin")
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setSingleStep(0.005)
        self.threshold_spin.setRange(NO_VALUE, 2.0)
        self.threshold_spin.setSpecialValueText("—")  # shown at the minimum: no value before a run
        self.threshold_spin.setValue(NO_VALUE)
        self.threshold_spin.valueChanged.connect(lambda v: self.set_threshold(v) if v > NO_VALUE else None)
        self.far_value = QLabel("–")
        self.frr_value = QLabel("–")
        self.acc_value = QLabel("–")
        for w in (self.far_value, self.frr_value, self.acc_value):
            w.setObjectName("rateValue")
        self.far_detail = QLabel("")
        self.frr_detail = QLabel("")
        self.acc_detail = QLabel("")
        for w in (self.far_detail, self.frr_detail, self.acc_detail):
            w.setObjectName("muted")
        self.far_combo = QComboBox()
        for far in FAR_CHOICES:
            self.far_combo.addItem(f"false accepts ≤ {pct(far) if far < 0.01 else f'{100 * far:g}%'}", far)
        self.far_combo.setCurrentIndex(FAR_CHOICES.index(calibration.DEFAULT_TARGET_FAR))
        self.far_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.far_combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.far_combo.setToolTip("Move the threshold to the largest distance that keeps false accepts at or "
                                  "below this rate on these pairs")
        self.far_combo.activated.connect(lambda i: self.apply_target_far(self.far_combo.itemData(i)))
        self.eer_button = QPushButton("Equal error")
        self.eer_button.setToolTip("Where false accepts and false rejects are equal")
        self.eer_button.clicked.connect(lambda: self.result and self.set_threshold(self.result.eer_threshold))
        self.default_button = QPushButton("Model card's value")
        self.default_button.setToolTip("Move the line to the threshold written in the model card (nothing is stored)")
        self.default_button.clicked.connect(lambda: self.encoder and self.set_threshold(self.encoder.default_threshold))
        self.use_button = QPushButton("Use this threshold")
        self.use_button.setObjectName("primaryButton")
        self.use_button.setToolTip("Store it for this model file; Compare, Live and identify then use it "
                                   "(the model file is not changed)")
        self.use_button.clicked.connect(lambda: self.use_threshold())
        self.use_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.forget_button = QPushButton("Forget my threshold")
        self.forget_button.setToolTip("Forget the threshold you stored for this model: Compare, Live and identify "
                                      "use the model card's threshold again")
        self.forget_button.clicked.connect(lambda: self.forget_threshold())
        self.stored_label = QLabel("")
        self.stored_label.setObjectName("muted")

        rates = QGridLayout()
        rates.setHorizontalSpacing(22)
        rates.setVerticalSpacing(2)
        cap = QLabel("THRESHOLD")
        cap.setObjectName("caption")
        rates.addWidget(cap, 0, 0)
        rates.addWidget(self.threshold_spin, 1, 0)
        rates.addWidget(self.stored_label, 2, 0)
        for col, (name, value, detail) in enumerate((("FALSE ACCEPTS", self.far_value, self.far_detail),
                                                     ("FALSE REJECTS", self.frr_value, self.frr_detail),
                                                     ("ACCURACY", self.acc_value, self.acc_detail)), start=1):
            c = QLabel(name)
            c.setObjectName("caption")
            rates.addWidget(c, 0, col)
            rates.addWidget(value, 1, col)
            rates.addWidget(detail, 2, col)
        rates.setColumnStretch(4, 1)
        presets = QHBoxLayout()
        presets.setSpacing(8)
        jump = QLabel("Move to:")
        jump.setObjectName("muted")
        presets.addWidget(jump)
        presets.addWidget(self.far_combo)
        presets.addWidget(self.eer_button)
        presets.addWidget(self.default_button)
        presets.addStretch(1)
        presets.addWidget(self.forget_button)
        presets.addWidget(self.use_button)
        panel = QFrame()
        panel.setObjectName("verdictPanel")
        pl = QVBoxLayout(panel)
        pl.setContentsMargins(16, 12, 16, 12)
        pl.setSpacing(8)
        pl.addWidget(self.figures)
        pl.addLayout(rates)
        pl.addLayout(presets)
        distances = QWidget()
        dl = QVBoxLayout(distances)
        dl.setContentsMargins(0, 8, 0, 0)
        dl.setSpacing(12)
        self.plots_box = QWidget()  # the two plots, as Save plots… writes them
        self.plots_box.setLayout(plots)
        dl.addWidget(self.plots_box, 1)
        dl.addWidget(panel)

        # map tab
        self.map = EmbeddingMap()
        self.map_source = QLabel("")
        self.map_source.setObjectName("muted")
        self.map_gallery_button = QPushButton("Map the gallery")
        self.map_gallery_button.setToolTip("Everyone enrolled, embedded with this model")
        self.map_gallery_button.clicked.connect(lambda: self.map_gallery())
        self.map_gallery_button.setVisible(self.gallery_factory is not None)
        self.map_folder_button = QPushButton("Map the calibration data")
        self.map_folder_button.clicked.connect(lambda: self._show_calibration_map())
        mt = QHBoxLayout()
        mt.addWidget(self.map_source, 1)
        mt.addWidget(self.map_folder_button)
        mt.addWidget(self.map_gallery_button)
        mapw = QWidget()
        ml = QVBoxLayout(mapw)
        ml.setContentsMargins(0, 8, 0, 0)
        ml.setSpacing(8)
        ml.addLayout(mt)
        ml.addWidget(self._card(self.map), 1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("calibrateTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(distances, "Distances and ROC")
        self.tabs.addTab(mapw, "Embedding map")
        self.save_plots_button = QPushButton("Save plots…")
        self.save_plots_button.setToolTip("The histograms and the ROC curve as a PNG picture")
        self.save_plots_button.clicked.connect(lambda: self.save_plots())
        self.save_rates_button = QPushButton("Save rates…")
        self.save_rates_button.setToolTip("False-accept, false-reject and accuracy at every threshold, as a CSV table")
        self.save_rates_button.clicked.connect(lambda: self.save_rates())
        for b in (self.save_plots_button, self.save_rates_button):
            b.setObjectName("compactButton")  # as tall as the tabs beside them
        corner = QWidget()
        cl = QHBoxLayout(corner)
        cl.setContentsMargins(0, 0, 0, 2)
        cl.setSpacing(6)
        cl.addWidget(self.save_plots_button)
        cl.addWidget(self.save_rates_button)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(src)
        layout.addLayout(self.limits_row)
        layout.addWidget(self.progress_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tabs, 1)
        self._set_running(False)
        self._show_result(None)

    @staticmethod
    def _card(widget: QWidget) -> QFrame:
        frame = QFrame()
        frame.setObjectName("pane")
        lay = QVBoxLayout(frame)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(widget)
        return frame

    # --- model -----------------------------------------------------------------------------
    def set_encoder(self, encoder) -> None:
        if self.running:
            self.cancel()

        def key(enc):
            return None if enc is None else enc.model_hash

        changed = key(encoder) != key(self.encoder)  # a reload on another device keeps the distances
        self.encoder = encoder
        segmentable = encoder is not None and encoder.modality.medium.segmentable  # long recordings cut
        self.segment_check.setVisible(segmentable)
        self.segment_spin.setVisible(segmentable)
        for w in (self.folder_button, self.csv_button):
            w.setEnabled(encoder is not None)
        if encoder is None:
            self.model_label.setText("no model loaded")
        else:
            self.model_label.setText(f"{encoder.name} model  ·  {encoder.card.modality}  ·  {encoder.card.metric} "
                                     "distance")
        if changed:  # nothing of the old model may stay: distances, threshold, message
            had = self.result is not None
            self._show_error("")
            self.progress_label.setText("")
            self._set_running(False)
            self._show_result(None, note="The model changed: run the calibration again for its distances."
                              if had else "")
        self._update_stored()
        self._update_buttons()

    # --- sources ---------------------------------------------------------------------------
    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder with one sub-folder per class", self.source or "")
        if path:
            self.start(path)

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labelled pairs CSV", self.source or "",
                                              "Pairs (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.start(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile() and self.encoder is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.start(event.mimeData().urls()[0].toLocalFile())

    def rerun(self) -> None:
        if self.source:
            self.start(self.source)

    def start(self, source: str | Path) -> None:
        """Embed and measure ``source`` on the job runner's calibration lane (never the UI thread)."""
        if self.encoder is None:
            return
        if self.running:
            self.cancel()
        self.source = str(source)
        enc = self.encoder
        segment = self.segment_spin.value() if (enc.modality.medium.segmentable and self.segment_check.isChecked()) \
            else None
        max_pairs = self.pairs_spin.value()
        max_files = self.files_spin.value()
        src = self.source
        self.source_label.setText(src)
        self.source_label.setToolTip(src)
        self._show_error("")  # an old error must not stand beside a new run
        self._set_running(True)
        self.progress.setRange(0, 0)
        self.progress_label.setText("Finding files…")
        self._job = self.jobs.start(
            lambda progress, cancel: _run_calibration(enc, src, max_pairs, segment, cancel, progress, max_files),
            self._finished, progress=self._progress, lane=LANE)

    def cancel(self) -> None:
        """Stop the running calibration; nothing it still reports is shown."""
        job, self._job = self._job, None
        if job is not None:
            job.cancel()
        if self.running:
            self.progress_label.setText("Cancelled.")
            self._set_running(False)

    def _set_running(self, on: bool) -> None:
        self.running = on
        self.progress.setVisible(on)
        self.progress_row.setVisible(on or bool(self.progress_label.text()))
        self.cancel_button.setVisible(on)
        self.run_button.setVisible(not on and self.source is not None)
        self.pairs_spin.setEnabled(not on)
        self.files_spin.setEnabled(not on)
        self.segment_spin.setEnabled(not on and self.segment_check.isChecked())
        self.segment_check.setEnabled(not on)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_label.setText(f"Embedding {done:,} of {total:,} files…")

    def _finished(self, outcome: Outcome) -> None:
        self._job = None
        self.progress_label.setText("")
        self._set_running(False)
        if not outcome.ok:  # the last good result (if any) stays on screen, said to be the previous one
            kept = f" The distances below are still those of {Path(self.result.source).name}." \
                if self.result is not None else ""
            self._show_error(f"Could not calibrate {Path(self.source).name}: {outcome.error}{kept}")
            return
        res = outcome.value.result
        if res.skipped:
            self.figures.setToolTip("Skipped:\n" + "\n".join(f"{Path(f).name}: {why}" for f, why in res.skipped[:25])
                                    + (f"\n… and {len(res.skipped) - 25} more" if len(res.skipped) > 25 else ""))
        else:
            self.figures.setToolTip("")
        self._map_points = (outcome.value.points, outcome.value.explained)
        self._show_result(res)
        self._show_calibration_map()

    # --- results ---------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _show_result(self, res: calibration.Calibration | None, note: str = "") -> None:
        self.result = res
        if res is None:
            self.histogram.clear()
            self.roc.clear()
            self.threshold_spin.blockSignals(True)
            self.threshold_spin.setValue(NO_VALUE)  # a dash, not 0.000, until there are distances
            self.threshold_spin.blockSignals(False)
            colour = "#6b7280"
            text = note or ("Choose a folder with one sub-folder per class (or a labelled pairs CSV): every file "
                            "is embedded once, then same and different pairs are measured.")
            self.figures.setText(f"<span style='color:{colour}'>{text}</span>")
            for w in (self.far_value, self.frr_value, self.acc_value):
                w.setText("–")
            for w in (self.far_detail, self.frr_detail, self.acc_detail):
                w.setText("")
            self._update_buttons()
            return
        what = (f"{len(res.items):,} files in {len({i.label for i in res.items}):,} classes" if res.kind == "folder"
                else f"{len(res.items):,} files from a pairs list")
        skipped = f", {len(res.skipped):,} skipped" if res.skipped else ""
        self.figures.setText(
            f"<b>{what}</b> (embedded in {res.seconds:.1f} s{skipped}) &nbsp;·&nbsp; {int(res.labels.sum()):,} same "
            f"and {int((~res.labels).sum()):,} different pairs &nbsp;·&nbsp; ROC AUC <b>{auc_text(res.auc)}</b> "
            f"&nbsp;·&nbsp; EER <b>{pct(res.eer)}</b> at {res.eer_threshold:.3f}"
            + (f"<br><span style='color:#92400e'>{html.escape(note)}</span>"
               if (note := calibration.sampling_note(res)) else ""))
        self.roc.set_curve(res.roc.far, res.roc.tpr, res.auc, res.eer)
        start = self.encoder.threshold if self.encoder is not None else res.default_threshold
        self.histogram.set_data(res.same, res.different, start, res.default_threshold)
        self.threshold_spin.blockSignals(True)
        self.threshold_spin.setRange(NO_VALUE, max(2.0, self.histogram.hi))
        self.threshold_spin.blockSignals(False)
        self.set_threshold(start)
        self._update_buttons()

    def _save_name(self, ending: str) -> str:
        name = Path(self.result.source).stem if self.result is not None else "calibration"
        model = self.encoder.name if self.encoder is not None else "model"
        return f"calibration-{model}-{name}{ending}"

    def save_plots(self) -> None:
        """The plots as they are on screen (threshold line included) to a PNG the user names."""
        from siamgui.ui import saving

        if self.result is None:
            return
        path = saving.ask_path(self, "Save the plots", self._save_name(".png"), saving.PNG, ".png")
        if path is not None:
            self.status.emit(saving.write_png(self.plots_box.grab(), path))

    def save_rates(self) -> None:
        """The rates at every distinct threshold to a CSV (tasks/exports.py, as the CLI would write them)."""
        from siamgui.errors import user_message
        from siamgui.tasks.exports import write_rates_csv
        from siamgui.ui import saving

        if self.result is None:
            return
        path = saving.ask_path(self, "Save the rates", self._save_name("-rates.csv"), saving.CSV, ".csv")
        if path is None:
            return
        try:
            write_rates_csv(self.result, path)
        except Exception as exc:  # noqa: BLE001 - one sentence in the status line, never a crash
            self.status.emit(f"Not saved: {user_message(exc)}")
            return
        self.status.emit(f"Saved {path}")

    def set_threshold(self, value: float) -> None:
        """Move the threshold (line, spin box, rates, ROC point) without re-embedding anything."""
        value = float(value)
        self.histogram.set_threshold(value, emit=False)
        if abs(self.threshold_spin.value() - value) > 5e-4:
            self.threshold_spin.blockSignals(True)
            self.threshold_spin.setValue(value)
            self.threshold_spin.blockSignals(False)
        self._update_rates(value)

    @property
    def threshold(self) -> float:
        return self.histogram.threshold

    def _threshold_moved(self, value: float) -> None:
        self.set_threshold(value)

    def apply_target_far(self, far: float) -> None:
        if self.result is not None:
            self.set_threshold(self.result.threshold_at_far(float(far)))

    def _update_rates(self, t: float) -> None:
        res = self.result
        if res is None:
            return
        r = res.rates_at(t)
        n_same, n_diff = int(res.labels.sum()), int((~res.labels).sum())
        fa = int(round(r["far"] * n_diff))
        fr = int(round(r["frr"] * n_same))
        self.far_value.setText(pct(r["far"]))
        self.frr_value.setText(pct(r["frr"]))
        self.acc_value.setText(pct(r["accuracy"]))
        self.far_detail.setText(f"{fa:,} of {n_diff:,} different pairs")
        self.frr_detail.setText(f"{fr:,} of {n_same:,} same pairs")
        self.acc_detail.setText(f"of {n_same + n_diff:,} pairs")
        self.far_detail.setToolTip("different pairs judged the same at this threshold")
        self.frr_detail.setToolTip("same pairs judged different at this threshold")
        self.roc.set_point(r["far"], 1.0 - r["frr"])
        self._update_buttons()

    # --- storing ---------------------------------------------------------------------------
    def use_threshold(self) -> None:
        if self.encoder is None or self.result is None:
            return
        t = self.threshold
        r = self.result.rates_at(t)
        thresholds.store(self.encoder.model_hash, t, model_name=self.encoder.name, source=self.result.source,
                         far=r["far"], frr=r["frr"], auc=self.result.auc, eer=self.result.eer,
                         pairs={"same": int(self.result.labels.sum()), "different": int((~self.result.labels).sum())})
        self._update_stored()
        self._update_buttons()
        self.thresholdStored.emit(t)
        self.status.emit(f"{self.encoder.name} now uses threshold {t:.3f} (model card's "
                         f"{self.encoder.default_threshold:.3f})")

    def forget_threshold(self) -> None:
        if self.encoder is None:
            return
        thresholds.clear(self.encoder.model_hash)
        self._update_stored()
        self._update_buttons()
        self.thresholdStored.emit(None)
        self.status.emit(f"{self.encoder.name} uses its model card's threshold {self.encoder.default_threshold:.3f} "
                         "again")

    def _update_stored(self) -> None:
        enc = self.encoder
        if enc is None:
            self.stored_label.setText("")
            return
        stored = thresholds.get(enc.model_hash)
        if stored is None:
            self.stored_label.setText(f"in use: {enc.default_threshold:.3f} (card)")
            self.stored_label.setToolTip(f"{enc.name} uses the threshold in its model card")
        else:
            self.stored_label.setText(f"in use: <b>{stored:.3f}</b> (yours)")
            self.stored_label.setToolTip(f"{enc.name} uses your threshold {stored:.3f}; its card says "
                                         f"{enc.default_threshold:.3f}")

    def _update_buttons(self) -> None:
        has = self.result is not None and self.encoder is not None
        for w in (self.use_button, self.eer_button, self.default_button, self.far_combo, self.threshold_spin):
            w.setEnabled(has)
        stored = thresholds.get(self.encoder.model_hash) if self.encoder is not None else None
        self.forget_button.setVisible(stored is not None)
        if has and stored is not None and abs(stored - self.threshold) < 5e-4:
            self.use_button.setEnabled(False)
        self.map_folder_button.setEnabled(self.result is not None)
        self.map_gallery_button.setEnabled(self.encoder is not None)
        for b in (self.save_plots_button, self.save_rates_button):
            b.setEnabled(self.result is not None)

    # --- map -------------------------------------------------------------------------------
    _map_points: tuple = (None, None)

    def _show_calibration_map(self) -> None:
        res = self.result
        points, explained = self._map_points
        if res is None or points is None:
            return
        labels = [it.label or Path(it.path).parent.name for it in res.items]
        self.map.set_points(points, labels, [Path(it.name).name for it in res.items], explained,
                            caption=f"{len(labels):,} embeddings of {Path(res.source).name}")
        self.map_source.setText(f"The calibration data, {len(set(labels)):,} classes; PCA of "
                                f"{res.embeddings.shape[1]}-d embeddings")

    def map_gallery(self, reembed: bool | None = None) -> None:
        """Map what the gallery holds for this model's kind, off the UI thread.

        Samples of this kind that the model has not embedded yet are embedded only when the user
        says so (``reembed``; None: count them first, on a job, and ask)."""
        if self.encoder is None or self.gallery_factory is None:
            return
        enc, factory = self.encoder, self.gallery_factory
        if reembed is None:
            from siamgui.tasks.enrolment import missing_count

            def counted(outcome: Outcome) -> None:
                if enc is not self.encoder:
                    return
                if not outcome.ok:
                    self.map_source.setText(f"Could not map the gallery: {outcome.error}")
                    return
                if not outcome.value:
                    self.map_gallery(False)
                    return
                from PySide6.QtWidgets import QMessageBox

                buttons = QMessageBox.StandardButton
                answer = QMessageBox.question(
                    self, "Map the gallery",
                    f"{outcome.value} enrolled sample(s) of {enc.modality.gallery_scope} people have no embedding from "
                    f"{enc.name} yet. Embed them now from the stored samples (Yes), or map only the samples "
                    "already embedded (No)?", buttons.Yes | buttons.No | buttons.Cancel, buttons.No)
                if answer != buttons.Cancel:
                    self.map_gallery(answer == buttons.Yes)

            self.jobs.submit(lambda: missing_count(factory(), enc), counted, lane=LANE)
            return
        if self._map_job is not None:
            self._map_job.cancel()  # the newest request wins

        def work(_progress, _cancel) -> CalibrationOutcome:
            from siamgui.tasks.enrolment import scope_of, sync_embeddings
            from siamgui.core.projection import pca_2d

            gallery = factory()
            if reembed:
                sync_embeddings(gallery, enc)
            _, _, names, vecs = gallery.matrix(enc.model_hash, scope_of(enc))  # this model's kind only
            names = list(names)
            proj = pca_2d(vecs) if len(vecs) else None
            return CalibrationOutcome(points=None if proj is None else proj.points,
                                      explained=None if proj is None else proj.explained, names=names)

        self.map_source.setText("Embedding the gallery…" if reembed else "Reading the stored embeddings…")
        self._map_job = self.jobs.start(work, self._gallery_finished, lane=LANE)

    def _gallery_finished(self, outcome: Outcome) -> None:
        self._map_job = None
        if not outcome.ok:
            self.map_source.setText(f"Could not map the gallery: {outcome.error}")
            return
        outcome = outcome.value
        names = outcome.names or []
        if not names:
            self.map.clear("Nobody is enrolled with this model yet.")
            self.map_source.setText("Nothing to map: nobody in the gallery has an embedding of this kind from "
                                    "this model.")
            return
        self.map.set_points(outcome.points, names, names, outcome.explained,
                            caption=f"{len(names):,} enrolled samples of {len(set(names)):,} people")
        self.map_source.setText(f"The gallery: {len(set(names)):,} people; PCA of the embeddings")

    # --- lifecycle -------------------------------------------------------------------------
    def shutdown(self) -> None:
        for job in (self._job, self._map_job):
            if job is not None:
                job.cancel()
        self._job = self._map_job = None
        if self._own_jobs:
            self.jobs.shutdown()
