"""One side of the Compare view: a file in (drop or Open…), what the encoder made of it out."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QStackedWidget,
    QVBoxLayout, QWidget,
)

from siamgui.media.medium import IMAGE as IMAGE_MEDIUM
from siamgui.media.medium import Medium, medium
from siamgui.ui.analysis import Analysis, AudioDisplay, ImageDisplay
from siamgui.ui.canvas import ImageCanvas, SpectrogramView, WaveformView
from siamgui.ui.elided import ElidedLabel

ALL_FILTER = "All files (*)"

EMPTY, IMAGE, AUDIO = range(3)


def shown_path(path: Path) -> str:
    """The file's folder and name ("s1/1.pgm"): ORL's s1/1.pgm and s2/1.pgm must not both read "1.pgm"."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def restyle(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)


class InputPane(QFrame):
    """Accepts one file; shows the picture / sound, the model's view of it, or why it failed."""

    fileChosen = Signal(str)
    playRequested = Signal()

    def __init__(self, side: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.side = side
        self.modality: Medium = IMAGE_MEDIUM  # what the model reads: its files, its words
        self.path: Path | None = None
        self.analysis: Analysis | None = None
        self.start_dir = ""
        self.setObjectName("pane")
        self.setAcceptDrops(True)
        self.setProperty("dragging", False)
        self.setProperty("state", "empty")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        badge = QLabel(side)
        badge.setObjectName("paneBadge")
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        badge.setFixedSize(26, 26)
        self.name_label = ElidedLabel("No file", mode=Qt.TextElideMode.ElideLeft)  # the file's end stays
        self.name_label.setObjectName("paneName")
        self.play_button = QPushButton("▶  Play")
        self.play_button.setObjectName("playButton")
        self.play_button.setToolTip("Play the clip")
        self.play_button.clicked.connect(self.playRequested)
        self.play_button.hide()
        self.open_button = QPushButton("Open…")
        self.open_button.setObjectName("openButton")
        self.open_button.setToolTip(f"Choose file {side}")
        self.open_button.clicked.connect(self.open_dialog)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(badge)
        header.addWidget(self.name_label, 1)
        header.addWidget(self.play_button)
        header.addWidget(self.open_button)

        self.hint = QLabel()
        self.hint.setObjectName("dropHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.canvas = ImageCanvas()
        self.wave = WaveformView()
        self.spectrogram = SpectrogramView()
        audio_page = QWidget()
        al = QVBoxLayout(audio_page)
        al.setContentsMargins(0, 0, 0, 0)
        al.setSpacing(6)
        al.addWidget(self.wave, 2)
        al.addWidget(self.spectrogram, 3)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(audio_page)

        self.busy = QProgressBar()
        self.busy.setObjectName("paneBusy")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedHeight(4)
        self.busy.hide()
        self.info_label = QLabel()
        self.info_label.setObjectName("paneInfo")
        self.info_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setObjectName("paneError")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()
        self.note_label = QLabel()
        self.note_label.setObjectName("paneNote")
        self.note_label.setWordWrap(True)
        self.note_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.busy)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.info_label)
        self.set_modality(IMAGE_MEDIUM)

    # --- state -----------------------------------------------------------------------------
    @property
    def message(self) -> str:
        return self.message_label.text() if not self.message_label.isHidden() else ""

    @property
    def embedding(self):
        return None if self.analysis is None else self.analysis.embedding

    def _set_state(self, state: str) -> None:
        self.setProperty("state", state)
        restyle(self)

    def set_modality(self, modality: Medium | str) -> None:
        """The medium the model reads (a Medium, or its name as a card stores it): the hint, the
        tooltip and the file dialog's filter follow from it."""
        self.modality = medium(modality)
        self.hint.setText(f"Drop {self.modality.drop_hint} here\nor click Open…")
        self.open_button.setToolTip(f"Choose {self.modality.item} {self.side}")

    def clear(self) -> None:
        self.path, self.analysis = None, None
        self.name_label.setText("No file")
        self.name_label.setToolTip("")
        self.stack.setCurrentIndex(EMPTY)
        self.canvas.set_content(None)
        self.wave.set_wave(None)
        self.spectrogram.set_image(None)
        self.info_label.clear()
        self.message_label.hide()
        self.note_label.hide()
        self.play_button.hide()
        self.busy.hide()
        self._set_state("empty")

    def set_busy(self, path: str | Path) -> None:
        self.path = Path(path)
        self.analysis = None
        self.name_label.setText(shown_path(self.path))
        self.name_label.setToolTip(str(self.path))
        self.message_label.hide()
        self.note_label.hide()
        self.info_label.setText("Working…")
        self.busy.show()

    def show_result(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.busy.hide()
        self.message_label.hide()
        self._show_display(analysis)
        self.info_label.setText(self._describe(analysis))
        self._set_state("ok")

    def show_error(self, message: str, partial: Analysis | None = None) -> None:
        self.analysis = None
        self.busy.hide()
        if partial is not None and partial.display is not None:
            self._show_display(partial)
        else:
            self.stack.setCurrentIndex(EMPTY)
            self.play_button.hide()
        self.info_label.setText("")
        self.message_label.setText(f"⚠  {message}")
        self.message_label.show()
        self._set_state("error")

    def show_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText("■  Stop" if playing else "▶  Play")

    def _show_display(self, a: Analysis) -> None:
        d = a.display
        if isinstance(d, ImageDisplay):
            self.canvas.set_content(d.image, a.region, a.view, a.outline)
            self.stack.setCurrentIndex(IMAGE)
            self.play_button.hide()
        elif isinstance(d, AudioDisplay):
            self.wave.set_wave(d.wave, d.clip.duration)
            self.spectrogram.set_image(d.spectrogram)
            self.stack.setCurrentIndex(AUDIO)
            self.play_button.show()
            self.set_playing(False)
        else:
            self.stack.setCurrentIndex(EMPTY)
            self.play_button.hide()

    @staticmethod
    def _describe(a: Analysis) -> str:
        d = a.display
        if isinstance(d, AudioDisplay):
            parts = [f"{d.clip.duration:.2f} s at {d.clip.rate} Hz"]
            if "voiced" in a.info:
                parts.append(f"{a.info['voiced']:.2f} s with sound")
            if "windows" in a.info:
                n = a.info["windows"]
                parts.append(f"averaged over {n} window{'s' if n != 1 else ''}")
            if a.info.get("note"):  # a short clip: less behind the distance
                parts.append(a.info["note"])
            return "  ·  ".join(parts)
        if isinstance(d, ImageDisplay):
            w, h = d.size
            text = f"{w}×{h} px"
            if a.outline is not None:
                text += "  ·  the face, aligned on its eyes, nose and mouth"
            elif a.region is not None and (a.region.w < w - 1 or a.region.h < h - 1 or a.region.x > 1 or a.region.y > 1):
                text += f"  ·  the model looked at the outlined {round(a.region.w)}×{round(a.region.h)}\u00a0px region"
            if a.view is not None:  # no-break spaces: a wrapped line never splits a size from its word
                text += f"  ·  input\u00a0{a.view.width()}×{a.view.height()}"
            if a.info.get("note"):  # several faces, a profile
                text += f"  ·  {a.info['note']}"
            return text
        return ""

    # --- files in --------------------------------------------------------------------------
    def file_filter(self) -> str:
        return f"{self.modality.file_filter};;{ALL_FILTER}"

    def open_dialog(self) -> None:
        start = self.start_dir or (str(self.path.parent) if self.path else "")
        path, _ = QFileDialog.getOpenFileName(self, f"Open {self.modality.item} {self.side}", start, self.file_filter())
        if path:
            self.start_dir = str(Path(path).parent)
            self.fileChosen.emit(path)

    @staticmethod
    def _local_file(mime) -> str | None:
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if self._local_file(event.mimeData()):
            event.acceptProposedAction()
            self.setProperty("dragging", True)
            restyle(self)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if self._local_file(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self.setProperty("dragging", False)
        restyle(self)

    def dropEvent(self, event) -> None:  # noqa: N802
        self.setProperty("dragging", False)
        restyle(self)
        path = self._local_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.fileChosen.emit(path)
