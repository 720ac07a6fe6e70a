"""The contract every input kind fulfils, and the encoder input it produces.

A model card names its input kind in ``preprocess.kind``; the :class:`Modality` registered under
that name is the one place that knows how to turn a file, an array, a camera frame or a clip into
the (windows, C, H, W) float32 batch the encoder takes, and how the app should present that kind
(what files it opens, which live device feeds it, how the model's input is drawn, how a verdict is
worded). Training asks the same object for its inputs and adds augmentation on top, so what a
model learned on is what it sees in the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Union

import numpy as np

from siamgui.kinds.limits import Limit
from siamgui.media import audio, images
from siamgui.media.errors import MediaError
from siamgui.media.faces import Box
from siamgui.media.medium import AUDIO, IMAGE, Medium

Source = Union[str, Path, np.ndarray, audio.AudioClip]
Colour = Literal["grey", "rgb", "bgr"]
LiveSource = Literal["camera", "microphone", "none"]


@dataclass
class Prepared:
    """Encoder input for one source, plus what to show the user about it.

    ``view`` is the picture of what the encoder saw (a face crop, a glyph, a resized photo) and
    ``colour`` says its channel order, so a display never has to guess BGR from RGB.
    """

    tensors: np.ndarray  # (windows, C, H, W) float32; images have one window
    region: Box | None = None  # the part of the source image the encoder saw
    view: np.ndarray | None = None  # that part as a uint8 picture, for display
    colour: Colour = "grey"  # channel order of ``view`` when it has three channels
    info: dict[str, Any] = field(default_factory=dict)  # e.g. duration, voiced seconds, windows
    outline: np.ndarray | None = None  # (4, 2) corners of a rotated region (aligned faces), image pixels


class Modality:
    """One input kind. Subclasses set the class attributes and implement :meth:`prepare`.

    Instances are cheap and hold the resolved spec (the card's parameters over the defaults).
    """

    kind: ClassVar[str]  # the card's preprocess.kind
    medium: ClassVar[Medium] = IMAGE  # what files it reads (IMAGE or AUDIO)
    scope: ClassVar[str] = ""  # what a gallery of this kind holds ("face", "voice"); defaults to ``kind``
    defaults: ClassVar[dict[str, Any]] = {}
    limits: ClassVar[dict[str, Limit]] = {}  # type and range of every key of ``defaults`` (kinds/limits.py)
    live_source: ClassVar[LiveSource] = "none"  # the device that can feed it live
    sample_folder: ClassVar[str] = ""  # resources/samples/<folder> (defaults to ``kind``)
    subjects: ClassVar[tuple[str, str]] = ("the same", "different")  # how a verdict is worded
    tracks_faces: ClassVar[bool] = False  # live frames go through a face tracker + prepare_at
    drawable: ClassVar[bool] = False  # its inputs can be drawn by hand (the views offer a drawing pad)

    def __init__(self, spec: dict[str, Any]):
        self.spec: dict[str, Any] = {**self.defaults, **spec, "kind": self.kind}
        self.check(self.spec)

    @classmethod
    def check(cls, spec: dict[str, Any]) -> None:
        """MediaError, in one sentence, when a key is unknown or a value is outside its
        :class:`Limit` (checked whenever a card is loaded or set, so a card value can never ask
        for 30 GB, divide by zero or give a NaN distance)."""
        for key, value in spec.items():
            if key == "kind":
                continue
            limit = cls.limits.get(key)
            if limit is None:
                raise MediaError(f"unknown preprocess key {key!r} for kind {cls.kind!r} "
                                 f"(known: {', '.join(cls.limits)})")
            problem = limit.problem(key, value)
            if problem:
                raise MediaError(f"preprocess {problem} (kind {cls.kind!r})")
        problem = cls.relations(spec)
        if problem:
            raise MediaError(f"preprocess {problem} (kind {cls.kind!r})")

    @classmethod
    def relations(cls, spec: dict[str, Any]) -> str | None:
        """What is wrong between keys (a window longer than its FFT); kinds with such rules override."""
        return None

    # --- what it is ----------------------------------------------------------------------
    @property
    def suffixes(self) -> tuple[str, ...]:
        """File name endings this kind opens (lower case, with the dot)."""
        return self.medium.suffixes

    @property
    def file_filter(self) -> str:
        """A Qt-style file-dialog filter, e.g. ``Images (*.png *.jpg)``."""
        return self.medium.file_filter

    @property
    def gallery_scope(self) -> str:
        """The gallery this kind's people live in: models of one scope share enrolled people (a
        face model A and a face model B), models of another scope never see them."""
        return self.scope or self.kind

    @property
    def samples(self) -> str:
        """Folder name of this kind's shipped sample pairs under resources/samples."""
        return self.sample_folder or self.kind

    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one encoder input."""
        raise NotImplementedError

    # --- turning the world into encoder inputs ---------------------------------------------
    def prepare(self, source: Source) -> Prepared:
        """Preprocess one file, array or clip exactly as the card says (MediaError if unusable)."""
        raise NotImplementedError

    def prepare_at(self, frame: np.ndarray, box: Any) -> Prepared:
        """Preprocess a known region of a frame (a tracked face: a Box, or a detection with
        landmarks for kinds that align); kinds that track faces override."""
        return self.prepare(frame)

    def detector(self) -> Any:
        """The face detector whose detections :meth:`prepare_at` takes (kinds that track faces)."""
        return None

    # --- shared input checks ---------------------------------------------------------------
    def image_of(self, source: Source) -> np.ndarray:
        """A BGR / grey uint8 image from a path or array; a clear sentence for audio."""
        if isinstance(source, np.ndarray):
            if source.ndim not in (2, 3) or source.size == 0:
                raise MediaError("expected an image array (H, W) or (H, W, 3)")
            return images.to_bgr(source)
        if isinstance(source, audio.AudioClip):
            raise MediaError("audio: this model takes images, not audio")
        if audio.is_audio_path(source):
            raise MediaError(f"{Path(str(source)).name}: this model takes images, not audio")
        return images.load_image(source)

    def clip_of(self, source: Source) -> audio.AudioClip:
        """An AudioClip from a path or clip; a clear sentence for images and bare arrays."""
        if isinstance(source, audio.AudioClip):
            return source
        if isinstance(source, np.ndarray):
            raise MediaError("this model takes audio: pass a file path or an AudioClip")
        if images.is_image_path(source):
            raise MediaError(f"{Path(source).name}: this model takes audio, not images")
        return audio.load_audio(source)


class SpeechModality(Modality):
    """What every speech kind shares: audio files, the microphone, (mel bands x frames) windows."""

    medium: ClassVar[Medium] = AUDIO
    scope: ClassVar[str] = "voice"
    live_source: ClassVar[LiveSource] = "microphone"
    sample_folder: ClassVar[str] = "voice"
    subjects: ClassVar[tuple[str, str]] = ("the same speaker", "different speakers")

    @property
    def sample_rate(self) -> int:
        """The rate clips are resampled to before features."""
        return int(self.spec["sample_rate"])

    def input_shape(self) -> tuple[int, int, int]:
        return (1, int(self.spec["n_mels"]), int(self.spec["frames"]))
