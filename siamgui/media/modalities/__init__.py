"""One :class:`Modality` per input kind, looked up by the card's ``preprocess.kind``.

    mod = modalities.get(card.preprocess)     # -> FaceModality, LogMelModality, ...
    prepared = mod.prepare("a.jpg")           # encoder input + what to show
    mod.live_source, mod.suffixes, mod.subjects

A new input kind is one module here (a subclass decorated with :func:`register`, imported
below), one training preset in ``siamgui/train/presets.py`` and its sample pair under
``resources/samples``. Nothing outside ``siamgui/media`` and ``siamgui/train`` compares kind names.
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence, TypeVar

from siamgui.media.errors import MediaError
from siamgui.media.modalities.base import Modality, Prepared, Source

_REGISTRY: dict[str, type[Modality]] = {}
M = TypeVar("M", bound=type[Modality])


def register(cls: M) -> M:
    """Class decorator: make ``cls`` the modality for ``cls.kind``."""
    _REGISTRY[cls.kind] = cls
    return cls


def kinds() -> tuple[str, ...]:
    """Every registered kind name."""
    return tuple(_REGISTRY)


def get(spec: dict[str, Any] | str, providers: Sequence[str] | None = None) -> Modality:
    """The modality for a card's preprocess spec (or a bare kind name); MediaError if unknown.

    ``providers``: the encoder's onnxruntime execution providers, for kinds that run networks of
    their own (the CNN face detector), so they use CUDA exactly when the encoder does."""
    if isinstance(spec, str):
        spec = {"kind": spec}
    kind = spec.get("kind")
    cls = _REGISTRY.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise MediaError(f"unknown preprocessing kind {kind!r} (known: {', '.join(_REGISTRY)})")
    if providers is not None and "providers" in inspect.signature(cls.__init__).parameters:
        return cls(spec, providers=tuple(providers))  # type: ignore[call-arg]
    return cls(spec)


# the kinds shipped with SiamGUI (each registers itself)
from siamgui.media.modalities import face, face_aligned, ge2e, glyph, image, logmel, sound  # noqa: E402,F401

__all__ = ["MediaError", "Modality", "Prepared", "Source", "get", "kinds", "register"]
