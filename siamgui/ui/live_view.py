"""Live view: a person in front of the camera or microphone, judged against a reference or named
from the gallery.

The view is the verdict (the Compare view's panel) with three panels around it: the camera
(``live_camera``: every face boxed and named over the video), the microphone (``live_microphone``:
level meter and scope) and the reference (``live_reference``). The capture and inference threads
live in ``siamgui.tasks.live``; this widget binds their callbacks to Qt signals and draws.

One result, one frame: the boxes, their colours and the verdict beside them are drawn from the
same ``FrameResult`` at the same threshold, together, when the result arrives (and again when
the threshold moves); a box is drawn only over frames close to the one it was computed on
(``STALE_FRAMES``). The device threads are handed plain callables (``LevelFolder``,
``frame_emitter``, ``source_opener``) that only emit the bridge's signals: no view code runs
there, and every slot runs on the UI thread.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QInputDialog, QLabel, QListWidget, QMessageBox,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from siamgui.core.compare import Verdict
from siamgui.media.audio import AudioClip, encode_wav
from siamgui.media.camera import CameraSource, camera_from_env, list_cameras
from siamgui.media.errors import MediaError, named
from siamgui.media.images import encode_png
from siamgui.media.microphone import FileMicrophone, MicrophoneError, MicrophoneSource, list_microphones
from siamgui.tasks.enrolment import enrol_media, people_for_scope, scope_of
from siamgui.tasks.live import (CameraLoop, FaceVerifier, FrameResult, MicrophoneLoop, PeopleSnapshot, VoiceResult,
                                VoiceVerifier, person_reference)
from siamgui.ui import why
from siamgui.ui.analysis import qimage_from_array, spectrogram_image
from siamgui.ui.jobs import Jobs, Latest
from siamgui.ui.live_camera import (DeviceCombo, FramePreview, camera_items, crop_around, face_marks, face_rows,
                                   frame_emitter)
from siamgui.ui.live_microphone import LevelFolder, LevelScope, microphone_items
from siamgui.ui.live_reference import Reference, ReferencePanel, reference_of_file
from siamgui.ui.live_why import LiveWhy
from siamgui.ui.verdict import VerdictPanel
from siamgui.ui.views import View

__all__ = ["LiveView", "LevelFolder", "LevelScope", "FramePreview", "frame_emitter", "source_opener"]

STALE_FRAMES = 4  # a face box older than this many frames is not drawn
RECENT_FRAMES = 12  # frames kept so Why? maps the very frame a face result was computed from
GALLERY_LANE = "live-gallery"  # Live's gallery reads, one at a time, never on the UI thread
FILE_ITEM = "__file__"
VERIFY, IDENTIFY = 0, 1  # the mode combo's rows


def source_opener(source, listens: bool, rate: int = 16000) -> Callable[[], object]:
    """What the device thread calls to open ``source``: a device id / index, or a file standing in
    for it; ``listens``: a microphone (else a camera)."""
    is_file = isinstance(source, str) and Path(source).is_file()
    if listens:
        return (lambda: FileMicrophone(source, rate=rate)) if is_file else (lambda: MicrophoneSource(device=source,
                                                                                                    rate=rate))
    return lambda: CameraSource(source)


class _Bridge(QObject):
    """Thread callbacks -> queued Qt signals (delivered on the UI thread)."""

    frame = Signal(object)  # (frame, seq)
    face = Signal(object)
    chunk = Signal(object)  # (samples, level dBFS, voiced); a bool argument crashes cross-thread in PySide6
    voice = Signal(object)
    error = Signal(str)
    ended = Signal(str)  # the loop stopped by itself (a file that cannot be played)


def plain(label: QLabel) -> QLabel:
    """A label that shows its text as typed: a person's name is never read as markup."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class LiveView(LiveWhy, View):
    """Camera or microphone, verified against a reference or identified against the gallery."""

    title = "Live"
    tooltip = "Verify or identify a person live, from the camera or the microphone"

    def __init__(self, jobs: Jobs | None = None, gallery_factory=None, parent=None):
        super().__init__(parent)
        self.setObjectName("LiveView")
        self._own_jobs = jobs is None
        self.jobs = jobs if jobs is not None else Jobs(self)
        self.gallery_factory = gallery_factory  # () -> Gallery, opened lazily
        self.encoder = None
        self.encoder_before = None  # card of the previous model (a stand-in file survives a same-medium switch)
        self.stand_in: str | None = None  # the file chosen to stand in for the camera / microphone
        self.loop = None
        self.verifier = None
        self.ref: Reference | None = None  # what the live input is held against (Verify)
        # the last live result shown: (verdict, note, the identified name or None), kept for Why? and Stop
        self.live_verdict: tuple[Verdict | None, str, str | None] | None = None
        self.threshold: float | None = None
        self.last_frame: np.ndarray | None = None
        self.frame_seq = 0
        self.recent_frames: deque[tuple[int, np.ndarray]] = deque(maxlen=RECENT_FRAMES)
        self.last_face: FrameResult | None = None
        self.last_clip: AudioClip | None = None
        self.people: PeopleSnapshot | None = None  # the gallery's people for this model (Identify)
        self.result_times: deque[float] = deque(maxlen=30)
        self.latencies: deque[float] = deque(maxlen=30)
        # gallery reads run as jobs on one lane; only the newest answer of each kind is shown
        self._people_list = Latest(self.jobs, GALLERY_LANE)
        self._person_mean = Latest(self.jobs, GALLERY_LANE)
        self._snapshot = Latest(self.jobs, GALLERY_LANE)
        self.bridge = _Bridge(self)
        self.bridge.frame.connect(self._on_frame)
        self.bridge.face.connect(self._on_face)
        self.bridge.chunk.connect(self._on_chunk)
        self.bridge.voice.connect(self._on_voice)
        self.bridge.error.connect(self._on_error)
        self.bridge.ended.connect(self._on_ended)
        self._build()
        self.set_encoder(None)

    # --- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)  # as the other views
        bar = QHBoxLayout()
        self.source_label = QLabel("Camera")
        self.device_combo = DeviceCombo()
        self.refresh_btn = QPushButton("Refresh")
        self.start_btn = QPushButton("Start")
        self.start_btn.setObjectName("primaryButton")
        self.mode_combo = DeviceCombo()
        self.mode_combo.setMinimumContentsLength(12)
        self.mode_combo.addItems(["Verify against reference", "Identify from gallery"])
        self.why_btn = why.make_button()
        why.set_text(self.why_btn, "Back to live")  # wide enough for both labels: the bar never jumps
        self.why_btn.setMinimumWidth(self.why_btn.sizeHint().width())
        why.set_text(self.why_btn, why.TEXT)
        bar.addWidget(self.source_label)
        bar.addWidget(self.device_combo, 2)
        for w in (self.refresh_btn, self.start_btn, self.why_btn):
            bar.addWidget(w)
        # no "Mode" caption: its items say what they do, and a 1024 px window needs the room (Why?)
        self.mode_combo.setToolTip("Mode: verify the person against one reference, or identify everyone in view "
                                   "from the gallery")
        bar.addWidget(self.mode_combo, 1)
        outer.addLayout(bar)

        body = QHBoxLayout()
        self.preview = FramePreview()  # the camera panel
        self.preview.faceClicked.connect(self._judge_face)
        self.preview.setToolTip("Verify: click a dimmed face to judge that one")
        self.scope = LevelScope()  # the microphone panel
        self.scope.hide()
        left = QVBoxLayout()
        left.addWidget(self.preview, 1)
        left.addWidget(self.scope, 1)
        self.why_caption = QLabel("")  # how to read the maps, while they are shown
        self.why_caption.setObjectName("muted")
        self.why_caption.setWordWrap(True)
        self.why_caption.hide()
        self.why_save_btn = QPushButton("Save PNG…")  # the maps on screen, as `siamgui explain --out` writes them
        self.why_save_btn.setToolTip("Save the maps and their legend as a PNG picture")
        self.why_save_btn.clicked.connect(lambda: self.save_why())
        self.why_save_btn.hide()
        why_row = QHBoxLayout()
        why_row.addWidget(self.why_caption, 1)
        why_row.addWidget(self.why_save_btn, 0, Qt.AlignmentFlag.AlignTop)
        left.addLayout(why_row)
        self.message = plain(QLabel(""))
        self.message.setObjectName("paneNote")
        self.message.setWordWrap(True)
        left.addWidget(self.message)
        # the reference under the picture (the video's letterbox has the room); the side keeps the verdict
        self.reference_panel = ReferencePanel()
        left.addWidget(self.reference_panel)
        body.addLayout(left, 3)

        side = QVBoxLayout()
        # the verdict and its threshold first: at 1024x700 they are on screen without scrolling
        self.verdict = VerdictPanel(compact=True, waiting="Waiting")  # the one verdict widget, as in Compare
        for label in (self.verdict.verdict_label, self.verdict.words_label, self.verdict.margin_label):
            plain(label)  # a person's name is shown as typed
        self.matches = QListWidget()  # identify mode: every face in view (camera) or the nearest people (voice)
        self.matches.setObjectName("liveMatches")
        self.matches.setMaximumHeight(110)
        self.matches.hide()
        self.stats = QLabel("")
        self.stats.setObjectName("muted")
        self.stats.setWordWrap(True)
        side.addWidget(self.verdict)
        side.addWidget(self.stats)
        side.addWidget(self.matches)
        self.enrol_btn = QPushButton("Enrol live sample…")  # used in both modes: outside the Reference box
        self.enrol_btn.setToolTip("Store the current face (or the last utterance) in the gallery under a name")
        side.addWidget(self.enrol_btn)
        side.addStretch(1)
        holder = QWidget()
        holder.setObjectName("liveSideBody")
        holder.setLayout(side)
        side.setContentsMargins(0, 0, 6, 0)
        # a short window scrolls the side panel instead of squeezing its rows into each other
        self.side_scroll = QScrollArea()
        self.side_scroll.setObjectName("liveSide")
        self.side_scroll.setWidget(holder)
        self.side_scroll.setWidgetResizable(True)
        self.side_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.side_scroll.setMinimumWidth(300)  # the compact verdict panel and a scroll bar, nothing cut
        self.side_scroll.setMaximumWidth(380)
        body.addWidget(self.side_scroll, 2)
        outer.addLayout(body, 1)

        # the reference panel's parts, under the names the rest of the view (and its tests) use
        rp = self.reference_panel
        self.ref_box, self.ref_thumb, self.live_thumb = rp, rp.ref_thumb, rp.live_thumb
        self.thumb_captions, self.ref_caption = rp.captions, rp.caption
        self.ref_file_btn, self.ref_capture_btn, self.ref_person = rp.file_btn, rp.live_btn, rp.person

        self.start_btn.clicked.connect(lambda: self.toggle())
        self.refresh_btn.clicked.connect(lambda: self.refresh_devices())
        rp.fileRequested.connect(lambda: self.reference_from_file())
        rp.liveRequested.connect(lambda: self.reference_from_live())
        rp.personChosen.connect(lambda pid: self.reference_from_person(pid))
        self.enrol_btn.clicked.connect(lambda: self.enrol_live())
        self.why_btn.clicked.connect(lambda: self.why())
        self.why_job = why.WhyJob(self.jobs, self.why_btn, self.status.emit)
        self.why_maps = None  # the PairMaps on screen (None: the live picture)
        self.why_picture = None  # their picture (both sides and the legend), for Save PNG…
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.verdict.thresholdChanged.connect(self._threshold_changed)
        self.stats_timer = QTimer(self)
        self.stats_timer.timeout.connect(self._update_stats)
        self.stats_timer.start(500)

    # --- model ---------------------------------------------------------------------------
    @property
    def listens(self) -> bool:
        """The model takes sound, fed by a microphone (else pictures, fed by a camera)."""
        return bool(self.encoder and self.encoder.modality.live_source == "microphone")

    is_audio = listens  # the older name

    @property
    def device_word(self) -> str:
        return "microphone" if self.listens else "camera"

    @property
    def identifying(self) -> bool:
        return self.mode_combo.currentIndex() == IDENTIFY

    def set_encoder(self, encoder) -> None:
        self.stop()
        self.back_to_live()
        medium_before = getattr(getattr(self.encoder, "modality", None), "medium", None)
        self.encoder = encoder
        self.ref = None
        self.live_verdict = None
        self.people = None
        self._snapshot.forget()
        self.reference_panel.clear()
        # nothing seen or heard with the previous model stays on screen
        self.last_frame, self.last_face, self.last_clip = None, None, None
        self.recent_frames.clear()
        self.preview.clear("Press Start to open the camera")
        self.scope.clear()
        self.scope.message = "Press Start to open the microphone"
        if encoder is None or encoder.modality.medium is not medium_before:
            self.stand_in = None  # a video cannot stand in for a microphone
        self.encoder_before = encoder.card if encoder is not None else None
        enabled = encoder is not None and encoder.modality.live_source != "none"
        for w in (self.start_btn, self.ref_file_btn, self.ref_capture_btn, self.ref_person, self.enrol_btn):
            w.setEnabled(enabled)
        if encoder is None:
            self._say("Choose a model to go live.")
        elif not enabled:
            self._say(f"{encoder.name} takes {encoder.modality.kind} input, which no camera or microphone gives.")
        else:
            self._say("")
        self.source_label.setText(self.device_word.capitalize())
        self.preview.setVisible(not self.listens)
        self.scope.setVisible(self.listens)
        self.reference_panel.set_live_words("last utterance" if self.listens else "model's input",
                                            "Use last utterance" if self.listens else "Use live face")
        if encoder is not None:
            self._show_model_threshold()
        self.refresh_devices()
        self.refresh_people()
        self._show_verdict(None)
        self._refresh_why()

    def _show_model_threshold(self) -> None:
        """The threshold in use (calibrated, else the card's) and the card's, on the verdict panel."""
        enc = self.encoder
        self.verdict.set_model(enc.card.metric, enc.threshold, enc.modality.subjects, card_threshold=enc.card.threshold)

    def threshold_stored(self) -> None:
        """Calibrate stored (or cleared) a threshold for this model: judge with it from now on."""
        if self.encoder is not None:
            self._show_model_threshold()

    def set_threshold(self, value: float) -> None:
        """Move the threshold; what is shown is re-judged at once, the next results use it too."""
        if self.encoder is not None:
            self.verdict.set_threshold(value)

    def _threshold_changed(self, value: float) -> None:
        if self.encoder is None:
            return
        self.threshold = float(value)
        if self.verifier is not None:
            self.verifier.threshold = self.threshold
        if not self.frozen and not self.listens and self.last_face is not None:
            self._show_face_result(self.last_face, panel=False)  # the boxes are re-judged with the panel
            if self.last_face.identify and self.people_ready and not self.matches.isHidden():
                self.matches.clear()
                self.matches.addItems(face_rows(self.last_face, self.threshold))

    # --- devices -------------------------------------------------------------------------
    def refresh_devices(self) -> None:
        self.device_combo.clear()
        if self.encoder is None:
            return
        file_item = f"{'Audio' if self.listens else 'Video'} file as {self.device_word}…"
        try:
            items = microphone_items(list_microphones()) if self.listens else camera_items(camera_from_env(),
                                                                                             list_cameras())
            for label, source in items:
                self.device_combo.addItem(label, source)
        except MicrophoneError as exc:
            self._add_stand_in()
            self.device_combo.addItem(file_item, FILE_ITEM)
            self._say(str(exc))
            return
        self._add_stand_in()
        self.device_combo.addItem(file_item, FILE_ITEM)
        if self.stand_in is not None:
            self.device_combo.setCurrentIndex(self.device_combo.findData(self.stand_in))
        elif self.device_combo.count() == 1:
            self._say(f"No {self.device_word} found. Plug one in and press Refresh, or use a file as the "
                      f"{self.device_word}.")

    def _add_stand_in(self) -> None:
        if self.stand_in is not None:
            self.device_combo.addItem(f"{Path(self.stand_in).name} (file as {self.device_word})", self.stand_in)
            self.device_combo.setItemData(self.device_combo.count() - 1, self.stand_in, Qt.ItemDataRole.ToolTipRole)

    def _chosen_source(self):
        """The device, or a file standing in for it: chosen once, then listed and used at every Start."""
        data = self.device_combo.currentData()
        if data != FILE_ITEM:
            return data
        filt = self.encoder.modality.file_filter if self.listens else "Video (*.mp4 *.avi *.mkv *.mov *.webm)"
        start = str(Path(self.stand_in).parent) if self.stand_in else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file to stand in for the device", start, filt)
        if not path:
            return None
        self.stand_in = path
        self.refresh_devices()  # lists it (selected) so the next Start does not ask again
        return path

    # --- start / stop --------------------------------------------------------------------
    def toggle(self) -> None:
        if self.loop is not None:
            self.stop()
        else:
            self.start(self._chosen_source())

    def start(self, source) -> None:
        """Start capturing from a device id/index or a file path (a stand-in device)."""
        if self.encoder is None or source is None:
            return
        self.stop()
        if isinstance(source, str) and Path(source).is_file() and source != self.stand_in:
            self.stand_in = source  # a file given here is listed as the device from now on
            self.refresh_devices()
        self.result_times.clear()
        self.latencies.clear()
        self.recent_frames.clear()  # a new loop counts its frames from 1 again
        self.last_face = None
        self.live_verdict = None
        self.reference_panel.show_live(None)  # nothing of an earlier run stands for this one
        try:
            if self.listens:
                self.verifier = VoiceVerifier(self.encoder, self.threshold)
                # the microphone thread gets plain callables that only emit signals: no view code runs there
                self.loop = MicrophoneLoop(source_opener(source, True, self.verifier.rate), self.verifier,
                                           LevelFolder(self.bridge.chunk.emit), self.bridge.voice.emit,
                                           self.bridge.error.emit)
                self.scope.clear()
                self.scope.message = "Listening…"
            else:
                self.verifier = FaceVerifier(self.encoder, self.threshold)
                self.loop = CameraLoop(source_opener(source, False), self.verifier,
                                       frame_emitter(self.bridge.frame.emit), self.bridge.face.emit,
                                       self.bridge.error.emit, on_end=self.bridge.ended.emit)
                self.preview.clear("Opening the camera…")
        except MediaError as exc:
            self._say(str(exc))
            self.loop = None
            return
        self.verifier.set_reference(self.reference)
        self._judge_with_mode()
        self.loop.start()
        self.start_btn.setText("Stop")
        self._say("")
        self.status.emit("Live: " + ("listening" if self.listens else "camera running"))

    def stop(self) -> None:
        loop, self.loop = self.loop, None
        if loop is not None:
            loop.stop()
            self.status.emit("Live: stopped")
            if not self.frozen:
                self._show_last_live_verdict()  # the last verdict stays, saying nothing will replace it
        self.start_btn.setText("Start")

    def _on_ended(self, reason: str) -> None:
        """The loop stopped by itself (a file that cannot be played): said once, and Start again."""
        self.stop()
        self.preview.clear("Press Start to open the camera")
        self._say(reason)  # said once, beside the picture

    # --- results (UI thread) -------------------------------------------------------------
    def _on_frame(self, item: tuple) -> None:
        frame, seq = item
        if self.loop is None:
            return
        self.last_frame, self.frame_seq = frame, seq
        self.recent_frames.append((seq, frame))
        if self.frozen:
            return  # Why? holds the pair it explains on screen
        self.preview.show_frame(qimage_from_array(frame), self._marks(self.last_face))

    def _judge_face(self, track: int) -> None:
        """Verify: the user pointed at another face in view; it is judged from the next frame on."""
        if self.verifier is not None and not self.identifying and not self.frozen:
            self.verifier.judge_face(track)
            self.status.emit("Live: judging the face you clicked")

    def _marks(self, r: FrameResult | None) -> list:
        """The boxes of ``r`` over the frame on screen, while it is recent enough to be where they are."""
        if r is None or self.frame_seq - r.seq > STALE_FRAMES:
            return []
        return face_marks(r, self.verdict.threshold)

    def _on_face(self, r: FrameResult) -> None:
        if self.loop is None:
            return  # stopped: nothing computed after Stop is drawn
        if self.verifier is not None and r.generation != self.verifier.generation:
            return  # judged against a reference or mode the user has since changed
        self.last_face = r
        self.result_times.append(r.done)
        self.latencies.append(r.done - r.captured)
        self._refresh_why()
        if not self.frozen:
            self._show_face_result(r)

    def _show_face_result(self, r: FrameResult | None, panel: bool = True) -> None:
        """The boxes and (``panel``) the verdict of one result, drawn together: they cannot disagree."""
        self.preview.set_marks(self._marks(r))
        if not panel or r is None:
            return
        main = r.main
        self.reference_panel.show_live(qimage_from_array(main.crop, bgr=main.colour == "bgr")
                                       if main is not None and main.crop is not None else None)
        if r.identify:
            self._show_faces(r)
        else:
            self._live_verdict(r.verdict, "" if r.verdict is not None else
                               (main.message if main is not None and main.message else r.message))

    def _show_faces(self, r: FrameResult) -> None:
        """Identify: the largest face's name on the panel, every face in view in the list."""
        if not self.people_ready:
            self._live_verdict(None, "reading the gallery…" if self.gallery_factory is not None else
                               "no gallery to identify from")
            return
        main = r.main
        if main is None or main.verdict is None:
            self._live_verdict(None, (main.message if main is not None and main.message else r.message))
            return
        self._live_verdict(main.verdict, f"{len(r.faces)} faces in view" if len(r.faces) > 1 else "", main.name)
        self.matches.clear()
        self.matches.addItems(face_rows(r, self.verdict.threshold))
        self.matches.show()

    def _on_chunk(self, item: tuple) -> None:
        chunk, level, voice = item
        if self.loop is not None and not self.frozen:
            self.scope.add(chunk, level, voice)

    def _on_voice(self, r: VoiceResult) -> None:
        if self.loop is None:
            return
        if r.kind == "utterance":
            self.last_clip = r.clip
            self._refresh_why()
            if r.clip is not None and not self.frozen:
                clip = r.clip
                self.jobs.submit(lambda: spectrogram_image(clip),
                                 lambda o: self.reference_panel.show_live(o.value, stretch=True)
                                 if o.ok and self.loop is not None and self.last_clip is clip else None)
            self.latencies.append(r.done - r.ended)
            self.result_times.append(r.done)
        what = "utterance" if r.kind == "utterance" else "last seconds of voice"
        if r.identify and r.verdict is not None:
            self._live_verdict(r.verdict, what, r.name)
            if not self.frozen:
                self.matches.clear()
                for name, d in r.matches:
                    self.matches.addItem(f"{name}   {d:.3f}")
                self.matches.show()
        elif r.verdict is not None:
            self._live_verdict(r.verdict, what)
        elif r.message:
            self._live_verdict(None, r.message)

    def _on_error(self, message: str) -> None:
        self._say(message)
        self.status.emit(message)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _live_verdict(self, verdict: Verdict | None, note: str = "", name: str | None = None) -> None:
        """A live result (against the reference, or a person's name): kept for after Why? and Stop,
        shown unless Why? holds the panel."""
        self.live_verdict = (verdict, note, name)
        if not self.frozen:
            self._show_verdict(verdict, note, name)

    def _show_last_live_verdict(self) -> None:
        """The last live verdict again (back from Why?, or at Stop); with the device stopped, nothing
        will replace it, so the note says so (and with no verdict yet, how to get one)."""
        verdict, note, name = self.live_verdict or (None, "", None)
        if self.loop is None and self.encoder is not None:
            note = f"{self.device_word} stopped" if verdict is not None else f"{self.device_word} stopped: press Start"
        self._show_verdict(verdict, note, name)
        if name is not None and self.loop is None:
            self.matches.show()  # who was in view when it stopped

    def _show_verdict(self, verdict: Verdict | None, note: str = "", name: str | None = None) -> None:
        """A verdict against the reference, or a person's name (re-judged by the panel when the
        threshold moves)."""
        self.matches.hide()
        if verdict is None:
            self.verdict.set_distance(None, note[:1].upper() + note[1:] if note else "Waiting")
        elif name is not None:
            self.verdict.set_identity(name, verdict.distance, note=note)
        else:
            self.verdict.set_distance(verdict.distance, note=note)

    def _update_stats(self) -> None:
        if self.loop is None or len(self.result_times) < 2:
            self.stats.setText("")
            self.stats.hide()
            return
        self.stats.show()
        span = self.result_times[-1] - self.result_times[0]
        rate = (len(self.result_times) - 1) / span if span > 0 else 0.0
        lat = 1000 * float(np.median(self.latencies)) if self.latencies else 0.0
        what = "utterance end → verdict" if self.listens else "frame → verdict"
        faces = ""
        if not self.listens and self.last_face is not None and len(self.last_face.faces) > 1:
            faces = f" · {len(self.last_face.faces)} faces"
        self.stats.setText(f"{rate:.1f} verdicts/s · {what} {lat:.0f} ms (median){faces}")

    # --- references ----------------------------------------------------------------------
    reference = property(lambda self: None if self.ref is None else self.ref.embedding)
    reference_name = property(lambda self: "" if self.ref is None else self.ref.name)
    reference_source = property(lambda self: None if self.ref is None else self.ref.source)
    reference_samples = property(lambda self: 0 if self.ref is None else self.ref.samples)
    reference_image = property(lambda self: None if self.ref is None else self.ref.image)

    def _set_reference(self, embedding: np.ndarray, name: str, image: QImage | None, source=None,
                       samples: int = 0) -> None:
        """Hold the live input against a new :class:`Reference` (see its fields)."""
        self._use_reference(Reference(embedding, name, image, source, samples))

    def _use_reference(self, ref: Reference) -> None:
        self.back_to_live()  # maps of the old reference would explain a pair no longer judged
        self.ref = ref
        if self.verifier is not None:
            self.verifier.set_reference(ref.embedding)
        self.live_verdict = None  # a verdict against the old reference says nothing about the new one
        self._show_last_live_verdict()
        self._show_reference_thumb()
        self._refresh_why()

    def _show_reference_thumb(self) -> None:
        """The reference's picture; a person's average has none, so their name stands in its place."""
        placeholder = self.encoder.modality.medium.placeholder if self.encoder is not None else ""
        self.reference_panel.show(self.ref, self.listens, placeholder)

    def reference_from_file(self, path: str | None = None) -> None:
        if self.encoder is None:
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Choose the reference", "", self.encoder.modality.file_filter)
            if not path:
                return
        enc = self.encoder

        def done(outcome):
            if enc is not self.encoder:
                return
            if not outcome.ok:
                self._say(f"Reference not usable: {named(Path(path).name, outcome.error)}")
                return
            self._use_reference(outcome.value)

        self.jobs.submit(lambda: reference_of_file(enc, path), done)

    def reference_from_live(self) -> None:
        if self.listens:
            if self.last_clip is None:
                self._say("Say something first: the last utterance becomes the reference.")
                return
            clip, enc = self.last_clip, self.encoder
            self.jobs.submit(lambda: (enc.embed_one(clip), spectrogram_image(clip)),
                             lambda o: self._set_reference(o.value[0], f"utterance ({clip.duration:.1f} s)",
                                                           o.value[1], clip) if o.ok else self._say(o.error))
            return
        r = self.last_face
        if r is None or r.embedding is None or r.crop is None:
            self._say("No face in view yet: look at the camera, then press again.")
            return
        self._set_reference(r.embedding, time.strftime("live capture %H:%M:%S"),
                            qimage_from_array(r.crop, bgr=r.colour == "bgr"), self._frame_of(r))

    def refresh_people(self) -> None:
        """List the enrolled people this model can be compared with (read off the UI thread), and
        in Identify mode read the gallery's embeddings again."""
        self.ref_person.clear()  # never a list of another model's people, even for a moment
        if self.encoder is None or self.gallery_factory is None:
            self._people_list.forget()
            return
        factory, scope = self.gallery_factory, scope_of(self.encoder)  # this kind's people only

        def done(outcome) -> None:
            if not outcome.ok:
                self._say(f"Gallery unavailable: {outcome.error}")
                return
            self.reference_panel.set_people([(f"{p.name} ({p.samples})", p.id) for p in outcome.value])

        self._people_list.submit(lambda: people_for_scope(factory(), scope)[0], done)
        if self.identifying:
            self._read_people()

    def reference_from_person(self, person_id) -> None:
        """The mean of a person's enrolled embeddings becomes the reference (read off the UI thread)."""
        if person_id is None or self.encoder is None or self.gallery_factory is None:
            return
        enc, factory = self.encoder, self.gallery_factory

        def done(outcome) -> None:
            if enc is not self.encoder:
                return
            if not outcome.ok:
                self._say(f"Gallery unavailable: {outcome.error}")
            elif outcome.value is None:
                self._say("This person has no embeddings for this model yet: re-embed them in the Gallery view.")
            else:
                mean, name, samples = outcome.value
                self._set_reference(mean, name, None, samples=samples)

        self._person_mean.submit(lambda: person_reference(factory().matrix(enc.model_hash, scope_of(enc)), person_id),
                                 done)

    # --- gallery -------------------------------------------------------------------------
    @property
    def people_ready(self) -> bool:
        """Identify has the gallery's people of this model in hand (read by a job)."""
        return self.people is not None

    def _read_people(self) -> None:
        """Read the gallery's embeddings for this model once (off the UI thread); every frame then
        names all its faces against them in the inference thread, with no database read."""
        if self.encoder is None or self.gallery_factory is None:
            return
        enc, factory = self.encoder, self.gallery_factory

        def done(outcome) -> None:
            if enc is not self.encoder:
                return
            if not outcome.ok:
                self._live_verdict(None, f"gallery unavailable: {outcome.error}")
                return
            self.people = outcome.value
            self._judge_with_mode()

        self._snapshot.submit(lambda: PeopleSnapshot.from_matrix(factory().matrix(enc.model_hash, scope_of(enc)),
                                                                 enc.card.metric),
                              done)

    def _judge_with_mode(self) -> None:
        """Tell the running verifier what to judge against: the reference, or the gallery's people."""
        if self.verifier is not None:
            self.verifier.set_identify(self.identifying, self.people if self.identifying else None)

    def _mode_changed(self, index: int) -> None:
        self.back_to_live()
        self.live_verdict = None
        self._show_verdict(None)
        self.ref_box.setVisible(index == VERIFY)  # identify compares with the gallery, not with a reference
        self.preview.setToolTip("Verify: click a dimmed face to judge that one" if index == VERIFY else "")
        self.people = None
        self._snapshot.forget()
        self._judge_with_mode()
        if index == IDENTIFY:
            self.refresh_people()
        self._refresh_why()

    def enrol_live(self) -> None:
        """Store the current face (or last utterance) as a sample of a named person."""
        if self.encoder is None or self.gallery_factory is None:
            return
        if self.listens:
            if self.last_clip is None:
                self._say("Say something first: the last utterance is what gets enrolled.")
                return
            sample, encode, suffix = self.last_clip, encode_wav, ".wav"
        else:
            r = self.last_face
            frame = self._frame_of(r) if r is not None else None  # the frame its boxes were found in
            frame = self.last_frame if frame is None else frame
            if frame is None or r is None or r.box is None:
                self._say("No face in view to enrol.")
                return
            face = self._face_to_enrol(r)
            # one face in view: the whole frame, as a photo would be; several: the one meant, cut out
            sample = frame.copy() if len(r.faces) == 1 else crop_around(frame, face.box)
            encode, suffix = encode_png, ".png"
        who = "" if self.listens or len(self.last_face.faces) == 1 else (
            " (the face marked on the video)" if not self.identifying else " (the largest face not yet named)")
        name, ok = QInputDialog.getText(self, "Enrol", f"Name of the person{who}:")
        if not ok or not name.strip():
            return
        enc, gallery_factory, source = self.encoder, self.gallery_factory, self.device_word

        def work():  # encoding, embedding and the write all happen here, off the UI thread
            enrol_media(gallery_factory(), enc, name, suffix, encode(sample), source, enc.embed([sample])[0])
            return name

        def done(outcome):
            if outcome.ok:
                self.status.emit(f"Enrolled a sample of {outcome.value}")
                self.refresh_people()
            else:
                QMessageBox.warning(self, "Enrol", outcome.error)

        self.jobs.submit(work, done)

    def _face_to_enrol(self, r: FrameResult):
        """Verify: the judged face. Identify: the largest face nobody is named for (else the largest)."""
        if self.identifying:
            return next((f for f in r.faces if f.label == "unknown"), r.faces[0])
        return r.main

    def activated(self) -> None:
        self.refresh_people()

    def deactivated(self) -> None:
        self.stop()  # never keep the camera or microphone open behind the user's back

    def shutdown(self) -> None:
        self.stop()
        if self._own_jobs:
            self.jobs.shutdown()
