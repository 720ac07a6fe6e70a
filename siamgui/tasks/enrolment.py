"""Enrol and identify with an Encoder and a Gallery: no retraining, ever."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from siamgui.errors import UserError
from siamgui.core.encoder import Encoder
from siamgui.core.gallery import Gallery, Identification


def media_bytes(path: str | Path) -> tuple[str, bytes]:
    p = Path(path)
    return p.suffix.lower() or ".bin", p.read_bytes()


def enrol_files(gallery: Gallery, encoder: Encoder, name: str, files: Sequence[str | Path]) -> int:
    """Embed the files (all must be usable) and store them under ``name`` in one transaction."""
    vectors = encoder.embed(list(files))
    samples = [(encoder.card.modality, *media_bytes(f), str(f)) for f in files]
    return gallery.enrol(name, samples, vectors, encoder.model_hash, encoder.name)


def sync_embeddings(gallery: Gallery, encoder: Encoder) -> tuple[int, list[str]]:
    """Embed stored samples this model has not seen; returns (count embedded, problems)."""
    import tempfile

    todo = gallery.missing_embeddings(encoder.model_hash, encoder.card.modality)
    done, problems = [], []
    for s in todo:
        with tempfile.NamedTemporaryFile(suffix=s.suffix) as tmp:
            tmp.write(s.media)
            tmp.flush()
            try:
                done.append((s.id, encoder.embed(tmp.name)[0]))
            except UserError as exc:
                problems.append(f"sample {s.id} ({s.source}): {exc}")
    if done:
        gallery.store_embeddings(done, encoder.model_hash, encoder.name)
    return len(done), problems


def identify(gallery: Gallery, encoder: Encoder, query: np.ndarray, threshold: float | None = None,
             top: int = 5) -> Identification:
    thr = encoder.threshold if threshold is None else threshold
    return gallery.identify(query, encoder.model_hash, encoder.card.metric, thr, top)


def people_for_modality(gallery: Gallery, modality: str) -> tuple[list, int]:
    """(people with samples of this modality, how many others): a voice is never listed under a face model.

    Each person's ``samples`` counts only the samples of this modality; people with no samples at
    all are kept (they can still be given some).
    """
    from dataclasses import replace

    everyone = gallery.people()
    fits = gallery.sample_counts(modality)  # counts only: the media stay on disk
    people = [replace(p, samples=fits.get(p.id, 0)) for p in everyone if p.id in fits or p.samples == 0]
    return people, len(everyone) - len(people)


def enrol_capture(gallery: Gallery, encoder: Encoder, name: str, sample, suffix: str, media: bytes,
                  source: str) -> int:
    """Store one live capture (a camera frame, an utterance) under ``name``: ``sample`` is embedded
    here and ``media`` (its encoded file) is kept, so the stored file and its embedding agree."""
    vectors = encoder.embed([sample])
    return gallery.enrol(name, [(encoder.card.modality, suffix, media, source)], vectors, encoder.model_hash,
                         encoder.name)
