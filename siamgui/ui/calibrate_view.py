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
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar,
    QPushButton, QSizePolicy, QSpinBox, QTabWidget, QVBoxLayout, QWidget,
)

from siamgui.core import thresholds
from siamgui.tasks import calibration
from siamgui.tasks.calibration import auc_text  # noqa: F401 - the view's figures and ROC title
from siamgui.ui.charts.axes import pct
from siamgui.ui.charts.histogram import DistanceHistogram
from siamgui.ui.charts.roc import RocPlot
from siamgui.ui.elided import ElidedLabel
from siamgui.ui.embedding_map import EmbeddingMap
from siamgui.ui.jobs import Job, Jobs, Outcome
from siamgui.ui.views import View

FAR_CHOICES = (0.001, 0.01, 0.05, 0.1)
NO_VALUE = -1.0  # the threshold box's "no value" (shown as a dash) before any calibration


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
        from siamgui.tasks.exports import write_rates_csv
        from siamgui.ui import saving

        if self.result is None:
            return
        path = saving.ask_path(self, "Save the rates", self._save_name("-rates.csv"), saving.CSV, ".csv")
        if path is not None:
            self.status.emit(saving.write_with(write_rates_csv, self.result, path))

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
