"""The shipped sample pairs of a model: ``<key>_a.*`` / ``<key>_b.*`` in its sample folder.

Found by the model's name first (``resources/samples/face``), then by its input kind's folder,
so the app, the benchmark and the self-test all show the same files. A model whose data may not
be shipped (clips that state no licence) says so in its card (``provenance.samples = "none: WHY"``):
:func:`no_samples_note` turns that into the sentence the app shows, and :func:`generated` makes a
signal the self-test can embed instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamgui import kinds as modalities
from siamgui.media.audio import AudioClip

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
    for name in (card.name, mod.samples, mod.medium.name):
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


def no_samples_reason(card) -> str:
    """Why the card says its model ships no sample pairs ("" when it says nothing)."""
    note = (getattr(card, "provenance", None) or {}).get("samples")
    if not isinstance(note, str) or not note.strip().lower().startswith("none"):
        return ""
    return note.split(":", 1)[1].strip() if ":" in note else "its card says none ship"


def no_samples_note(card) -> str:
    """One sentence for the user: this model ships no sample pairs, why, and what to open instead
    ("" when the card does not say that none ship)."""
    why = no_samples_reason(card)
    if not why:
        return ""
    what = modalities.get(card.preprocess).medium.files_word
    return (f"The {card.name} model ships no sample pairs ({why}): open two {what} of your own "
            f"instead with Open… on side A and on side B.")


def generated(mod: modalities.Modality, seed: int = 0) -> AudioClip | np.ndarray:
    """A made-up input of the modality's medium, for checking a model that ships no samples:
    2 s of a gliding harmonic tone with a swell (audio), or a drawn shape on white (images)."""
    rng = np.random.default_rng(seed)
    if mod.medium.segmentable:  # a sound: a signal over time
        rate = 16000
        t = np.arange(2 * rate) / rate
        f0 = 400 + 200 * np.sin(2 * np.pi * 0.7 * t)  # a glide, like a miaow
        phase = 2 * np.pi * np.cumsum(f0) / rate
        wave = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4))
        wave = wave * np.sin(np.pi * t / t[-1]) ** 2 + 0.01 * rng.standard_normal(len(t))
        return AudioClip((0.3 * wave / np.abs(wave).max()).astype(np.float32), rate)
    import cv2

    img = np.full((96, 96, 3), 255, np.uint8)
    cv2.circle(img, (48, 48), 28, (40, 90, 200), -1)
    cv2.line(img, (20, 80), (76, 16), (0, 0, 0), 4)
    return img
