"""Distance, verdict and threshold: re-judging never re-runs the model.

``VerdictPanel`` is the one way a verdict is drawn: Compare shows it wide, Live ``compact``
(stacked in one column for a side panel), for a reference (``set_distance``) or for the nearest person of the
gallery (``set_identity``). Moving the threshold re-judges what is shown at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QVBoxLayout,
    QWidget,
)

from siamgui.core.compare import Verdict
from siamgui.ui.charts.distance_scale import SCALE_MAX, DistanceScale
from siamgui.ui.pane import restyle

STEPS = 2000  # slider resolution: 0.001

PLAIN_WORDS = ("the same", "different")  # when no model says what its inputs are (Modality.subjects)


class VerdictPanel(QFrame):
    """Distance, SAME / DIFFERENT (or a person's name), the margin, and the threshold to move."""

    thresholdChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None, compact: bool = False,
                 waiting: str = "Waiting for two files"):
        super().__init__(parent)
        self.setObjectName("verdictPanel")
        self.compact = compact
        self.default_threshold = 0.5
        self.metric_name = "cosine"
        self.words = PLAIN_WORDS
        self.distance: float | None = None
        self.identity: str | None = None  # the nearest enrolled person, when judging against a gallery
        self.note = ""
        self._waiting = waiting
        self._syncing = False

        # distance
        self.distance_caption = QLabel("DISTANCE")
        self.distance_caption.setObjectName("caption")
        self.distance_label = QLabel("—")
        self.distance_label.setObjectName("distanceValue")
        dist_box = QVBoxLayout()
        dist_box.setSpacing(2)
        dist_box.addWidget(self.distance_caption)
        dist_box.addWidget(self.distance_label)
        dist_box.addStretch(1)

        # verdict
        self.verdict_label = QLabel(waiting)
        self.verdict_label.setObjectName("verdict")
        self.verdict_label.setProperty("verdict", "none")
        self.verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict_label.setMinimumWidth(0 if compact else 170)
        self.verdict_label.setWordWrap(True)
        self.words_label = QLabel("")
        self.words_label.setObjectName("verdictWords")
        self.words_label.setWordWrap(True)  # a narrow window wraps the sentence, never cuts it
        self.margin_label = QLabel("")
        self.margin_label.setObjectName("margin")
        verdict_box = QVBoxLayout()
        verdict_box.setSpacing(4)
        verdict_box.addWidget(self.verdict_label)
        verdict_box.addWidget(self.words_label)
        verdict_box.addWidget(self.margin_label)
        verdict_box.addStretch(1)

        # threshold
        self.threshold_caption = caption = QLabel("THRESHOLD")
        caption.setObjectName("caption")
        caption.setToolTip("Distances at or below the threshold are judged the same")
        self.scale = DistanceScale()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("thresholdSlider")
        self.slider.setRange(0, STEPS)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(50)
        self.slider.setToolTip("Distances at or below the threshold are judged the same")
        self.spin = QDoubleSpinBox()
        self.spin.setObjectName("thresholdSpin")
        self.spin.setRange(0.0, SCALE_MAX)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.01)
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(96)
        self.reset_button = QPushButton("Back to 0.500")  # short: it must fit a 960 px window
        self.reset_button.setObjectName("resetButton")
        self.reset_button.clicked.connect(lambda: self.reset_threshold())
        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.spin)
        controls.addWidget(self.reset_button)
        controls.addStretch(1)
        thr_box = QVBoxLayout()
        thr_box.setSpacing(2)
        thr_box.addWidget(caption)
        thr_box.addWidget(self.scale)
        thr_box.addWidget(self.slider)
        thr_box.addSpacing(4)
        thr_box.addLayout(controls)

        grid = QGridLayout(self)
        if compact:  # a side panel: distance, verdict and threshold stacked, every line wrapping
            grid.setContentsMargins(12, 10, 12, 10)
            grid.setVerticalSpacing(8)
            for box in (dist_box, verdict_box):
                box.takeAt(box.count() - 1)  # no stretch: the panel is as tall as its lines
            for label in (caption, self.distance_caption, self.margin_label):
                label.setWordWrap(True)
            grid.addLayout(dist_box, 0, 0)
            grid.addLayout(verdict_box, 1, 0)
            grid.addLayout(thr_box, 2, 0)
            self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        else:
            grid.setContentsMargins(20, 14, 20, 14)
            grid.setHorizontalSpacing(28)
            grid.addLayout(dist_box, 0, 0)
            grid.addLayout(verdict_box, 0, 1)
            grid.addLayout(thr_box, 0, 2)
            grid.setColumnStretch(0, 2)
            grid.setColumnStretch(1, 3)
            grid.setColumnStretch(2, 5)

        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)
        self.set_threshold(self.default_threshold)

    # --- model -----------------------------------------------------------------------------
    def set_model(self, metric: str, threshold: float, subjects: tuple[str, str] = PLAIN_WORDS,
                  card_threshold: float | None = None) -> None:
        """``threshold`` is the one in use: the user's calibrated one when stored, else the card's."""
        self.metric_name = metric
        self.default_threshold = float(threshold)
        self.words = tuple(subjects)
        self.distance_caption.setText(f"DISTANCE  ·  {metric}")
        calibrated = card_threshold is not None and abs(float(card_threshold) - float(threshold)) > 1e-9
        if calibrated:
            self.threshold_caption.setText(f"THRESHOLD  ·  calibrated {threshold:.3f} (card {card_threshold:.3f})")
            self.reset_button.setText(f"Back to {threshold:.3f}")
            self.reset_button.setToolTip(f"Back to the threshold stored by Calibrate ({threshold:.3f}); "
                                         f"the model card says {card_threshold:.3f}")
        else:
            self.threshold_caption.setText(f"THRESHOLD  ·  model default {threshold:.3f}")
            self.reset_button.setText(f"Back to {threshold:.3f}")
            self.reset_button.setToolTip(f"Back to the threshold stored in the model card ({threshold:.3f})")
        self.set_threshold(threshold)

    # --- threshold -------------------------------------------------------------------------
    @property
    def threshold(self) -> float:
        return float(self.spin.value())

    def set_threshold(self, value: float) -> None:
        value = min(max(float(value), 0.0), SCALE_MAX)
        self._syncing = True
        try:
            self.spin.setValue(value)
            self.slider.setValue(round(value / SCALE_MAX * STEPS))
        finally:
            self._syncing = False
        self._rejudge()
        self.thresholdChanged.emit(self.threshold)

    def reset_threshold(self) -> None:
        self.set_threshold(self.default_threshold)

    def _from_slider(self, pos: int) -> None:
        if not self._syncing:
            self.set_threshold(pos / STEPS * SCALE_MAX)

    def _from_spin(self, value: float) -> None:
        if not self._syncing:
            self.set_threshold(value)

    # --- distance --------------------------------------------------------------------------
    @property
    def verdict(self) -> Verdict | None:
        return None if self.distance is None else Verdict(self.distance, self.threshold)

    @property
    def state(self) -> str:
        """What the panel shows: "none" (waiting), "same" or "different" (nobody close enough, for a gallery)."""
        return str(self.verdict_label.property("verdict"))

    def set_distance(self, distance: float | None, waiting: str | None = None, note: str = "") -> None:
        """Judge ``distance`` against the threshold (``None``: show ``waiting``); ``note`` follows the margin."""
        self.distance = None if distance is None else float(distance)
        self.identity = None
        self.note = note
        if waiting is not None:
            self._waiting = waiting
        self._rejudge()

    def set_identity(self, name: str, distance: float, note: str = "") -> None:
        """The nearest enrolled person and their distance: named when under the threshold, else unknown."""
        self.distance, self.identity, self.note = float(distance), name, note
        self._rejudge()

    def _rejudge(self) -> None:
        v = self.verdict
        self.scale.set_values(self.threshold, self.distance)
        self.reset_button.setEnabled(abs(self.threshold - self.default_threshold) > 5e-4)
        if v is None:
            self.distance_label.setText("—")
            self.verdict_label.setText(self._waiting)
            self.verdict_label.setProperty("verdict", "none")
            self.words_label.setText("")
            self.margin_label.setText("")
        elif self.identity is not None:
            self.distance_label.setText(f"{v.distance:.3f}")
            self.verdict_label.setText(f"✓  {self.identity}" if v.same else "?  UNKNOWN")
            self.verdict_label.setProperty("verdict", "same" if v.same else "different")
            self.words_label.setText(f"The nearest enrolled person is {self.identity}." if v.same else
                                     f"Nobody is under the threshold; the nearest is {self.identity}.")
            self.margin_label.setText(self._margin_text(v))
        else:
            self.distance_label.setText(f"{v.distance:.3f}")
            same_words, diff_words = self.words
            if v.same:
                self.verdict_label.setText("✓  SAME")
                self.verdict_label.setProperty("verdict", "same")
                self.words_label.setText(f"The model judges these {same_words}.")
            else:
                self.verdict_label.setText("✗  DIFFERENT")
                self.verdict_label.setProperty("verdict", "different")
                self.words_label.setText(f"The model judges these {diff_words}.")
            self.margin_label.setText(self._margin_text(v))
        restyle(self.verdict_label)

    def _margin_text(self, v: Verdict) -> str:
        m = v.margin
        if abs(m) < 5e-4:
            text = f"Exactly at the threshold ({v.threshold:.3f})"
        else:
            side = "below" if m > 0 else "above"
            text = f"{abs(m):.3f} {side} the threshold ({v.threshold:.3f})"
        return text + (f"  ·  {self.note}" if self.note else "")
