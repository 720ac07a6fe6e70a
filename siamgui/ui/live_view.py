"""Live view: a person in front of the camera or microphone, judged against a reference.

The capture and inference threads live in ``siamgui.tasks.live``; this widget only binds their
callbacks to Qt signals and draws. A face box is drawn only over frames close to the one it
was computed on (``STALE_FRAMES``), and the crop shown beside the verdict is the crop the
verdict was computed from. The device threads are handed plain callables (``LevelFolder``,
``frame_emitter``, ``source_opener``) that only emit the bridge's signals: no view code runs
there, and every slot runs on the UI thread.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QInputDialog,
                               QLabel, QListWidget, QMessageBox, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout,
                               QWidget)

from siamgui.core.compare import Verdict
from siamgui.tasks.enrolment import enrol_media, people_for_scope
from siamgui.tasks.explain import Against
from siamgui.tasks.live import CameraLoop, FaceVerifier, FrameResult, MicrophoneLoop, VoiceResult, VoiceVerifier
from siamgui.media.audio import AudioClip, encode_wav, load_audio
from siamgui.media.camera import CameraSource, camera_from_env, list_cameras
from siamgui.media.errors import MediaError, named
from siamgui.media.images import encode_png
from siamgui.media.microphone import FileMicrophone, MicrophoneError, MicrophoneSource, list_microphones
from siamgui.ui.analysis import qimage_from_array, spectrogram_image, waveform
from siamgui.ui.canvas import thumb
from siamgui.ui import why
from siamgui.ui.jobs import Jobs
from siamgui.ui.verdict import VerdictPanel
from siamgui.ui.views import View

STALE_FRAMES = 4  # a face box older than this many frames is not drawn
RECENT_FRAMES = 12  # frames kept so Why? maps the very frame a face result was computed from
GALLERY_LANE = "live-gallery"  # Live's gallery reads, one at a time, never on the UI thread
FILE_ITEM = "__file__"


# --- the device-thread side: plain Python that touches no widget and only emits signals -----------
class LevelFolder:
    """Folds microphone chunks into one meter update per ``period`` seconds (a fast source must not
    flood the UI). Called on the microphone thread: it keeps its own state and hands each fold,
    ``(min/max samples, level dBFS, voiced)``, to ``emit`` (a Qt signal's emit, queued to the UI)."""

    def __init__(self, emit: Callable[[tuple], None], period: float = 0.04,
                 clock: Callable[[], float] = time.perf_counter):
        self.emit, self.period, self.clock = emit, period, clock
        self._last = float("-inf")  # the first chunk is shown at once
        self._reset()

    def _reset(self) -> None:
        self._lo, self._hi, self._level, self._voice = 1.0, -1.0, -200.0, False

    def __call__(self, chunk: np.ndarray, level: float, voice: bool) -> None:
        if chunk.size:
            self._lo, self._hi = min(self._lo, float(chunk.min())), max(self._hi, float(chunk.max()))
        self._level, self._voice = max(self._level, float(level)), self._voice or bool(voice)
        now = self.clock()
        if now - self._last >= self.period:
            self.emit((np.array([self._lo, self._hi], np.float32), self._level, self._voice))
            self._last = now
            self._reset()


def frame_emitter(emit: Callable[[tuple], None]) -> Callable[[np.ndarray, int], None]:
    """The camera thread's frame callback: ``emit((frame, seq))`` and nothing else."""

    def on_frame(frame: np.ndarray, seq: int) -> None:
        emit((frame, seq))

    return on_frame


def source_opener(source, audio: bool, rate: int = 16000) -> Callable[[], object]:
    """What the device thread calls to open ``source``: a device id / index, or a file standing in for it."""
    is_file = isinstance(source, str) and Path(source).is_file()
    if audio:
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


class FramePreview(QWidget):
    """The live image, scaled to fit, with the face box of a recent result."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.box = None
        self.box_colour = QColor("#2b6cb0")
        self.placeholder = "Press Start to open the camera"
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_frame(self, image: QImage, box, colour: QColor) -> None:
        self.image, self.box, self.box_colour = image, box, colour
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1f2933"))
        if self.image is None:
            p.setPen(QColor("#cbd2d9"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        iw, ih = self.image.width(), self.image.height()
        s = min(self.width() / iw, self.height() / ih)
        target = QRectF((self.width() - iw * s) / 2, (self.height() - ih * s) / 2, iw * s, ih * s)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(target, self.image)
        if self.box is not None:
            p.setPen(QPen(self.box_colour, 3))
            p.drawRect(QRectF(target.x() + self.box.x * s, target.y() + self.box.y * s, self.box.w * s, self.box.h * s))


class LevelScope(QWidget):
    """Level meter and a scrolling waveform of the last few seconds; voiced chunks in colour."""

    def __init__(self, seconds: float = 5.0, parent=None):
        super().__init__(parent)
        self.seconds = seconds
        self.columns: deque[tuple[float, float, bool]] = deque(maxlen=400)
        self.level_db = -90.0
        self.message = "Press Start to open the microphone"
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def add(self, chunk: np.ndarray, level_db: float, voice: bool) -> None:
        lo, hi = waveform(chunk, 1)[:, 0]
        self.columns.append((float(lo), float(hi), voice))
        self.level_db = level_db
        self.update()

    def clear(self) -> None:
        self.columns.clear()
        self.level_db = -90.0
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#1f2933"))
        w, h = self.width(), self.height()
        meter_h = 18
        if not self.columns:
            p.setPen(QColor("#cbd2d9"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        mid = (h - meter_h - 8) / 2
        n = self.columns.maxlen or 1
        step = w / n
        for i, (lo, hi, voice) in enumerate(self.columns):
            x = w - (len(self.columns) - i) * step
            p.setPen(QPen(QColor("#48bb78") if voice else QColor("#718096"), max(1.0, step)))
            p.drawLine(QPointF(x, mid - hi * mid * 0.95), QPointF(x, mid - lo * mid * 0.95))
        frac = min(1.0, max(0.0, (self.level_db + 70) / 70))
        p.fillRect(QRectF(0, h - meter_h, w, meter_h), QColor("#323f4b"))
        colour = QColor("#48bb78") if self.level_db < -6 else QColor("#e53e3e")
        p.fillRect(QRectF(0, h - meter_h, w * frac, meter_h), colour)
        p.setPen(QColor("#f5f7fa"))
        p.drawText(QRectF(6, h - meter_h, w, meter_h), Qt.AlignmentFlag.AlignVCenter,
                   f"{self.level_db:.0f} dBFS" if self.level_db > -89 else "silence")


class LiveView(View):
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
        self.encoder_before = None  # card of the previous model (a stand-in file survives a same-modality switch)
        self.stand_in: str | None = None  # the file chosen to stand in for the camera / microphone
        self.loop = None
        self.verifier = None
        self.reference: np.ndarray | None = None
        self.reference_name = ""
        self.reference_source = None  # the input the reference was embedded from (None: a person's mean)
        self.reference_samples = 0  # enrolled samples averaged into a person's reference
        self.reference_image: QImage | None = None
        self.live_verdict: tuple[Verdict | None, str] | None = None  # the last live result against the reference
        self.threshold: float | None = None
        self.last_frame: np.ndarray | None = None
        self.frame_seq = 0
        self.recent_frames: deque[tuple[int, np.ndarray]] = deque(maxlen=RECENT_FRAMES)
        self.last_face: FrameResult | None = None
        self.last_clip: AudioClip | None = None
        self.result_times: deque[float] = deque(maxlen=30)
        self.latencies: deque[float] = deque(maxlen=30)
        # gallery reads run as jobs; a counter per kind drops what a newer request (or model) replaced
        self._people_request = 0
        self._person_request = 0
        self._ident_request = 0
        self._ident_busy = False  # one identification in flight; newer embeddings wait in _ident_next
        self._ident_next: np.ndarray | None = None
        self.bridge = _Bridge(self)
        self.bridge.frame.connect(self._on_frame)
        self.bridge.face.connect(self._on_face)
        self.bridge.chunk.connect(self._on_chunk)
        self.bridge.voice.connect(self._on_voice)
        self.bridge.error.connect(self._on_error)
        self._build()
        self.set_encoder(None)

    # --- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)  # as the other views
        bar = QHBoxLayout()
        self.source_label = QLabel("Camera")
        self.device_combo = QComboBox()
        self.device_combo.setMinimumWidth(260)
        self.refresh_btn = QPushButton("Refresh")
        self.start_btn = QPushButton("Start")
        self.start_btn.setObjectName("primaryButton")
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(["Verify against reference", "Identify from gallery"])
        self.why_btn = why.make_button()
        why.set_text(self.why_btn, "Back to live")  # wide enough for both labels: the bar never jumps
        self.why_btn.setMinimumWidth(self.why_btn.sizeHint().width())
        why.set_text(self.why_btn, why.TEXT)
        for w in (self.source_label, self.device_combo, self.refresh_btn, self.start_btn, self.why_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        # no "Mode" caption: its items say what they do, and a 1024 px window needs the room (Why?)
        self.mode_combo.setToolTip("Mode: verify the person against one reference, or identify them in the gallery")
        bar.addWidget(self.mode_combo)
        outer.addLayout(bar)

        body = QHBoxLayout()
        self.preview = FramePreview()
        self.scope = LevelScope()
        self.scope.hide()
        left = QVBoxLayout()
        left.addWidget(self.preview, 1)
        left.addWidget(self.scope, 1)
        self.why_caption = QLabel("")  # how to read the maps, while they are shown
        self.why_caption.setObjectName("muted")
        self.why_caption.setWordWrap(True)
        self.why_caption.hide()
        left.addWidget(self.why_caption)
        self.message = QLabel("")
        self.message.setObjectName("paneNote")
        self.message.setWordWrap(True)
        left.addWidget(self.message)
        body.addLayout(left, 3)

        side = QVBoxLayout()
        ref_box = QGroupBox("Reference")
        rg = QGridLayout(ref_box)
        self.ref_box = ref_box
        self.ref_thumb = QLabel("none")
        self.ref_thumb.setFixedSize(128, 128)
        self.ref_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ref_thumb.setWordWrap(True)  # an enrolled person's name stands in for their (absent) picture
        self.ref_thumb.setFrameShape(QFrame.Shape.StyledPanel)
        self.live_thumb = QLabel("live")
        self.live_thumb.setFixedSize(128, 128)
        self.live_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.live_thumb.setFrameShape(QFrame.Shape.StyledPanel)
        rg.addWidget(self.ref_thumb, 0, 0)
        rg.addWidget(self.live_thumb, 0, 1)
        self.thumb_captions = (QLabel("reference"), QLabel("model's input"))
        for col, cap in enumerate(self.thumb_captions):
            cap.setObjectName("muted")
            cap.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            rg.addWidget(cap, 1, col, Qt.AlignmentFlag.AlignHCenter)
        self.ref_caption = QLabel("No reference yet")
        self.ref_caption.setWordWrap(True)
        for label in (self.ref_caption, self.ref_thumb):  # they show a person's name: text, never markup
            label.setTextFormat(Qt.TextFormat.PlainText)
        rg.addWidget(self.ref_caption, 2, 0, 1, 2)
        self.ref_file_btn = QPushButton("From file…")
        self.ref_capture_btn = QPushButton("Use live")
        self.ref_person = QComboBox()
        self.ref_person.setPlaceholderText("Enrolled person…")
        rg.addWidget(self.ref_file_btn, 3, 0)
        rg.addWidget(self.ref_capture_btn, 3, 1)
        rg.addWidget(self.ref_person, 4, 0, 1, 2)
        side.addWidget(ref_box)
        self.enrol_btn = QPushButton("Enrol live sample…")  # used in both modes: outside the Reference box
        self.enrol_btn.setToolTip("Store the current face (or the last utterance) in the gallery under a name")
        side.addWidget(self.enrol_btn)

        self.verdict = VerdictPanel(compact=True, waiting="Waiting")  # the one verdict widget, as in Compare
        for label in (self.verdict.verdict_label, self.verdict.words_label):  # a name is text, never markup
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.matches = QListWidget()  # identify mode: the three nearest people
        self.matches.setObjectName("liveMatches")
        self.matches.setMaximumHeight(120)
        self.matches.hide()
        self.stats = QLabel("")
        self.stats.setObjectName("muted")
        self.stats.setWordWrap(True)
        side.addWidget(self.verdict)
        side.addWidget(self.matches)
        side.addWidget(self.stats)
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
        self.side_scroll.setMinimumWidth(330)  # two 128 px boxes and a scroll bar, nothing cut
        self.side_scroll.setMaximumWidth(390)
        body.addWidget(self.side_scroll, 2)
        outer.addLayout(body, 1)

        self.start_btn.clicked.connect(lambda: self.toggle())
        self.refresh_btn.clicked.connect(lambda: self.refresh_devices())
        self.ref_file_btn.clicked.connect(lambda: self.reference_from_file())
        self.ref_capture_btn.clicked.connect(lambda: self.reference_from_live())
        self.ref_person.activated.connect(lambda _i: self.reference_from_person(self.ref_person.currentData()))
        self.enrol_btn.clicked.connect(lambda: self.enrol_live())
        self.why_btn.clicked.connect(lambda: self.why())
        self.why_job = why.WhyJob(self.jobs, self.why_btn, self.status.emit)
        self.why_maps = None  # the PairMaps on screen (None: the live picture)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.verdict.thresholdChanged.connect(self._threshold_changed)
        self.stats_timer = QTimer(self)
        self.stats_timer.timeout.connect(self._update_stats)
        self.stats_timer.start(500)

    # --- model ---------------------------------------------------------------------------
    @property
    def is_audio(self) -> bool:
        return bool(self.encoder and self.encoder.card.modality == "audio")

    def set_encoder(self, encoder) -> None:
        self.stop()
        self.back_to_live()
        self.encoder = encoder
        self.reference = None
        self.reference_name = ""
        self.reference_source, self.reference_image, self.reference_samples = None, None, 0
        self.live_verdict = None
        thumb(self.ref_thumb, None)
        self.ref_caption.setText("No reference yet")
        # nothing seen or heard with the previous model stays on screen
        self.last_frame, self.last_face, self.last_clip = None, None, None
        self.recent_frames.clear()
        thumb(self.live_thumb, None)
        self.live_thumb.setText("live")
        self.preview.image, self.preview.box = None, None
        self.preview.placeholder = "Press Start to open the camera"
        self.preview.update()
        self.scope.clear()
        self.scope.message = "Press Start to open the microphone"
        if encoder is None or encoder.card.modality != getattr(self.encoder_before, "modality", None):
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
        self.source_label.setText("Microphone" if self.is_audio else "Camera")
        self.preview.setVisible(not self.is_audio)
        self.scope.setVisible(self.is_audio)
        self.ref_capture_btn.setText("Use last utterance" if self.is_audio else "Use live face")
        self.thumb_captions[1].setText("last utterance" if self.is_audio else "model's input")
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

    # --- devices -------------------------------------------------------------------------
    def refresh_devices(self) -> None:
        self.device_combo.clear()
        if self.encoder is None:
            return
        try:
            if self.is_audio:
                mics = list_microphones()
                for m in sorted(mics, key=lambda m: not m.default):  # the system default first
                    said = "default" in m.name.lower()  # ALSA's "default" device needs no "(default)"
                    self.device_combo.addItem(m.name + (" (default)" if m.default and not said else ""), m.index)
                self._add_stand_in()
                self.device_combo.addItem("Audio file as microphone…", FILE_ITEM)
            else:
                env = camera_from_env()
                if env:
                    self.device_combo.addItem(f"{Path(env).name} (SIAMGUI_CAMERA)", env)
                for c in list_cameras():
                    self.device_combo.addItem(c.name, c.id)
                self._add_stand_in()
                self.device_combo.addItem("Video file as camera…", FILE_ITEM)
        except MicrophoneError as exc:
            self._add_stand_in()
            self.device_combo.addItem("Audio file as microphone…", FILE_ITEM)
            self._say(str(exc))
            return
        if self.stand_in is not None:
            self.device_combo.setCurrentIndex(self.device_combo.findData(self.stand_in))
        elif self.device_combo.count() == 1:
            kind = "microphone" if self.is_audio else "camera"
            self._say(f"No {kind} found. Plug one in and press Refresh, or use a file as the {kind}.")

    def _add_stand_in(self) -> None:
        if self.stand_in is not None:
            kind = "microphone" if self.is_audio else "camera"
            self.device_combo.addItem(f"{Path(self.stand_in).name} (file as {kind})", self.stand_in)
            self.device_combo.setItemData(self.device_combo.count() - 1, self.stand_in, Qt.ItemDataRole.ToolTipRole)

    def _chosen_source(self):
        """The device, or a file standing in for it: chosen once, then listed and used at every Start."""
        data = self.device_combo.currentData()
        if data != FILE_ITEM:
            return data
        filt = "Audio (*.wav *.flac *.ogg *.mp3)" if self.is_audio else "Video (*.mp4 *.avi *.mkv *.mov *.webm)"
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
        self.live_verdict = None
        try:
            if self.is_audio:
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
                                       self.bridge.error.emit)
                self.preview.placeholder = "Opening the camera…"
                self.preview.update()
        except MediaError as exc:
            self._say(str(exc))
            self.loop = None
            return
        self.verifier.set_reference(self.reference)
        self.loop.start()
        self.start_btn.setText("Stop")
        self._say("")
        self.status.emit("Live: " + ("listening" if self.is_audio else "camera running"))

    def stop(self) -> None:
        self._forget_identification()
        loop, self.loop = self.loop, None
        if loop is not None:
            loop.stop()
            self.status.emit("Live: stopped")
        self.start_btn.setText("Start")

    # --- results (UI thread) -------------------------------------------------------------
    def _on_frame(self, item: tuple) -> None:
        frame, seq = item
        if self.loop is None:
            return
        self.last_frame, self.frame_seq = frame, seq
        self.recent_frames.append((seq, frame))
        if self.frozen:
            return  # Why? holds the pair it explains on screen
        r = self.last_face
        fresh = r is not None and r.box is not None and seq - r.seq <= STALE_FRAMES
        colour = QColor("#2b6cb0")
        if fresh and r.verdict is not None:
            colour = QColor("#2f855a") if r.verdict.same else QColor("#c53030")
        self.preview.show_frame(qimage_from_array(frame), r.box if fresh else None, colour)

    def _on_face(self, r: FrameResult) -> None:
        if self.loop is None:
            return
        self.last_face = r
        self.result_times.append(r.done)
        self.latencies.append(r.done - r.captured)
        self._refresh_why()
        if self.mode_combo.currentIndex() == 1 and r.embedding is not None:
            if not self.frozen:
                self._identify(r.embedding)
        else:
            self._live_verdict(r.verdict, "" if r.verdict is not None else r.message)
        if not self.frozen:
            thumb(self.live_thumb, qimage_from_array(r.crop, bgr=r.colour == "bgr") if r.crop is not None else None)

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
                                 lambda o: thumb(self.live_thumb, o.value, stretch=True)
                                 if o.ok and self.loop is not None and self.last_clip is clip else None)
            self.latencies.append(r.done - r.ended)
            self.result_times.append(r.done)
        if self.mode_combo.currentIndex() == 1 and r.embedding is not None:
            if not self.frozen:
                self._identify(r.embedding)
        elif r.verdict is not None:
            self._live_verdict(r.verdict, "utterance" if r.kind == "utterance" else "last seconds of voice")
        elif r.message:
            self._live_verdict(None, r.message)

    def _on_error(self, message: str) -> None:
        self._say(message)
        self.status.emit(message)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _live_verdict(self, verdict: Verdict | None, note: str = "") -> None:
        """A live result against the reference: kept for after Why?, shown unless Why? holds the panel."""
        self.live_verdict = (verdict, note)
        if not self.frozen:
            self._show_verdict(verdict, note)

    def _show_last_live_verdict(self) -> None:
        """Back from Why?: the last live verdict again; with the device stopped, nothing will replace
        it, so the note says so (and with no verdict yet, how to get one)."""
        verdict, note = self.live_verdict or (None, "")
        if self.loop is None:
            device = "microphone" if self.is_audio else "camera"
            note = f"{device} stopped" if verdict is not None else f"{device} stopped: press Start"
        self._show_verdict(verdict, note)

    def _show_verdict(self, verdict: Verdict | None, note: str = "") -> None:
        """A verdict against the reference (re-judged by the panel when the threshold moves)."""
        self.matches.hide()
        if verdict is None:
            self.verdict.set_distance(None, note[:1].upper() + note[1:] if note else "Waiting")
        else:
            self.verdict.set_distance(verdict.distance, note=note)

    def _update_stats(self) -> None:
        if self.loop is None or len(self.result_times) < 2:
            self.stats.setText("")
            return
        span = self.result_times[-1] - self.result_times[0]
        rate = (len(self.result_times) - 1) / span if span > 0 else 0.0
        lat = 1000 * float(np.median(self.latencies)) if self.latencies else 0.0
        what = "utterance end → verdict" if self.is_audio else "frame → verdict"
        self.stats.setText(f"{rate:.1f} verdicts/s · {what} {lat:.0f} ms (median)")

    # --- why: occlusion maps of the pair being judged ----------------------------------------
    @property
    def frozen(self) -> bool:
        """Why? holds a pair on screen (computing its maps, or showing them): live results wait."""
        return self.why_job.running or self.why_maps is not None

    def _frame_of(self, r: FrameResult | None) -> np.ndarray | None:
        """The very frame a face result was computed from, while it is among the recent ones."""
        if r is None:
            return None
        return next((f for seq, f in reversed(self.recent_frames) if seq == r.seq), None)

    def _why_blocker(self) -> str:
        """Why there is no pair to explain yet ("" when there is one)."""
        if self.encoder is None or self.encoder.modality.live_source == "none":
            return "Why? needs a face or voice model: choose one to go live."
        if self.mode_combo.currentIndex() == 1:
            return "Why? explains a pair: choose the mode Verify against reference."
        if self.reference is None:
            return "Why? needs a reference: choose one on the right (from a file, live or an enrolled person)."
        if self.is_audio and self.last_clip is None:
            return "Why? needs an utterance: press Start and say something."
        face = self.last_face
        if not self.is_audio and (face is None or face.embedding is None or self._frame_of(face) is None):
            return "Why? needs a face: press Start and face the camera."
        return ""

    def _refresh_why(self) -> None:
        """The button's state and tooltip: off (saying why) until a pair is there to explain."""
        if self.why_job.running:
            return  # off while the maps are computed
        if self.why_maps is not None:
            self.why_btn.setEnabled(True)
            self.why_btn.setToolTip(f"Back to the live picture ({why.SHORTCUT})")
            return
        reason = self._why_blocker()
        self.why_btn.setEnabled(not reason)
        self.why_btn.setToolTip(reason or (why.TOOLTIP_ONE if self.reference_source is None else why.TOOLTIP))

    def why(self) -> None:
        """Freeze the pair being judged (the live input and the reference) and map it in a job;
        pressed again while the maps are shown, back to the live picture."""
        if self.why_job.running:
            return  # one computation at a time
        if self.why_maps is not None:
            self.back_to_live()
            return
        reason = self._why_blocker()
        if reason:
            self.status.emit(reason)
            self._refresh_why()
            return
        if self.is_audio:
            live = self.last_clip
        else:
            face = self.last_face
            live = self._frame_of(face).copy()
            self.preview.show_frame(qimage_from_array(live), face.box, QColor("#2b6cb0"))
        encoder, reference = self.encoder, self.reference_source
        if reference is None:  # an enrolled person's average: only the live side has regions to hide
            reference = Against(self.reference, self.reference_name, self.reference_samples)
            frozen = f"Frozen: hiding each region of the live input in turn (against {reference.words()})…"
        else:
            frozen = "Frozen: hiding each region of the live input and of the reference in turn…"
        self.why_job.start(encoder, live, reference, self._show_why,
                           current=lambda: encoder is self.encoder, failed=self._why_failed)
        self.why_btn.setToolTip("Computing the maps of the frozen pair…")
        self.why_caption.setText(frozen)
        self.why_caption.show()

    def _show_why(self, maps, picture) -> None:
        self.why_maps = maps
        self.scope.hide()
        self.preview.show()
        self.preview.show_frame(why.pair_image(picture), None, QColor("#2b6cb0"))
        thumb(self.live_thumb, why.side_image(maps, 0), stretch=self.is_audio)
        if maps.against is None:
            thumb(self.ref_thumb, why.side_image(maps, 1), stretch=self.is_audio)
            lead = "Left: live, right: reference. "
        else:
            lead = f"Live input only ({maps.against.name}'s reference is an average, with no picture to map). "
        self.why_caption.setText(lead + why.caption(maps))
        self.matches.hide()
        self.verdict.set_distance(maps.distance, note="the frozen pair")
        why.set_text(self.why_btn, "Back to live")
        self._refresh_why()

    def _why_failed(self, message: str) -> None:
        self.back_to_live()
        self._say(f"Why? {message}")

    def back_to_live(self) -> None:
        """Drop the maps (or their computation) and show the live picture again."""
        shown = self.frozen
        self.why_job.cancel()
        self.why_maps = None
        self.why_caption.hide()
        why.set_text(self.why_btn, why.TEXT)
        if shown and self.encoder is not None:
            self.preview.setVisible(not self.is_audio)
            self.scope.setVisible(self.is_audio)
            self.preview.image, self.preview.box = None, None
            if not self.is_audio and self.last_frame is not None:
                self.preview.show_frame(qimage_from_array(self.last_frame), None, QColor("#2b6cb0"))
            self.preview.update()
            self._show_reference_thumb()
            self._show_live_input()
            self._show_last_live_verdict()
        self._refresh_why()

    def _show_live_input(self) -> None:
        """The live thumbnail: the last face crop, or the last utterance's spectrogram (in a job)."""
        if self.is_audio:
            clip = self.last_clip
            if clip is not None:
                self.jobs.submit(lambda: spectrogram_image(clip),
                                 lambda o: thumb(self.live_thumb, o.value, stretch=True)
                                 if o.ok and not self.frozen and self.last_clip is clip else None)
            return
        r = self.last_face
        thumb(self.live_thumb, qimage_from_array(r.crop, bgr=r.colour == "bgr")
              if r is not None and r.crop is not None else None)

    # --- references ----------------------------------------------------------------------
    def _set_reference(self, embedding: np.ndarray, name: str, image: QImage | None, source=None,
                       samples: int = 0) -> None:
        """``source``: the input ``embedding`` came from (a path, frame or clip), which Why? maps; None
        for an enrolled person's average of ``samples`` embeddings (Why? maps the live side alone)."""
        self.back_to_live()  # maps of the old reference would explain a pair no longer judged
        self.reference, self.reference_name = embedding, name
        self.reference_source, self.reference_image, self.reference_samples = source, image, samples
        if self.verifier is not None:
            self.verifier.set_reference(embedding)
        self.live_verdict = None  # a verdict against the old reference says nothing about the new one
        self._show_last_live_verdict()
        self._show_reference_thumb()
        average = f" (average of {samples} enrolled sample{'s' if samples != 1 else ''})" if samples else ""
        self.ref_caption.setText(f"Reference: {name}{average}")
        self._refresh_why()

    def _show_reference_thumb(self) -> None:
        """The reference's picture; a person's average has none, so their name stands in its place."""
        thumb(self.ref_thumb, self.reference_image, stretch=self.is_audio)
        if self.reference_image is None and self.reference is not None:
            self.ref_thumb.setText(self.reference_name if self.reference_source is None else
                                   "♪" if self.is_audio else "")

    def reference_from_file(self, path: str | None = None) -> None:
        if self.encoder is None:
            return
        if not path:
            filt = "Audio (*.wav *.flac *.ogg *.mp3)" if self.is_audio else "Images (*.png *.jpg *.jpeg *.pgm *.bmp)"
            path, _ = QFileDialog.getOpenFileName(self, "Choose the reference", "", filt)
            if not path:
                return
        enc = self.encoder

        def work():
            if enc.modality.medium == "audio":  # decode once: the spectrogram shown is of the clip embedded
                clip = load_audio(path)
                return enc.embed_one(clip), spectrogram_image(clip)
            prepared = enc.prepare(path)
            view = qimage_from_array(prepared.view, bgr=prepared.colour == "bgr") if prepared.view is not None else None
            return enc.embed_prepared([prepared])[0], view

        def done(outcome):
            if not outcome.ok:
                self._say(f"Reference not usable: {named(Path(path).name, outcome.error)}")
                return
            emb, image = outcome.value
            self._set_reference(emb, Path(path).name, image, path)

        self.jobs.submit(work, done)

    def reference_from_live(self) -> None:
        if self.is_audio:
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
        """List the enrolled people this model can be compared with (read off the UI thread)."""
        self._people_request += 1
        request = self._people_request
        self.ref_person.clear()  # never a list of another model's people, even for a moment
        if self.encoder is None or self.gallery_factory is None:
            return
        factory, scope = self.gallery_factory, self.encoder.modality.gallery_scope  # this kind's people only

        def done(outcome) -> None:
            if request != self._people_request:
                return  # a newer model or gallery change asked again
            if not outcome.ok:
                self._say(f"Gallery unavailable: {outcome.error}")
                return
            for p in outcome.value:
                self.ref_person.addItem(f"{p.name} ({p.samples})", p.id)

        self.jobs.submit(lambda: people_for_scope(factory(), scope)[0], done, lane=GALLERY_LANE)

    def reference_from_person(self, person_id) -> None:
        """The mean of a person's enrolled embeddings becomes the reference (read off the UI thread)."""
        if person_id is None or self.encoder is None or self.gallery_factory is None:
            return
        self._person_request += 1
        request, enc, factory = self._person_request, self.encoder, self.gallery_factory

        def work():
            _, pids, names, vecs = factory().matrix(enc.model_hash, enc.modality.gallery_scope)
            rows = np.nonzero(pids == person_id)[0]
            if len(rows) == 0:
                return None
            mean = vecs[rows].mean(axis=0)
            return mean / (np.linalg.norm(mean) + 1e-12), names[rows[0]], len(rows)

        def done(outcome) -> None:
            if request != self._person_request or enc is not self.encoder:
                return
            if not outcome.ok:
                self._say(f"Gallery unavailable: {outcome.error}")
            elif outcome.value is None:
                self._say("This person has no embeddings for this model yet: re-embed them in the Gallery view.")
            else:
                mean, name, samples = outcome.value
                self._set_reference(mean, name, None, samples=samples)

        self.jobs.submit(work, done, lane=GALLERY_LANE)

    # --- gallery -------------------------------------------------------------------------
    def _mode_changed(self, index: int) -> None:
        self.back_to_live()
        self._forget_identification()
        self._show_verdict(None)
        self.ref_box.setVisible(index == 0)  # identify compares with the gallery, not with a reference
        if index == 1:
            self.refresh_people()
        self._refresh_why()

    def _forget_identification(self) -> None:
        """Whatever identification is in flight belongs to the past (a stop, a new model or mode)."""
        self._ident_request += 1
        self._ident_next = None

    def _identify(self, embedding: np.ndarray) -> None:
        """Look ``embedding`` up in the gallery on a job: one in flight, only the newest waits."""
        if self.gallery_factory is None or self.encoder is None:
            return
        self._ident_next = embedding
        if not self._ident_busy:
            self._identify_next()

    def _identify_next(self) -> None:
        embedding, self._ident_next = self._ident_next, None
        if embedding is None:
            return
        self._ident_busy = True
        request, enc, factory = self._ident_request, self.encoder, self.gallery_factory
        threshold = self.threshold or 0.0

        def done(outcome) -> None:
            self._ident_busy = False
            current = request == self._ident_request and enc is self.encoder and self.loop is not None
            if current:
                self._show_identification(outcome)
            self._identify_next()  # the newest embedding that came while this one was looked up

        self.jobs.submit(lambda: factory().identify(embedding, enc.model_hash, enc.card.metric, threshold, 3,
                                                    scope=enc.modality.gallery_scope), done,
                         lane=GALLERY_LANE)

    def _show_identification(self, outcome) -> None:
        if not outcome.ok:
            self._show_verdict(None, f"gallery unavailable: {outcome.error}")
            return
        ident = outcome.value
        self.matches.clear()
        if not ident.matches:
            self._show_verdict(None, "the gallery has nobody enrolled with this model")
            return
        best = ident.best
        self.verdict.set_identity(best.name, best.distance)
        for m in ident.matches:
            self.matches.addItem(f"{m.name}   {m.distance:.3f}")
        self.matches.show()

    def enrol_live(self) -> None:
        """Store the current frame (or last utterance) as a sample of a named person."""
        if self.encoder is None or self.gallery_factory is None:
            return
        if self.is_audio:
            if self.last_clip is None:
                self._say("Say something first: the last utterance is what gets enrolled.")
                return
            sample, encode, suffix, source = self.last_clip, encode_wav, ".wav", "microphone"
        else:
            if self.last_frame is None or self.last_face is None or self.last_face.box is None:
                self._say("No face in view to enrol.")
                return
            sample, encode, suffix, source = self.last_frame.copy(), encode_png, ".png", "camera"
        name, ok = QInputDialog.getText(self, "Enrol", "Name of the person:")
        if not ok or not name.strip():
            return
        enc, gallery_factory = self.encoder, self.gallery_factory

        def work():  # encoding, embedding and the write all happen here, off the UI thread
            media = encode(sample)
            emb = enc.embed(sample)
            enrol_media(gallery_factory(), enc, name, suffix, media, source, emb)  # under the model's kind
            return name

        def done(outcome):
            if outcome.ok:
                self.status.emit(f"Enrolled a sample of {outcome.value}")
                self.refresh_people()
            else:
                QMessageBox.warning(self, "Enrol", outcome.error)

        self.jobs.submit(work, done)

    def activated(self) -> None:
        self.refresh_people()

    def deactivated(self) -> None:
        self.stop()  # never keep the camera or microphone open behind the user's back

    def shutdown(self) -> None:
        self.stop()
        if self._own_jobs:
            self.jobs.shutdown()
