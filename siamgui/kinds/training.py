"""What every kind's training source shares: the ``Source`` contract, progress bars, cache keys
and the once-per-file detection cache. Imported only by training (through ``kinds.source``).

A source turns the items of a split (``siamgui.train.data.Item``: path, label, group) into encoder
inputs: ``train_sample(i, rng)`` one augmented (C, H, W) array for training, and
``eval_inputs(indices)`` the exact tensors the app would compute (the card kind's ``Modality``),
one (windows, C, H, W) array per evaluation sample, with its class. Files it cannot use are
counted in ``skipped`` (``add(reason, name)``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from siamgui.media import images
from siamgui.media.errors import MediaError


def progress_bar(iterable, desc: str, enabled: bool, total: int | None = None):
    """``iterable`` with a tqdm bar over files when ``enabled`` (reading a data set takes minutes)."""
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="file", leave=False, dynamic_ncols=True)


def cache_key(items: list[Any], extra: str) -> str:
    """A short hash of the items' paths, sizes and times (and ``extra``): a cache file stays valid
    exactly as long as the files it was made from."""
    h = hashlib.sha1(extra.encode())
    for it in items:
        st = it.path.stat()
        h.update(f"{it.path}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def cached_detections(items: list[Any], cfile: Path | None, detect: Callable[[np.ndarray], Any],
                      skipped: Any, progress: bool) -> list[tuple[Any, np.ndarray, Any]]:
    """(item, image, record) for every readable image, where ``record`` is what ``detect(image)``
    returned (JSON-able; None: no face) the first time this file was seen: detections are made
    once per file (keyed by path, size and time) and kept in ``cfile``, so reruns skip detection."""
    store: dict[str, Any] = json.loads(cfile.read_text()) if cfile is not None and cfile.is_file() else {}
    out, new = [], 0
    for it in progress_bar(items, "detecting faces", progress):
        try:
            img = images.load_image(it.path)
        except MediaError:
            skipped.add("unreadable images", it.path.name)
            continue
        st = it.path.stat()
        key = f"{it.path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        if key not in store:
            store[key] = detect(img)
            new += 1
        if store[key] is None:
            skipped.add("images with no face found", it.path.name)
            continue
        out.append((it, img, store[key]))
    if cfile is not None and new:
        cfile.parent.mkdir(parents=True, exist_ok=True)
        cfile.write_text(json.dumps(store))
    return out


class Source:
    """One split of a data set as encoder inputs; each kind's training source subclasses it."""

    spec: dict[str, Any]
    items: list[Any]  # usable items only, after loading

    def train_sample(self, i: int, rng: np.random.Generator, variant: int = 0) -> np.ndarray:
        """``variant`` > 0: a new class made from this one (glyphs: rotated by 90 degrees x variant)."""
        raise NotImplementedError

    def variants(self, preset: dict) -> int:
        """Take the preset's class-making options; returns how many variants of each training class
        count as classes of their own (1: none). Glyphs: ``rotations`` (turned by 90 degrees)."""
        return int(preset.get("rotations", 1))

    def keep(self, indices: list[int]) -> None:
        """Keep only these samples (and their per-sample data)."""
        for name in ("items", "images", "boxes", "waves", "_feats"):
            if hasattr(self, name):
                values = getattr(self, name)
                setattr(self, name, [values[i] for i in indices])

    def eval_inputs(self, indices: list[int], rng: np.random.Generator) -> tuple[list[np.ndarray], list[str]]:
        raise NotImplementedError
