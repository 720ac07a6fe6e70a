"""Live's reference panel: what the live input is held against, and the model's view of both.

The panel only shows and asks: it emits what the user chose (a file, the live input, an enrolled
person) and the view does the work in jobs. Names are shown as plain text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (QComboBox, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout)

from siamgui.ui.analysis import qimage_from_array, spectrogram_image
from siamgui.ui.canvas import thumb

THUMB = 96  # px: two thumbnails side by side, beside the reference's name and buttons


@dataclass(frozen=True, eq=False)
class Reference:
    """What the live input is held against."""

    embedding: np.ndarray
    name: str
    image: QImage | None = None  # its picture (a face crop, a spectrogram); None for a person's average
    source: Any = None  # the input it was embedded from (a path, frame or clip), which Why? maps;
    #                     None for an enrolled person's average (Why? maps the live side alone)
    samples: int = 0  # enrolled samples averaged into it


def reference_of_file(encoder, path: str) -> Reference:
    """Embed a file as the reference, with the picture of what the encoder saw (runs in a job).
    Sound is decoded once, so the spectrogram shown is of the clip embedded."""
    if not encoder.modality.medium.has_picture:
        from siamgui.media.audio import load_audio

        clip = load_audio(path)
        return Reference(encoder.embed_one(clip), Path(path).name, spectrogram_image(clip), path)
    prepared = encoder.prepare(path)
    view = qimage_from_array(prepared.view, bgr=prepared.colour == "bgr") if prepared.view is not None else None
    return Reference(encoder.embed_prepared([prepared])[0], Path(path).name, view, path)


class ReferencePanel(QGroupBox):
    """Reference thumbnail and the live one side by side, the reference's name, and three ways to
    choose it: from a file, from the live input, or an enrolled person's average."""

    fileRequested = Signal()
    liveRequested = Signal()
    personChosen = Signal(object)  # the person's id

    def __init__(self, parent=None):
        super().__init__("Reference", parent)
        grid = QGridLayout(self)
        self.ref_thumb = self._thumb("none")
        self.ref_thumb.setWordWrap(True)  # an enrolled person's name stands in for their (absent) picture
        self.live_thumb = self._thumb("live")
        grid.addWidget(self.ref_thumb, 0, 0)
        grid.addWidget(self.live_thumb, 0, 1)
        self.captions = (QLabel("reference"), QLabel("model's input"))
        for col, cap in enumerate(self.captions):
            cap.setObjectName("muted")
            cap.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(cap, 1, col, Qt.AlignmentFlag.AlignHCenter)
        # a strip under the picture: the two thumbnails, then the name and the three ways to choose
        self.caption = QLabel("No reference yet")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        self.file_btn = QPushButton("From file…")
        self.live_btn = QPushButton("Use live")
        self.person = QComboBox()
        self.person.setPlaceholderText("Enrolled person…")
        self.person.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.person.setMinimumContentsLength(12)
        choose = QVBoxLayout()
        choose.addWidget(self.caption)
        buttons = QHBoxLayout()
        buttons.addWidget(self.file_btn)
        buttons.addWidget(self.live_btn)
        choose.addLayout(buttons)
        choose.addWidget(self.person)
        choose.addStretch(1)
        grid.addLayout(choose, 0, 2, 2, 1)
        grid.setColumnStretch(2, 1)
        self.file_btn.clicked.connect(lambda: self.fileRequested.emit())
        self.live_btn.clicked.connect(lambda: self.liveRequested.emit())
        self.person.activated.connect(lambda _i: self.personChosen.emit(self.person.currentData()))

    @staticmethod
    def _thumb(text: str) -> QLabel:
        label = QLabel(text)
        label.setFixedSize(THUMB, THUMB)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setFrameShape(QFrame.Shape.StyledPanel)
        return label

    def set_live_words(self, live_input: str, use_live: str) -> None:
        """What the live side is called: "model's input" / "Use live face" for a camera,
        "last utterance" / "Use last utterance" for a microphone."""
        self.captions[1].setText(live_input)
        self.live_btn.setText(use_live)

    def clear(self) -> None:
        thumb(self.ref_thumb, None)
        thumb(self.live_thumb, None)
        self.live_thumb.setText("live")
        self.caption.setText("No reference yet")

    def show(self, ref: Reference | None, stretch: bool, placeholder: str = "") -> None:
        """``ref``'s picture and caption; where it has no picture, a person's name (an average) or
        ``placeholder`` (the medium's sign) stands in."""
        if ref is None:
            return
        self.show_reference(ref.name, ref.image, ref.samples, stretch, ref.name if ref.source is None else placeholder)

    def show_reference(self, name: str, image: QImage | None, samples: int, stretch: bool,
                       stand_in: str = "") -> None:
        """The reference's picture (or ``stand_in`` text where it has none: an enrolled person's
        name, a note sign for a clip) and its caption."""
        thumb(self.ref_thumb, image, THUMB, stretch=stretch)
        if image is None:
            self.ref_thumb.setText(stand_in)
        average = f" (average of {samples} enrolled sample{'s' if samples != 1 else ''})" if samples else ""
        self.caption.setText(f"Reference: {name}{average}")

    def show_live(self, image: QImage | None, stretch: bool = False) -> None:
        thumb(self.live_thumb, image, THUMB, stretch=stretch)

    def set_people(self, people: list[tuple[str, object]]) -> None:
        """(label, person id) of each enrolled person this model can be compared with."""
        self.person.clear()
        for label, pid in people:
            self.person.addItem(label, pid)
