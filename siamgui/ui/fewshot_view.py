"""Few-shot: name new inputs from a few examples per class, and see what one-shot means.

Choose a *support* folder (one sub-folder per class, a few examples each) or add example files
under a class name; every example is embedded once in the background. Then classify a folder of
class folders (accuracy and a confusion matrix) or some files (predictions); pick a query to see
the support examples nearest to it. *k-shot curve* draws N-way k-shot episodes from the support
set and plots accuracy as k grows from 1 to 10. Every embedding, fit and episode runs off the UI
thread (``tasks/fewshot.py`` does the work; this module only shows it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem,
    QPushButton, QSizePolicy, QVBoxLayout, QWidget,
)

from siamgui.media.medium import Medium
from siamgui.tasks import fewshot as fs
from siamgui.ui.analysis import qimage_from_array
from siamgui.ui.canvas import thumb
from siamgui.ui.charts.axes import ACCENT, BAD, GOOD  # noqa: F401 - ACCENT: the curve's colour, for tests
from siamgui.ui.charts.confusion import ConfusionMatrix
from siamgui.ui.charts.kshot import CurveChart
from siamgui.ui.drawpad import DrawPadPanel
from siamgui.ui.elided import ElidedLabel
from siamgui.ui.jobs import Latest
from siamgui.ui.views import View

RIGHT, WRONG = GOOD, BAD
NEIGHBOURS = 3
THUMB = 96  # a neighbour thumbnail's side
THUMB_DRAWING = 72  # in Draw mode the pad takes the matrix's column: smaller thumbnails fit at 1024 px
NARROW = 980  # a view narrower than this (a 1024 px window's is ~870) has the small thumbnails: room for the matrix
CLASSIFIER_TITLES = {"centroid": "Nearest class mean", "knn": "Nearest example", "svm": "Linear SVM"}


def svm_missing_sentence() -> str:
    """The install hint as the one sentence the view shows (capitalised, with a full stop)."""
    return fs.SVM_HINT[0].upper() + fs.SVM_HINT[1:] + "."


def drawings_dir() -> Path:
    """Where drawings kept as examples are saved: the user's data folder (one folder per class)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("siamgui", appauthor=False)) / "drawings"
CURVE_EPISODES = 100


# --- the view ------------------------------------------------------------------------------
@dataclass
class _Neighbours:
    query: Any  # QImage-able array or None
    rows: list[tuple[Path, str, float, Any]]  # file, class, distance, array or None


def _picture(path: Path, medium: Medium):
    """The picture of a file for a thumbnail (None for a medium without pictures, or an unreadable file)."""
    from siamgui.media.errors import MediaError

    try:
        return medium.picture(path)
    except (MediaError, OSError):
        return None


class FewShotView(View):
    title = "Few-shot"
    tooltip = "Classify inputs from a few examples per class; confusion matrix and k-shot curve"

    def __init__(self, jobs=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fewshotView")
        self.jobs = jobs
        self.encoder = None
        self.by_class: dict[str, list[Path]] = {}  # the support's sources
        self.support: fs.SupportSet | None = None
        self.result: fs.FewShotResult | None = None
        self.curve: tuple[int, list[fs.CurvePoint]] | None = None
        self.last_query: list[str] | None = None
        self.drawn_prediction: str | None = None  # the class the pad's drawing was given last
        # one request of each kind at a time: a newer one drops (and stops) the older
        self._latest = {kind: Latest(jobs) for kind in ("support", "query", "curve", "near", "drawing")}
        self.busy = False
        self._build()
        self.set_encoder(None)

    # --- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Few-shot")
        title.setObjectName("viewTitle")
        self.model_label = ElidedLabel("")
        self.model_label.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(6)
        top.addWidget(self.model_label, 1)

        self.support_button = QPushButton("Support folder…")
        self.support_button.setObjectName("primaryButton")
        self.support_button.setToolTip("A folder with one sub-folder per class, a few examples in each")
        self.support_button.clicked.connect(lambda: self.choose_support_folder())
        self.add_button = QPushButton("Add examples…")
        self.add_button.setToolTip("Add files as examples of one class (new or existing)")
        self.add_button.clicked.connect(lambda: self.add_examples())
        self.clear_button = QPushButton("Clear support")
        self.clear_button.clicked.connect(lambda: self.clear_support())
        self.add_drawing_button = QPushButton("Add drawing to a class…")
        self.add_drawing_button.setToolTip("Keep the drawing as an example of a class (saved in your data folder)")
        self.add_drawing_button.clicked.connect(lambda: self.add_drawing())
        self.support_label = ElidedLabel("No support set yet: choose a folder of class folders.",
                                         mode=Qt.TextElideMode.ElideMiddle)
        self.support_label.setObjectName("muted")
        row1 = QHBoxLayout()
        for w in (self.support_button, self.add_button, self.add_drawing_button, self.clear_button):
            row1.addWidget(w)
        row1.addWidget(self.support_label, 1)

        self.classifier_combo = QComboBox()
        for name, text in CLASSIFIER_TITLES.items():
            self.classifier_combo.addItem(text, name)
        self.classifier_combo.setToolTip("How a query is named from the support embeddings")
        self.classifier_combo.currentIndexChanged.connect(lambda _i: self._classifier_changed())
        self.query_folder_button = QPushButton("Classify folder…")
        self.query_folder_button.setToolTip("A folder of class folders (accuracy, confusion matrix) or of files")
        self.query_folder_button.clicked.connect(lambda: self.classify_folder())
        self.query_files_button = QPushButton("Classify files…")
        self.query_files_button.clicked.connect(lambda: self.classify_files())
        self.curve_button = QPushButton("k-shot curve")
        self.curve_button.setToolTip("N-way k-shot accuracy for k = 1..10, episodes drawn from the support set")
        self.curve_button.clicked.connect(lambda: self.draw_curve())
        self.draw_button = QPushButton("Draw a query")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Draw a query with the mouse or a pen: it is classified as you draw")
        self.draw_button.toggled.connect(lambda on: self.set_drawing(on))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("muted")
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Classifier"))
        row2.addWidget(self.classifier_combo)
        for w in (self.query_folder_button, self.query_files_button, self.draw_button, self.curve_button,
                  self.cancel_button):
            row2.addWidget(w)
        row2.addWidget(self.progress_label, 1)

        self.note_label = QLabel("")
        self.note_label.setObjectName("paneNote")
        self.note_label.setWordWrap(True)
        self.error_label = QLabel("")
        self.error_label.setObjectName("paneError")
        self.error_label.setWordWrap(True)
        self.summary_label = QLabel("")
        self.summary_label.setObjectName("sectionTitle")
        self.summary_label.setWordWrap(True)

        self.matrix = ConfusionMatrix()
        self.matrix.setMinimumWidth(200)  # leaves the prediction list its room at 1024 px
        self.chart = CurveChart()
        self.predictions = QListWidget()
        self.predictions.setMinimumWidth(200)  # "✓ 00056.png → 0  0.001" whole at 1024 px
        self.predictions.setToolTip("file → predicted class, then its distance (or the SVM's score)")
        self.predictions.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "…" in the name, never a cut score
        self.predictions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.predictions.currentRowChanged.connect(self._prediction_selected)
        near_box = QFrame()
        near_box.setObjectName("pane")
        near = QGridLayout(near_box)
        self.near_title = QLabel("Pick a query to see its nearest examples")
        self.near_title.setObjectName("muted")
        near.addWidget(self.near_title, 0, 0, 1, NEIGHBOURS + 1)
        self.query_thumb = QLabel()
        self.near_thumbs = [QLabel() for _ in range(NEIGHBOURS)]
        self.near_captions = [QLabel("") for _ in range(NEIGHBOURS)]
        self.query_caption = QLabel("query")
        for col, (t, c) in enumerate(zip([self.query_thumb, *self.near_thumbs],
                                         [self.query_caption, *self.near_captions])):
            t.setFixedSize(THUMB, THUMB)
            t.setAlignment(Qt.AlignmentFlag.AlignCenter)
            t.setFrameShape(QFrame.Shape.StyledPanel)
            c.setObjectName("caption")
            c.setAlignment(Qt.AlignmentFlag.AlignCenter)
            near.addWidget(t, 1, col)
            near.addWidget(c, 2, col)

        grid = QGridLayout()
        grid.addWidget(self.predictions, 0, 0, 2, 1)
        grid.addWidget(near_box, 0, 1)
        self.curve_note = QLabel("")  # why the k-shot curve ends before k = 10
        self.curve_note.setObjectName("muted")
        self.curve_note.setWordWrap(True)
        self.curve_note.hide()
        chart_box = QWidget()
        chart_lay = QVBoxLayout(chart_box)
        chart_lay.setContentsMargins(0, 0, 0, 0)
        chart_lay.setSpacing(2)
        chart_lay.addWidget(self.chart, 1)
        chart_lay.addWidget(self.curve_note)
        grid.addWidget(chart_box, 1, 1)
        grid.addWidget(self.matrix, 0, 2, 2, 1)
        self.drawpad = DrawPadPanel("Your query")
        self.drawpad.title.hide()  # the neighbours' title says "Your drawing": the room goes to the buttons
        for b in (self.drawpad.undo_button, self.drawpad.clear_button):  # never cut to "Jndo strok"
            b.setMinimumWidth(b.sizeHint().width())
        self.drawpad.pad.changed.connect(lambda: (self._update_buttons(), self.classify_drawing()))
        self.drawpad.hide()
        grid.addWidget(self.drawpad, 0, 2, 2, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.addLayout(top)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.note_label)
        lay.addWidget(self.error_label)
        self.save_predictions_button = QPushButton("Save predictions…")
        self.save_predictions_button.setToolTip("One row per query: file, predicted class, distance (or score), "
                                                "true class; a CSV table")
        self.save_predictions_button.clicked.connect(lambda: self.save_predictions())
        self.save_matrix_button = QPushButton("Save matrix…")
        self.save_matrix_button.setToolTip("The confusion matrix as a PNG picture")
        self.save_matrix_button.clicked.connect(lambda: self.save_matrix())
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary_label, 1)
        summary_row.addWidget(self.save_predictions_button)
        summary_row.addWidget(self.save_matrix_button)
        lay.addLayout(summary_row)
        lay.addLayout(grid, 1)
        for w in (self.predictions, self.matrix, self.chart):
            w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- state -----------------------------------------------------------------------------
    @property
    def classifier(self) -> str:
        return str(self.classifier_combo.currentData())

    @property
    def svm_missing(self) -> bool:
        """The chosen classifier is the SVM and scikit-learn is not installed: nothing can be classified."""
        return self.classifier == "svm" and not fs.svm_installed()

    def _update_buttons(self) -> None:
        has_model = self.encoder is not None
        self.support_button.setEnabled(has_model and not self.busy)
        self.add_button.setEnabled(has_model and not self.busy)
        self.clear_button.setEnabled(bool(self.by_class) and not self.busy)
        svm_missing = self.svm_missing
        ready = has_model and self.support is not None and not self.busy
        self.query_folder_button.setEnabled(ready and not svm_missing)  # nothing to run them with
        self.query_files_button.setEnabled(ready and not svm_missing)
        self.curve_button.setEnabled(ready and not svm_missing)
        self.cancel_button.setVisible(self.busy)
        drawable = has_model and self.encoder.modality.drawable
        self.draw_button.setVisible(drawable)
        self.draw_button.setEnabled(ready or self.draw_button.isChecked() or (drawable and not self.busy))
        self.add_drawing_button.setVisible(drawable and self.draw_button.isChecked())
        self.add_drawing_button.setEnabled(not self.busy and not self.drawpad.pad.empty)
        self.note_label.setText(svm_missing_sentence() if svm_missing else "")
        self.note_label.setVisible(svm_missing)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.progress_label.setText(text)
        self._update_buttons()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _submit(self, kind: str, fn, done) -> None:
        """Run ``fn`` on the pool; ``done(outcome)`` only if no newer request of ``kind`` came since."""
        self._latest[kind].submit(fn, done)

    def _start(self, kind: str, fn, done) -> None:
        """Run ``fn(report, cancel)`` on the pool, its progress shown while busy; a newer request
        of ``kind`` (or Cancel) sets ``cancel`` and drops both its progress and its ``done``."""
        self._latest[kind].start(fn, done, progress=self._progress)

    def _progress(self, done: int, total: int) -> None:
        if self.busy:
            self.progress_label.setText(f"embedding {done} of {total}…")

    # --- model -----------------------------------------------------------------------------
    def set_encoder(self, encoder) -> None:
        old = None if self.encoder is None else self.encoder.model_hash
        self.encoder = encoder
        if encoder is None:
            self.model_label.setText("no model loaded")
        else:
            self.model_label.setText(f"{encoder.name} model  ·  {encoder.card.modality}  ·  "
                                     f"{encoder.card.metric} distance")
        if (None if encoder is None else encoder.model_hash) != old:
            self.cancel()
            self.support, self.result, self.curve = None, None, None
            self._show_result()
            self._show_curve(None)
            self._show_error("")
            if encoder is not None and self.by_class:
                suffixes = set(encoder.modality.suffixes)
                if all(Path(f).suffix.lower() in suffixes for fs_ in self.by_class.values() for f in fs_):
                    self._embed_support(dict(self.by_class), "the model changed: embedding the support again")
                else:
                    self.by_class = {}
                    self.support_label.setText(f"The {encoder.name} model reads other files: choose a new "
                                               "support set.")
        if self.drawing and (encoder is None or not encoder.modality.drawable):
            self.draw_button.setChecked(False)
        self._update_buttons()

    def shutdown(self) -> None:
        self.cancel()

    # --- drawing ---------------------------------------------------------------------------
    @property
    def drawing(self) -> bool:
        return self.draw_button.isChecked()

    @property
    def thumb_side(self) -> int:
        return THUMB_DRAWING if self.drawing or self.width() < NARROW else THUMB

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt
        super().resizeEvent(event)
        if self.query_thumb.width() != self.thumb_side:
            self._size_thumbs()

    def _size_thumbs(self) -> None:
        """The neighbour thumbnails at the side the view's width and mode allow, pictures kept."""
        side = self.thumb_side
        for t in (self.query_thumb, *self.near_thumbs):
            t.setFixedSize(side, side)
            pm = t.pixmap()
            if pm is not None and not pm.isNull():
                t.setPixmap(pm.scaled(side - 4, side - 4, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))

    def set_drawing(self, on: bool) -> None:
        """The drawing pad takes the confusion matrix's place (and gives it back); the thumbnails
        shrink so the three columns fit a 1024 px screen."""
        self.drawpad.setVisible(on)
        self.matrix.setVisible(not on)
        self._size_thumbs()
        self._clear_neighbours()
        self._update_buttons()
        if on:
            self.classify_drawing()

    def classify_drawing(self) -> None:
        """Name the pad's drawing from the support set, in a job; its nearest examples beside it."""
        enc, support, name, panel = self.encoder, self.support, self.classifier, self.drawpad
        if not self.drawing or enc is None:
            return
        if self.svm_missing:
            self._latest["drawing"].forget()
            thumb(panel.seen, None)
            panel.caption.setText("Choose another classifier to classify the drawing.")
            return
        if support is None or panel.pad.empty:
            self._latest["drawing"].forget()
            thumb(panel.seen, None)
            panel.caption.setText("Choose a support set first." if support is None else
                                  "Draw: the query is classified as you draw.")
            return
        image = panel.pad.image()
        medium = enc.modality.medium

        def work():
            prepared = enc.prepare(image)
            emb = enc.embed_prepared([prepared])
            clf = fs.fit(support, name)
            best, score = clf.predict(emb)
            rows = fs.nearest_examples(support, emb[0], NEIGHBOURS)
            return (support.classes[int(best[0])], float(score[0]), clf.score_kind, prepared.view,
                    [(f, c, d, _picture(f, medium)) for f, c, d in rows])

        def done(outcome) -> None:
            if not outcome.ok:
                panel.caption.setText(outcome.error)
                return
            predicted, score, kind, view, rows = outcome.value
            seen = None if view is None else qimage_from_array(view)
            thumb(panel.seen, seen, 72)
            panel.caption.setText(f"Your drawing → {predicted}  ({kind} {score:.3f})")
            self.drawn_prediction = predicted
            self.near_title.setText("Your drawing: nearest support examples")
            thumb(self.query_thumb, seen, self.thumb_side)
            for t, c, (f, cls, d, pic) in zip(self.near_thumbs, self.near_captions, rows):
                thumb(t, None if pic is None else qimage_from_array(pic), self.thumb_side)
                c.setText(f"{cls}  {d:.3f}")
                c.setToolTip(str(f))

        self._submit("drawing", work, done)

    # --- support ---------------------------------------------------------------------------
    def choose_support_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Support: a folder with one sub-folder per class")
        if path:
            self.load_support_folder(path)

    def load_support_folder(self, folder: str | Path) -> None:
        enc = self.encoder
        if enc is None:
            return

        def read():
            return fs.read_support(folder, enc.modality.suffixes, enc.name)

        def done(outcome) -> None:
            if not outcome.ok:
                self._set_busy(False)
                self._show_error(outcome.error)
                return
            self._embed_support(outcome.value, f"embedding the support set from {folder}…")

        self._show_error("")
        self._set_busy(True, "reading the folder…")
        self._submit("support", read, done)

    def add_examples(self) -> None:
        if self.encoder is None:
            return
        files, _ = QFileDialog.getOpenFileNames(self, "Examples of one class", "", self.encoder.modality.file_filter)
        if not files:
            return
        guess = Path(files[0]).parent.name
        name, ok = QInputDialog.getText(self, "Class", f"Class of these {len(files)} example(s):", text=guess)
        name = name.strip()
        if not ok or not name:
            return
        by_class = {c: list(v) for c, v in self.by_class.items()}
        by_class.setdefault(name, [])
        by_class[name] += [Path(f) for f in files if Path(f) not in by_class[name]]
        self._stage_or_embed(by_class, name)

    def _stage_or_embed(self, by_class: dict[str, list[Path]], name: str, before=None) -> None:
        """Embed the support once it has two classes; until then keep the examples and say what is missing."""
        if len(by_class) >= 2:
            self._embed_support(by_class, "embedding the support set…", before)
            return

        def stage(outcome=None) -> None:
            if outcome is not None and not outcome.ok:
                self._set_busy(False)
                self._show_error(outcome.error)
                return
            self._set_busy(False)
            self.by_class, self.support = by_class, None
            self.support_label.setText(f"1 class ({name}: {len(by_class[name])} examples): add a second class.")
            self._update_buttons()

        if before is None:
            stage()
        else:
            self._set_busy(True, "saving the drawing…")
            self._submit("support", before, stage)

    def add_drawing(self) -> None:
        """Save the pad's drawing under a class in the data folder and add it to the support set."""
        if self.encoder is None or self.drawpad.pad.empty:
            return
        name, ok = QInputDialog.getText(self, "Class", "Class of this drawing:",
                                        text=self.drawn_prediction or "")
        name = name.strip()
        if not ok or not name:
            return
        import datetime as _dt
        import re

        folder = drawings_dir() / re.sub(r"[^\w\- ]", "_", name)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"drawing-{stamp}.png"
        image = self.drawpad.pad.image()

        def save() -> None:
            import cv2

            folder.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(path), image):
                raise OSError(f"could not write {path}")

        by_class = {c: list(v) for c, v in self.by_class.items()}
        by_class.setdefault(name, []).append(path)
        self.drawpad.pad.clear()
        self._stage_or_embed(by_class, name, save)

    def _embed_support(self, by_class: dict[str, list[Path]], text: str, before=None) -> None:
        enc = self.encoder

        def work(report, cancel: threading.Event):
            if before is not None:
                before()
            return fs.embed_support(enc, by_class, progress=report, cancelled=cancel.is_set)

        def done(outcome) -> None:
            self._set_busy(False)
            if not outcome.ok:
                if "cancelled" not in outcome.error.lower():
                    self._show_error(outcome.error)
                return
            self.by_class, self.support = by_class, outcome.value
            self.result, self.curve = None, None
            self._show_result()
            self._show_curve(None)
            self._show_support()
            self._update_buttons()
            self.classify_drawing()

        self._show_error("")
        self._set_busy(True, text)
        self._start("support", work, done)

    def _show_support(self) -> None:
        s = self.support
        if s is None:
            self.support_label.setText("No support set yet: choose a folder of class folders.")
            return
        counts = sorted(s.counts.values())
        each = f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"
        skipped = f"; {len(s.skipped)} file(s) left out" if s.skipped else ""
        examples = "example" if counts[-1] == 1 else "examples"  # short: a 1024 px window shows it whole
        self.support_label.setText(f"{len(s.classes)} classes × {each} {examples} ({len(s.files)}){skipped}"
                                   if counts[0] == counts[-1] else
                                   f"{len(s.classes)} classes, {each} {examples} each, {len(s.files)} in all{skipped}")
        self.support_label.setToolTip("\n".join(f"{c}: {n}" for c, n in s.counts.items()) +
                                      ("\n" + "\n".join(f"left out {f}: {w}" for f, w in s.skipped[:10])
                                       if s.skipped else ""))

    def clear_support(self) -> None:
        self.cancel()
        self.by_class, self.support, self.result, self.curve = {}, None, None, None
        self._show_support()
        self._show_result()
        self._show_curve(None)
        self._show_error("")
        self._update_buttons()

    def cancel(self) -> None:
        for latest in self._latest.values():
            latest.forget()  # whatever is in flight is no longer wanted (and long work stops)
        self._set_busy(False)

    # --- queries ---------------------------------------------------------------------------
    def classify_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Queries: a folder of class folders, or of files")
        if path:
            self.classify([path])

    def classify_files(self) -> None:
        if self.encoder is None:
            return
        files, _ = QFileDialog.getOpenFileNames(self, "Files to classify", "", self.encoder.modality.file_filter)
        if files:
            self.classify(files)

    def _classifier_changed(self) -> None:
        """Results of the other classifier go (never shown under the new one's name); then run again."""
        if self.result is not None and self.result.classifier != self.classifier:
            self.result = None
            self._show_result()
        if self.curve is not None:
            self.curve = None
            self._show_curve(None)
        self._show_error("")
        self._update_buttons()
        self.classify_drawing()
        if self.svm_missing:
            return  # the note says what to install, once
        if self.last_query and self.support is not None and not self.busy:
            self.classify(self.last_query)

    def classify(self, sources: list[str]) -> None:
        enc, support, name = self.encoder, self.support, self.classifier
        if enc is None or support is None:
            return
        self.last_query = list(sources)

        def work(report, cancel: threading.Event):
            queries = fs.plan_queries(sources, enc.modality.suffixes, enc.name)
            return fs.classify(enc, support, queries, name, progress=report, cancelled=cancel.is_set)

        def done(outcome) -> None:
            self._set_busy(False)
            if not outcome.ok:
                self._show_error(outcome.error)
                return
            if outcome.value.classifier != self.classifier:  # the classifier changed while it ran
                self._update_buttons()
                if not self.svm_missing:
                    self.classify(sources)
                return
            self.result = outcome.value
            self._show_result()

        self._show_error("")
        self._set_busy(True, "classifying…")
        self._start("query", work, done)

    def _show_result(self) -> None:
        r = self.result
        self.predictions.clear()
        self._clear_neighbours()
        self.save_predictions_button.setVisible(r is not None)
        self.save_matrix_button.setVisible(r is not None and r.labelled)
        if r is None:
            self.summary_label.setText("")
            self.matrix.set_matrix([], None)
            return
        what = "distance" if r.score_kind == "distance" else "score"
        for p in r.predictions:
            mark = "" if p.truth is None else ("✓ " if p.truth == p.predicted else "✗ ")
            item = QListWidgetItem(f"{mark}{Path(p.file).name} → {p.predicted}  {p.score:.3f}")
            if p.truth is not None:
                item.setForeground(RIGHT if p.truth == p.predicted else WRONG)
                item.setToolTip(f"{p.file}\ntrue class {p.truth}; {what} {p.score:.3f}")
            else:
                item.setToolTip(f"{p.file}\n{what} {p.score:.3f}")
            self.predictions.addItem(item)
        skipped = f"; {len(r.skipped)} left out" if r.skipped else ""
        if r.labelled:
            n = int(r.confusion.sum())
            self.summary_label.setText(f"Accuracy {r.accuracy:.1%}  ({int(np.trace(r.confusion))} of {n} right, "
                                       f"{len(r.classes)} classes, {CLASSIFIER_TITLES.get(r.classifier, r.classifier).lower()}; "
                                       f"{r.seconds:.2f} s{skipped})")
        else:
            self.summary_label.setText(f"{len(r.predictions)} file(s) classified ({r.seconds:.2f} s{skipped})")
        self.matrix.set_matrix(r.classes, r.confusion)

    # --- saving ----------------------------------------------------------------------------
    def _save_name(self, ending: str) -> str:
        model = self.encoder.name if self.encoder is not None else "model"
        return f"fewshot-{model}-{self.result.classifier if self.result else 'result'}{ending}"

    def save_predictions(self) -> None:
        """The predictions as a CSV (tasks/exports.py: what ``siamgui fewshot --out`` writes)."""
        from siamgui.tasks.exports import write_predictions_csv
        from siamgui.ui import saving

        if self.result is None:
            return
        path = saving.ask_path(self, "Save the predictions", self._save_name(".csv"), saving.CSV, ".csv")
        if path is not None:
            self.status.emit(saving.write_with(write_predictions_csv, self.result, path))

    def save_matrix(self) -> None:
        """The confusion matrix drawn at a size where every class has room, as a PNG."""
        from siamgui.ui import saving

        r = self.result
        if r is None or not r.labelled:
            return
        path = saving.ask_path(self, "Save the confusion matrix", self._save_name("-confusion.png"), saving.PNG,
                               ".png")
        if path is None:
            return
        picture = ConfusionMatrix()  # off screen: the view's own may be small, or hidden by the drawing pad
        picture.set_matrix(r.classes, r.confusion)
        side = 56 + 36 * len(r.classes) + 12
        picture.resize(max(320, side), max(300, side))
        self.status.emit(saving.write_png(picture.grab(), path))

    def _clear_neighbours(self) -> None:
        self.near_title.setText("Pick a query to see its nearest examples")
        for t in (self.query_thumb, *self.near_thumbs):
            t.clear()
        for c in self.near_captions:
            c.setText("")

    def _prediction_selected(self, row: int) -> None:
        r, support, enc = self.result, self.support, self.encoder
        if r is None or support is None or enc is None or not 0 <= row < len(r.predictions):
            return
        query = r.query_embeddings[row]
        pred = r.predictions[row]
        medium = enc.modality.medium

        def work():
            rows = fs.nearest_examples(support, query, NEIGHBOURS)
            return _Neighbours(_picture(Path(pred.file), medium),
                               [(f, c, d, _picture(f, medium)) for f, c, d in rows])

        def done(outcome) -> None:
            if not outcome.ok:
                self._show_error(outcome.error)
                return
            nb: _Neighbours = outcome.value
            self.near_title.setText(f"{Path(pred.file).name}: nearest support examples ({support.metric} distance)")
            thumb(self.query_thumb, None if nb.query is None else qimage_from_array(nb.query), self.thumb_side)
            for t, c, (f, cls, d, pic) in zip(self.near_thumbs, self.near_captions, nb.rows):
                thumb(t, None if pic is None else qimage_from_array(pic), self.thumb_side)
                if pic is None:
                    t.setText(Path(f).name)
                c.setText(f"{cls}  {d:.3f}")
                c.setToolTip(str(f))

        self._submit("near", work, done)

    # --- curve -----------------------------------------------------------------------------
    def _show_curve(self, curve: tuple[int, list[fs.CurvePoint]] | None) -> None:
        """Draw the curve, and say under it why it stops short of k = 10 when it does."""
        n, points = curve if curve is not None else (0, [])
        self.chart.set_curve(n, points)
        note = fs.curve_stop_reason(self.support, n, points) if points and self.support is not None else ""
        self.curve_note.setText(note)
        self.curve_note.setVisible(bool(note))

    def draw_curve(self) -> None:
        support, name = self.support, self.classifier
        if support is None:
            return
        def work(_report, cancel: threading.Event):
            return fs.k_shot_curve(support, episodes=CURVE_EPISODES, classifier=name, cancelled=cancel.is_set)

        def done(outcome) -> None:
            self._set_busy(False)
            if not outcome.ok:
                self._show_error(outcome.error)
                return
            if name != self.classifier:  # drawn with the classifier the user has since left
                return
            self.curve = outcome.value
            self._show_curve(self.curve)

        self._show_error("")
        self._set_busy(True, "drawing episodes…")
        self._start("curve", work, done)
