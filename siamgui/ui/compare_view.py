"""Compare: two files side by side, their distance, a verdict and a threshold to move."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

from siamgui.kinds.samples import no_samples_note
from siamgui.ui import resources, why
from siamgui.ui.analysis import AudioDisplay, analyse, qimage_from_array
from siamgui.ui.canvas import thumb
from siamgui.ui.drawpad import DrawPadPanel
from siamgui.ui.elided import ElidedLabel
from siamgui.ui.jobs import Jobs, Latest, Outcome
from siamgui.ui.pane import InputPane
from siamgui.ui.player import Player
from siamgui.ui.verdict import VerdictPanel
from siamgui.ui.views import View

SIDES = ("A", "B")
SAME_FILE_NOTE = "The same file as A: a file's distance to itself is 0 whatever the model, so this tells nothing."


class CompareView(View):
    title = "Compare"
    tooltip = "Compare two files with the current model"

    def __init__(self, jobs: Jobs, parent: QWidget | None = None, samples_root: Path | None = None):
        super().__init__(parent)
        self.setObjectName("compareView")
        self.jobs = jobs
        self.encoder = None
        self.samples_root = samples_root
        self.runs = 0  # analyses started (tests check the threshold never triggers one)
        self._analyses = {s: Latest(jobs) for s in SIDES}  # only a side's newest file is drawn

        title = QLabel("Compare")
        title.setObjectName("viewTitle")
        self.model_label = ElidedLabel("", parts="  ·  ")  # a long card description ends in "…", never mid-word
        self.model_label.setObjectName("muted")
        self.samples_button = QToolButton()
        self.samples_button.setObjectName("samplesButton")
        self.samples_button.setText("Samples")
        self.samples_button.setToolTip("Load a shipped sample pair for this model")
        self.samples_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.samples_menu = QMenu(self.samples_button)
        self.samples_button.setMenu(self.samples_menu)
        self.swap_button = QPushButton("Swap")
        self.swap_button.setToolTip("Swap A and B")
        self.swap_button.clicked.connect(lambda: self.swap())
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove both files")
        self.clear_button.clicked.connect(lambda: self.clear())
        self.draw_button = QPushButton("Draw B")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Draw side B with the mouse or a pen: the distance updates as you draw")
        self.draw_button.toggled.connect(lambda on: self.set_drawing(on))
        self.drawn = None  # embedding of the drawing (side B while drawing)
        self._drawings = Latest(jobs)  # only the newest drawing is judged
        self.why_button = why.make_button()
        self.why_button.clicked.connect(lambda: self.explain())
        self.why_maps = None  # the last PairMaps shown
        self.why_dialog: QDialog | None = None
        self.why_job = why.WhyJob(jobs, self.why_button, self.status.emit)
        self.why_picture_array = None  # the last rendered maps (what Save PNG… writes)
        self.folder_button = QPushButton("Against a folder…")
        self.folder_button.setToolTip("Rank every file of a folder by its distance to A, each with its verdict")
        self.folder_button.clicked.connect(lambda: self.choose_rank_folder())
        self.rank_dialog = None
        self.rank_job = None
        self.ranking = None  # the last Ranking shown
        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(title)
        top.addSpacing(6)
        top.addWidget(self.model_label, 1)
        top.addWidget(self.samples_button)
        top.addWidget(self.draw_button)
        top.addWidget(self.why_button)
        top.addWidget(self.folder_button)
        top.addWidget(self.swap_button)
        top.addWidget(self.clear_button)

        self.panes = {s: InputPane(s) for s in SIDES}
        panes = QHBoxLayout()
        panes.setSpacing(16)
        for side, pane in self.panes.items():
            pane.fileChosen.connect(lambda path, side=side: self.load(side, path))
            pane.playRequested.connect(lambda side=side: self.toggle_play(side))
            panes.addWidget(pane, 1)
        self.drawpad = DrawPadPanel("B: your drawing")
        self.drawpad.pad.changed.connect(lambda: self.judge_drawing())
        self.drawpad.hide()
        panes.addWidget(self.drawpad, 1)

        self.verdict = VerdictPanel()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addLayout(panes, 1)
        layout.addWidget(self.verdict)

        self.player = Player(self)
        self._play_side: str | None = None
        self._play_id = 0
        self.player.failed.connect(self._play_failed)
        self.player.finished.connect(self._play_finished)
        self._refresh_samples()

    # --- model -----------------------------------------------------------------------------
    def set_encoder(self, encoder) -> None:
        self.encoder = encoder
        self.stop_playback()
        drawable = encoder is not None and encoder.modality.drawable
        self.draw_button.setVisible(drawable)
        if not drawable and self.draw_button.isChecked():
            self.draw_button.setChecked(False)
        if encoder is None:
            self.model_label.setText("")
            self._refresh_samples()
            return
        card = encoder.card
        self.model_label.setText(f"{card.name} model  ·  {card.modality}  ·  {card.description}".rstrip(" ·"))
        self.model_label.setToolTip(f"<p>{escape(card.description)}</p><p>{escape(str(encoder.path))}</p>")  # wraps
        medium = encoder.modality.medium
        for pane in self.panes.values():
            pane.set_modality(medium)
        self._show_model_threshold()
        self._refresh_samples()
        for side, pane in self.panes.items():  # judge what is loaded with the new model
            path = pane.path
            if path is not None and medium.holds(path):
                self.load(side, path)
            else:
                self._analyses[side].forget()
                pane.clear()
                if path is not None:  # a photo for a voice model (or the reverse): say why it went
                    pane.show_note(medium.removed_note(path, card.name))
        if self.drawing:
            self.judge_drawing()
        self._update_verdict()

    def _show_model_threshold(self) -> None:
        """The threshold in use (calibrated, else the card's) and the card's, on the verdict panel."""
        card = self.encoder.card
        self.verdict.set_model(card.metric, self.encoder.threshold, self.encoder.modality.subjects,
                               card_threshold=card.threshold)

    def threshold_stored(self) -> None:
        """Calibrate stored (or cleared) a threshold for this model: judge with it from now on."""
        if self.encoder is not None:
            self._show_model_threshold()
            self._update_verdict()

    def _refresh_samples(self) -> None:
        self.samples_menu.clear()
        pairs = resources.sample_pairs(self.encoder.card, self.samples_root) if self.encoder else []
        for pair in pairs:
            action = self.samples_menu.addAction(f"{pair.title}   ({pair.a.name} · {pair.b.name})")
            action.setData(pair.key)
            action.triggered.connect(lambda checked=False, pair=pair: self.load_pair(pair.a, pair.b))
        self.sample_pairs = pairs
        note = no_samples_note(self.encoder.card) if self.encoder and not pairs else ""
        if note:  # none may ship (e.g. clips without a licence): the menu says so and what to open instead
            action = self.samples_menu.addAction("No samples for this model: why?")
            action.setToolTip(note)
            action.triggered.connect(lambda checked=False, note=note: self.panes["A"].show_note(note))
        self.samples_button.setToolTip(note or "Load a shipped sample pair for this model")
        self.samples_button.setVisible(bool(pairs or note))

    # --- files -----------------------------------------------------------------------------
    def load(self, side: str, path: str | Path) -> None:
        """Analyse one file on a pool thread; only the latest request for a side is drawn."""
        pane = self.panes[side]
        if self.encoder is None:
            pane.show_error("Choose a model first.")
            return
        encoder = self.encoder
        if self._play_side == side:
            self.stop_playback()
        pane.set_busy(path)
        self.runs += 1
        self._update_verdict()
        self._analyses[side].submit(lambda: analyse(encoder, path),
                                    lambda outcome: self._analysed(side, encoder, outcome))

    def load_pair(self, a: str | Path, b: str | Path) -> None:
        self.load("A", a)
        self.load("B", b)

    def _analysed(self, side: str, encoder, outcome: Outcome) -> None:
        if encoder is not self.encoder:
            return  # a newer model has replaced this one (a newer file's request dropped this one)
        pane = self.panes[side]
        if outcome.ok:
            pane.show_result(outcome.value)
        else:
            pane.show_error(outcome.error, outcome.partial)
        self._update_verdict()

    def clear(self) -> None:
        self.stop_playback()
        for side, pane in self.panes.items():
            self._analyses[side].forget()
            pane.clear()
        if self.drawing:
            self.drawpad.pad.clear()
        self._update_verdict()

    def swap(self) -> None:
        a, b = self.panes["A"].path, self.panes["B"].path
        for side, path in (("A", b), ("B", a)):
            if path is not None:
                self.load(side, path)
            else:
                self._analyses[side].forget()
                self.panes[side].clear()
        self._update_verdict()

    # --- why: occlusion maps ----------------------------------------------------------------------
    def explain(self) -> None:
        """Occlusion maps of the pair in a job (siamgui/ui/why.py), shown in a small window."""
        a = self.panes["A"].path
        b = self.drawpad.pad.image() if self.drawing and not self.drawpad.pad.empty else self.panes["B"].path
        if self.encoder is None or a is None or b is None:
            self.status.emit("Why? needs a model and two inputs: open A and B first.")
            return
        encoder = self.encoder
        self.why_job.start(encoder, a, b, self._show_why, current=lambda: encoder is self.encoder)

    def _show_why(self, maps, picture) -> None:
        self.why_maps = maps
        if self.why_dialog is None:
            self.why_dialog = QDialog(self)
            self.why_dialog.setObjectName("whyDialog")
            self.why_dialog.setWindowTitle("Why? Occlusion maps")
            box = QVBoxLayout(self.why_dialog)
            self.why_picture = QLabel()
            self.why_caption = QLabel()
            self.why_caption.setWordWrap(True)
            self.why_save_button = QPushButton("Save PNG…")
            self.why_save_button.setToolTip("Save the maps and their legend as a PNG picture")
            self.why_save_button.clicked.connect(lambda: self.save_why())
            box.addWidget(self.why_picture)
            box.addWidget(self.why_caption)
            box.addWidget(self.why_save_button, 0, Qt.AlignmentFlag.AlignRight)
        self.why_picture_array = picture
        self.why_picture.setPixmap(QPixmap.fromImage(why.pair_image(picture)))
        self.why_caption.setText(why.caption(maps))
        self.why_dialog.show()
        self.why_dialog.raise_()

    def save_why(self) -> None:
        """The Why? maps as a PNG, where the user says (the picture ``siamgui explain --out`` writes)."""
        from siamgui.ui import saving

        if self.why_picture_array is None:
            return
        a, b = (self.panes[s].path for s in SIDES)
        name = f"why-{a.stem if a else 'a'}-{b.stem if b else 'drawing'}.png"
        path = saving.ask_path(self.why_dialog or self, "Save the Why? maps", name, saving.PNG, ".png")
        if path is not None:
            self.status.emit(saving.write_png(why.pair_image(self.why_picture_array), path))

    # --- one file against a folder ---------------------------------------------------------------
    def choose_rank_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        if self.encoder is None or self.panes["A"].embedding is None:
            self.status.emit("Open file A first: the folder's files are ranked by their distance to it.")
            return
        folder = QFileDialog.getExistingDirectory(self, "A folder to rank against A")
        if folder:
            self.rank_folder(folder)

    def rank_folder(self, folder: str | Path) -> None:
        """Embed the folder's files in a job and list them nearest first, each judged at the threshold."""
        from siamgui.tasks import ranking
        from siamgui.ui.rank_dialog import RankDialog

        pane, encoder = self.panes["A"], self.encoder
        if encoder is None or pane.embedding is None:
            return
        self.cancel_ranking()
        query, emb, threshold, folder = pane.path, pane.embedding, self.verdict.threshold, Path(folder)
        if self.rank_dialog is None:
            self.rank_dialog = RankDialog(self)
            self.rank_dialog.chosen.connect(lambda path: self.load("B", path))
            self.rank_dialog.cancelled.connect(lambda: self.cancel_ranking())
        dialog = self.rank_dialog
        dialog.start(query, folder)
        dialog.show()
        dialog.raise_()

        def done(outcome: Outcome) -> None:
            self.rank_job = None
            if encoder is not self.encoder:
                dialog.failed("The model changed: rank the folder again.")
                return
            if not outcome.ok:
                dialog.failed(outcome.error)
                return
            self.ranking = outcome.value
            dialog.show_ranking(self.ranking)

        self.rank_job = self.jobs.start(
            lambda report, cancel: ranking.rank_folder(encoder, query, emb, folder, threshold, progress=report,
                                                       cancelled=cancel.is_set),
            done, progress=dialog.progress)

    def cancel_ranking(self) -> None:
        job, self.rank_job = self.rank_job, None
        if job is not None:
            job.cancel()
            if self.rank_dialog is not None:
                self.rank_dialog.failed("Cancelled.")

    # --- drawing -----------------------------------------------------------------------------
    @property
    def drawing(self) -> bool:
        return self.draw_button.isChecked()

    def set_drawing(self, on: bool) -> None:
        """Side B becomes the drawing pad (and back)."""
        self.panes["B"].setVisible(not on)
        self.drawpad.setVisible(on)
        self.swap_button.setEnabled(not on)
        self.drawn = None
        self._drawings.forget()
        if on:
            self.judge_drawing()
        self._update_verdict()

    def judge_drawing(self) -> None:
        """Embed the pad's drawing in a job; only the newest drawing's result is shown."""
        self._drawings.forget()
        encoder, panel = self.encoder, self.drawpad
        if encoder is None or not self.drawing:
            return
        if panel.pad.empty:
            self.drawn = None
            thumb(panel.seen, None)
            panel.caption.setText("Draw a character or a digit: the distance updates as you draw.")
            self._update_verdict()
            return
        image = panel.pad.image()

        def work():
            prepared = encoder.prepare(image)
            return encoder.embed_prepared([prepared])[0], prepared.view

        def done(outcome: Outcome) -> None:
            if encoder is not self.encoder:
                return
            if outcome.ok:
                self.drawn, view = outcome.value
                thumb(panel.seen, None if view is None else qimage_from_array(view), 72)
                panel.caption.setText("What the model saw (left).")
            else:
                self.drawn = None
                panel.caption.setText(outcome.error)
            self._update_verdict()

        self._drawings.submit(work, done)

    def _update_verdict(self) -> None:
        ea, eb = (self.panes[s].embedding for s in SIDES)
        if self.drawing:
            eb = self.drawn
            if self.encoder is not None and ea is not None and eb is not None:
                self.verdict.set_distance(self.encoder.distance(ea, eb))
            else:
                self.verdict.set_distance(None, "Open file A and draw B" if ea is None else "Draw on the pad")
            return
        if self.encoder is not None and ea is not None and eb is not None:
            self.verdict.set_distance(self.encoder.distance(ea, eb))
            self._show_same_file_note()
            return
        busy = any(self.panes[s].path is not None and self.panes[s].analysis is None
                   and self.panes[s].message == "" for s in SIDES)
        failed = any(self.panes[s].message for s in SIDES)
        text = "Working…" if busy else ("No verdict (see message)" if failed else "Waiting for two files")
        self.verdict.set_distance(None, text)

    def _show_same_file_note(self) -> None:
        """A distance of 0 is no finding when A and B are one file: B's pane says so (and stops
        saying so once they differ; other notes of the pane are left alone)."""
        a, b = (self.panes[s].path for s in SIDES)
        try:
            same = a is not None and b is not None and a.samefile(b)
        except OSError:
            same = False
        pane = self.panes["B"]
        if same:
            pane.show_note(SAME_FILE_NOTE)
        elif pane.note_label.text() == SAME_FILE_NOTE:
            pane.show_note("")

    # --- playback --------------------------------------------------------------------------
    def toggle_play(self, side: str) -> None:
        if self._play_side == side and self.player.playing:
            self.stop_playback()
            return
        analysis = self.panes[side].analysis
        display = analysis.display if analysis is not None else None
        if not isinstance(display, AudioDisplay):
            return
        self.stop_playback()
        self._play_side = side
        self.panes[side].show_note("")
        self.panes[side].set_playing(True)
        self._play_id = self.player.play(display.clip.samples, display.clip.rate)

    def stop_playback(self) -> None:
        self.player.stop()
        if self._play_side:
            self.panes[self._play_side].set_playing(False)
        self._play_side = None

    def _play_failed(self, play_id: int, message: str) -> None:
        if self._play_side and play_id == self._play_id:
            self.panes[self._play_side].show_note(message)

    def _play_finished(self, play_id: int) -> None:
        if play_id != self._play_id:
            return
        if self._play_side:
            self.panes[self._play_side].set_playing(False)
        self._play_side = None

    def deactivated(self) -> None:
        self.stop_playback()

    def shutdown(self) -> None:
        self.cancel_ranking()
        self.stop_playback()
