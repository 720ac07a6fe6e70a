"""The input kinds, one folder each, looked up by the card's ``preprocess.kind``.

    mod = kinds.get(card.preprocess)          # -> FaceModality, LogMelModality, ...
    prepared = mod.prepare("a.jpg")           # encoder input + what to show
    mod.medium, mod.live_source, mod.drawable, mod.samples, mod.subjects

Each folder ``siamgui/kinds/<kind>/`` holds:

* ``modality.py``: its :class:`Modality` (defaults, input shape, ``prepare``, the medium it reads,
  its live source, capabilities such as ``drawable``, its sample folder), registered with
  :func:`register`;
* ``train.py``: its training source (``SOURCE``), imported only by training through
  :func:`source`, so torch and augmentation stay out of the app;
* ``presets.py``: its training presets (``PRESETS``), gathered by :func:`presets`.

A new kind is one folder, named in ``KINDS`` and imported at the bottom of this module, plus its sample pair under
``resources/samples``; a kind that subclasses another (a signature is a glyph) inherits the
parent's training source until it has its own. This package imports no core, ui, train or tasks,
and torch only in a ``train.py``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Sequence, TypeVar

from siamgui.kinds.base import Modality, Prepared, Source, SpeechModality
from siamgui.media.errors import MediaError

_REGISTRY: dict[str, type[Modality]] = {}
M = TypeVar("M", bound=type[Modality])

# the shipped kinds' folders, in the order their presets are listed
KINDS = ("glyph", "face", "face_aligned", "logmel", "ge2e", "sound", "image")


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


def _folder_module(cls: type, name: str):
    """The module ``name`` beside the one that defines ``cls`` (its kind's folder), or None."""
    package = cls.__module__.rpartition(".")[0]
    if not package:  # a kind defined in a lone module (a test, a script) has no folder
        return None
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{name}":  # the module exists but needs something missing
            raise
        return None


def source(kind: str) -> Any:
    """The training source class of a kind (its folder's ``train.SOURCE``), imported now and only
    now; a kind without one uses its parent kind's. KeyError when neither has one."""
    cls = _REGISTRY.get(kind)
    if cls is None:
        raise KeyError(kind)
    for klass in cls.__mro__:
        if isinstance(klass, type) and issubclass(klass, Modality) and klass is not Modality:
            module = _folder_module(klass, "train")
            if module is not None and hasattr(module, "SOURCE"):
                return module.SOURCE
    raise KeyError(kind)


def presets() -> dict[str, dict]:
    """Every kind folder's training presets, by name, in the order of ``KINDS`` (then any kind
    registered later). Plain data: importing them pulls in no training code."""
    out: dict[str, dict] = {}
    seen: set[str] = set()
    for cls in _REGISTRY.values():
        package = cls.__module__.rpartition(".")[0]
        if package in seen:
            continue
        seen.add(package)
        module = _folder_module(cls, "presets")
        for name, preset in (getattr(module, "PRESETS", {}) if module else {}).items():
            if name in out:
                raise ValueError(f"preset {name!r} is declared by two kinds")
            out[name] = preset
    return out


# the kinds shipped with SiamGUI, in the order of KINDS (each registers itself); plain imports, so
# a frozen bundle's analysis finds them
from siamgui.kinds.glyph import modality as _glyph  # noqa: E402,F401
from siamgui.kinds.face import modality as _face  # noqa: E402,F401
from siamgui.kinds.face_aligned import modality as _face_aligned  # noqa: E402,F401
from siamgui.kinds.logmel import modality as _logmel  # noqa: E402,F401
from siamgui.kinds.ge2e import modality as _ge2e  # noqa: E402,F401
from siamgui.kinds.sound import modality as _sound  # noqa: E402,F401
from siamgui.kinds.image import modality as _image  # noqa: E402,F401

__all__ = ["KINDS", "MediaError", "Modality", "Prepared", "Source", "SpeechModality", "get", "kinds", "presets",
           "register", "source"]
