"""The shipped sample pairs of a model: ``<key>_a.*`` / ``<key>_b.*`` in its sample folder.

Found by the model's name first (``resources/samples/face``), then by its input kind's folder,
so the app, the benchmark and the self-test all show the same files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from siamgui.media import modalities

PAIR_TITLES = {"same": "Same pair", "diff": "Different pair", "different": "Different pair"}


@dataclass(frozen=True)
class SamplePair:
    key: str  # file prefix, e.g. "same"
    title: str  # for the menu
    a: Path
    b: Path


def sample_folder(card, root: Path) -> Path | None:
    """The folder of shipped samples for a model under ``root``: by its name, then its kind's folder."""
    try:
        mod = modalities.get(card.preprocess)
    except modalities.MediaError:
        return None
    for name in (card.name, mod.samples, mod.medium):
        if name and (root / name).is_dir():
            return root / name
    return None


def sample_pairs(card, root: Path) -> list[SamplePair]:
    """Pairs named ``<key>_a.*`` / ``<key>_b.*`` in the model's sample folder that it can read."""
    folder = sample_folder(card, root)
    if folder is None:
        return []
    suffixes = modalities.get(card.preprocess).suffixes
    halves: dict[str, dict[str, Path]] = {}
    for p in sorted(folder.iterdir()):
        m = re.fullmatch(r"(.+)_([ab])", p.stem)
        if m and p.is_file() and p.suffix.lower() in suffixes:
            halves.setdefault(m.group(1), {}).setdefault(m.group(2), p)
    order = {"same": 0, "diff": 1, "different": 1}
    pairs = [
        SamplePair(key, PAIR_TITLES.get(key, key.replace("_", " ").capitalize()), h["a"], h["b"])
        for key, h in halves.items()
        if "a" in h and "b" in h
    ]
    return sorted(pairs, key=lambda s: (order.get(s.key, 2), s.key))
