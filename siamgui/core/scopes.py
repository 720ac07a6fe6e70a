"""Which gallery scope a stored embedding belongs to, from the model that made it.

A gallery is scoped by input kind (``Modality.gallery_scope``: "face", "voice", "sound",
"glyph", "image"): people enrolled under a face model are never listed, re-embedded or
identified under a fruit model. Galleries written before scopes existed record, for each
embedding, only the model's name and the sha256 of its file; this module turns those into a
scope so an old gallery can be migrated once, and so a caller that enrols without naming a
scope (an older caller) still files the samples in the right place.

Attribution, most exact first:

1. an installed model (``core.registry``) whose file has that sha256: its card's kind;
2. an installed model with that name (the file was updated since): its card's kind;
3. nothing attributable (the model file is gone): by medium, ``MEDIUM_FALLBACK``: images go to
   "face" and audio to "voice", the scopes of the default models, which enrolled the great
   majority of samples before scopes existed. A glyph or fruit sample whose model has since been
   deleted would be filed under "face"; it can be moved by exporting and importing it.
"""

from __future__ import annotations

import threading
from pathlib import Path

MEDIUM_FALLBACK = {"image": "face", "audio": "voice"}

_lock = threading.Lock()
_models: dict[tuple[str, int, int], tuple[str, str]] = {}  # (path, size, mtime_ns) -> (sha256, scope)


def scope_of_kind(preprocess: dict | str) -> str:
    """The gallery scope of a card's preprocess spec or kind name."""
    from siamgui import kinds

    return kinds.get(preprocess).gallery_scope


def _installed(path: Path) -> tuple[str, str] | None:
    """(sha256, scope) of an installed model file, cached by size and mtime; None if unreadable."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _lock:
        if key in _models:
            return _models[key]
    from siamgui.core.encoder import file_sha256
    from siamgui.core.modelcard import read_card

    try:
        found = (file_sha256(path), scope_of_kind(read_card(path).preprocess))
    except Exception:  # noqa: BLE001 - a broken model in the folder attributes nothing
        return None
    with _lock:
        _models[key] = found
    return found


def model_scope(model_hash: str, model_name: str | None) -> str | None:
    """The scope of the model that made an embedding, or None when no installed model matches."""
    from siamgui.core import registry

    models = registry.available()
    by_name = models.get(model_name or "")
    if by_name is not None:
        info = _installed(by_name)
        if info and info[0] == model_hash:
            return info[1]
    for path in models.values():
        info = _installed(path)
        if info and info[0] == model_hash:
            return info[1]
    if by_name is not None:
        info = _installed(by_name)
        if info:
            return info[1]
    return None


def fallback_scope(medium_name: str) -> str:
    """The scope for a sample no installed model can attribute (see the module docstring)."""
    return MEDIUM_FALLBACK.get(medium_name, medium_name)
