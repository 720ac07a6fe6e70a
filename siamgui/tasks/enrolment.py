"""Enrol and identify with an Encoder and a Gallery: no retraining, ever.

Every function here works inside the encoder's gallery scope (``encoder.modality.gallery_scope``):
people enrolled under a face model are listed, re-embedded and identified only by face models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from siamgui.errors import UserError
from siamgui.core.encoder import Encoder
from siamgui.core.gallery import Gallery, Identification, Person


def scope_of(encoder: Encoder) -> str:
    """The gallery scope a model's people live in ("face", "voice", "sound", "glyph", "image")."""
    return encoder.modality.gallery_scope


def media_bytes(path: str | Path) -> tuple[str, bytes]:
    p = Path(path)
    return p.suffix.lower() or ".bin", p.read_bytes()


def enrol_files(gallery: Gallery, encoder: Encoder, name: str, files: Sequence[str | Path]) -> int:
    """Embed the files (all must be usable) and store them under ``name`` in one transaction."""
    vectors = encoder.embed(list(files))
    samples = [(encoder.card.modality, *media_bytes(f), str(f), Path(f).name) for f in files]
    return gallery.enrol(name, samples, vectors, encoder.model_hash, encoder.name, scope=scope_of(encoder))


def enrol_media(gallery: Gallery, encoder: Encoder, name: str, suffix: str, media: bytes, source: str,
                vector: np.ndarray) -> int:
    """Store one already-embedded sample (a camera frame, a recording) under ``name``."""
    return gallery.enrol(name, [(encoder.card.modality, suffix, media, source, "")], np.atleast_2d(vector),
                         encoder.model_hash, encoder.name, scope=scope_of(encoder))


def missing_count(gallery: Gallery, encoder: Encoder) -> int:
    """How many of this scope's stored samples this model has not embedded yet (no media read)."""
    return gallery.missing_count(encoder.model_hash, scope_of(encoder))


def sync_embeddings(gallery: Gallery, encoder: Encoder) -> tuple[int, list[str]]:
    """Embed stored samples of this model's scope it has not seen; returns (count embedded, problems)."""
    import tempfile

    todo = gallery.missing_embeddings(encoder.model_hash, scope_of(encoder))
    done, problems = [], []
    for s in todo:
        with tempfile.NamedTemporaryFile(suffix=s.suffix) as tmp:
            tmp.write(s.media)
            tmp.flush()
            try:
                done.append((s.id, encoder.embed(tmp.name)[0]))
            except UserError as exc:
                problems.append(f"sample {s.id} ({s.filename or s.source}): {exc}")
    if done:
        gallery.store_embeddings(done, encoder.model_hash, encoder.name)
    return len(done), problems


def identify(gallery: Gallery, encoder: Encoder, query: np.ndarray, threshold: float | None = None,
             top: int = 5) -> Identification:
    thr = encoder.threshold if threshold is None else threshold
    return gallery.identify(query, encoder.model_hash, encoder.card.metric, thr, top, scope=scope_of(encoder))


def nobody_here(gallery: Gallery, encoder: Encoder) -> str:
    """Why identification under this model can name nobody ("" when someone is enrolled for it).

    One sentence, e.g. "nobody is enrolled for fruit (image models); 1 person is enrolled under
    face models, which fruit never compares with"."""
    scope = scope_of(encoder)
    if gallery.people(scope):
        gallery.matrix(encoder.model_hash, scope)  # read (and cached) now: a damaged embedding is one sentence here
        return ""
    others = {sc: n for sc, n in gallery.scope_counts().items() if sc != scope}
    if not others:
        return (f"the gallery is empty ({gallery.path}); enrol someone first: "
                f"siamgui enrol NAME FILES... --model {encoder.name}")
    parts = [f"{_people(n)} under {sc} models" for sc, n in sorted(others.items())]
    first, n_first = parts[0].split(" under ", 1), sorted(others.items())[0][1]
    parts[0] = f"{first[0]} {'is' if n_first == 1 else 'are'} enrolled under {first[1]}"
    return (f"nobody is enrolled for {encoder.name} ({scope} models); {' and '.join(parts)}, "
            f"which {encoder.name} never compares with")


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def people_for_scope(gallery: Gallery, scope: str) -> tuple[list[Person], int]:
    """(people listed under models of ``scope``, how many people are not): a voice is never listed
    under a face model, nor a face under a fruit model.

    Each person's ``samples`` counts only that scope's samples; people with no samples at all are
    kept under the scope they were enrolled in (they can still be given some)."""
    people = gallery.people(scope)
    return people, len(gallery.people()) - len(people)


def people_for_model(gallery: Gallery, encoder: Encoder) -> tuple[list[Person], int]:
    """:func:`people_for_scope` for the encoder's scope."""
    return people_for_scope(gallery, scope_of(encoder))
