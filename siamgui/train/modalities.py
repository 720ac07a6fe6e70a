"""Per-modality loading (cached) and sampling, built on the app's own preprocessing.

Each input kind's training source lives in its folder (``siamgui/kinds/<kind>/train.py``); this
module gathers them under the names training has always used. ``SOURCES[kind]`` is the source
class of a card kind (a kind without its own uses its parent kind's), imported on first use.

Each source turns the items of a split into encoder inputs:
``train_sample(i, rng)`` one augmented (C, H, W) array for training, and
``eval_inputs(indices)`` the exact tensors the app would compute (the card kind's ``Modality``),
one (windows, C, H, W) array per evaluation sample, with its class.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

from siamgui import kinds
from siamgui.kinds.face.train import FaceSource
from siamgui.kinds.face_aligned.train import FaceAlignedSource
from siamgui.kinds.ge2e.train import Ge2eSource
from siamgui.kinds.glyph.train import GlyphSource
from siamgui.kinds.image.train import PhotoSource
from siamgui.kinds.logmel.train import AudioSource
from siamgui.kinds.sound.train import SoundSource
from siamgui.kinds.training import Source, cache_key, cached_detections, progress_bar

_progress, _key = progress_bar, cache_key  # the names this module used to define


class _Sources(Mapping):
    """Kind name -> training source class, asked of the kind's folder (``kinds.source``)."""

    def __getitem__(self, kind: str) -> Callable[..., Source]:
        return kinds.source(kind)

    def __iter__(self) -> Iterator[str]:
        return iter(kinds.kinds())

    def __len__(self) -> int:
        return len(kinds.kinds())


SOURCES: Mapping[str, Callable[..., Source]] = _Sources()

__all__ = ["AudioSource", "FaceAlignedSource", "FaceSource", "Ge2eSource", "GlyphSource", "PhotoSource", "SOURCES",
           "SoundSource", "Source", "cached_detections"]
