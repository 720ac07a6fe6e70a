"""The two media SiamGUI reads, image and audio, as objects.

A :class:`Medium` owns everything that differs between "a picture" and "a sound" and is not
specific to one input kind: which file endings it opens, the file-dialog filter, the words a
sentence uses for its files, how a file is decoded, the picture a view shows of it, and the one
sentence that says a folder holds files of the other medium. Views, tasks and the benchmark ask
the Medium (``encoder.modality.medium``) instead of comparing a string, so a third medium (say
1-D signals) is one more instance here plus one kind folder.

    medium = modality.medium          # IMAGE or AUDIO
    medium.file_filter                # "Images (*.png *.jpg …)"
    medium.wrong_medium(root, "face")     # "…: holds audio files, but the model 'face' reads image files …"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from siamgui.media import audio, images
from siamgui.media.errors import MediaError


@dataclass(frozen=True, eq=False)
class Medium:
    """One medium: its files, its words, its decoder and its picture.

    ``name`` is the word stored in model cards and galleries ("image" / "audio"); compare media
    by identity (``medium is AUDIO``) or, better, ask an attribute.
    """

    name: str  # as written in cards and the gallery: "image", "audio"
    label: str  # file-dialog label: "Images", "Audio"
    suffixes: tuple[str, ...]  # lower case, with the dot
    file_word: str  # the adjective for its files: "image files", "audio files"
    item: str  # one file: "image", "clip"
    files_word: str  # many files in a sentence: "images", "sound clips"
    sample_word: str  # what a person is enrolled from: "photos", "recordings"
    drop_hint: str  # "an image (PNG, JPEG, PGM, BMP)"
    placeholder: str  # a one-character stand-in where no picture can be shown
    segmentable: bool  # long files can be cut into segments (calibration)
    unit: str  # what one encoder input of it is: "image", or "window" (a clip gives several)
    _decode: Callable[[str | Path], Any]
    _has_picture: bool
    _duration: Callable[[str | Path], float] | None = None
    _window: Callable[[str | Path, float, float | None], Any] | None = None  # decodes only a part

    def __eq__(self, other: object) -> bool:  # equal to its stored name too, so cards compare
        if isinstance(other, str):
            return other == self.name
        return other is self

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        return self.name

    # --- files ---------------------------------------------------------------------------------
    @property
    def file_filter(self) -> str:
        """A Qt-style file-dialog filter, e.g. ``Images (*.png *.jpg)``."""
        return f"{self.label} ({' '.join('*' + s for s in self.suffixes)})"

    def holds(self, path: str | Path) -> bool:
        """Whether a file name ends in one of this medium's suffixes."""
        return Path(str(path)).suffix.lower() in self.suffixes

    def decode(self, path: str | Path) -> Any:
        """The decoded file (a BGR / grey uint8 array, or an AudioClip), bounds checked first."""
        return self._decode(path)

    def picture(self, path: str | Path) -> np.ndarray | None:
        """The picture a view shows of a file (the decoded image), or None for media without one.

        Decoding errors propagate (MediaError), so a view can say why a file cannot be shown."""
        return self._decode(path) if self._has_picture else None

    def duration(self, path: str | Path) -> float:
        """Seconds a file of a segmentable medium lasts, read from its header (calibration cuts long
        recordings into segments); MediaError when it cannot be read, or the medium has no length."""
        if self._duration is None:
            raise MediaError(f"{Path(str(path)).name}: {self.files_word} have no length to cut")
        return self._duration(path)

    def cut(self, decoded: Any, start: float, length: float | None) -> Any:
        """``length`` seconds of a decoded recording from ``start`` (to its end when None): a
        segmentable medium decodes to a dataclass with ``samples`` and ``rate`` (an AudioClip)."""
        rate = decoded.rate
        a = int(round(start * rate))
        b = a + int(round(length * rate)) if length else len(decoded.samples)
        return dataclasses.replace(decoded, samples=np.ascontiguousarray(decoded.samples[a:b]))

    def window(self, path: str | Path, start: float, length: float | None) -> Any:
        """``length`` seconds of a recording from ``start``, decoding only that part (a 3-hour
        recording is cut into segments without ever being decoded whole)."""
        if self._window is None:
            return self.cut(self.decode(path), start, length)
        return self._window(path, start, length)

    @property
    def has_picture(self) -> bool:
        """Whether a file of this medium is itself a picture (thumbnails, decode-once display)."""
        return self._has_picture

    # --- sentences -----------------------------------------------------------------------------
    def other(self) -> "Medium":
        """The medium that is not this one (for "holds X files" sentences)."""
        return next(m for m in MEDIA.values() if m is not self)

    def wrong_medium(self, root: str | Path, model_name: str, found: "Medium | None" = None) -> str:
        """The one sentence for a folder that holds files of another medium (``found``, by default
        the other one) than the model reads."""
        other = found or self.other()
        return (f"{root}: holds {other.file_word} files, but the model {model_name!r} reads "
                f"{self.file_word} files (pick a model of the other kind)")

    def other_medium_files(self, paths: Iterable[str | Path]) -> bool:
        """Whether any of ``paths`` belongs to another medium (for the sentence above)."""
        others = [m for m in MEDIA.values() if m is not self]
        return any(m.holds(p) for p in paths for m in others)

    @property
    def foreign_suffixes(self) -> tuple[str, ...]:
        """The endings of every other medium's files: what a folder must not hold for this one."""
        return tuple(s for m in MEDIA.values() if m is not self for s in m.suffixes)

    def removed_note(self, path: str | Path, model_name: str) -> str:
        """Why a file of another medium was taken off a view when the model changed."""
        return f"{Path(str(path)).name} was removed: the {model_name} model compares {self.files_word}."


IMAGE = Medium(name="image", label="Images", suffixes=tuple(images.IMAGE_SUFFIXES), file_word="image",
               item="image", files_word="images", sample_word="photos", drop_hint="an image (PNG, JPEG, PGM, BMP)",
               placeholder="?", segmentable=False, unit="image", _decode=images.load_image, _has_picture=True)
AUDIO = Medium(name="audio", label="Audio", suffixes=tuple(audio.AUDIO_SUFFIXES), file_word="audio",
               item="clip", files_word="sound clips", sample_word="recordings",
               drop_hint="a sound clip (WAV, FLAC, OGG, MP3)", placeholder="♪", segmentable=True, unit="window",
               _decode=audio.load_audio, _has_picture=False, _duration=audio.duration,
               _window=audio.load_window)
MEDIA: dict[str, Medium] = {m.name: m for m in (IMAGE, AUDIO)}


def medium(name: str | Medium) -> Medium:
    """The Medium called ``name`` (as stored in a card or gallery); ValueError if unknown."""
    if isinstance(name, Medium):
        return name
    try:
        return MEDIA[name]
    except KeyError:
        raise ValueError(f"unknown medium {name!r} (known: {', '.join(MEDIA)})") from None


def of_suffixes(suffixes: Iterable[str]) -> Medium:
    """The medium whose files end in ``suffixes`` (a kind's suffixes, handed to a task); IMAGE
    when none of them is known, as a model card without a medium reads images."""
    wanted = {s.lower() for s in suffixes}
    return next((m for m in MEDIA.values() if wanted & set(m.suffixes)), IMAGE)


def of_path(path: str | Path) -> Medium | None:
    """The medium a file's name says it holds, or None for an unknown ending."""
    return next((m for m in MEDIA.values() if m.holds(path)), None)
