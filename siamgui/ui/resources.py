"""Where the stylesheet, icons and shipped samples live (source checkout or frozen bundle)."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from siamgui.media.audio import AUDIO_SUFFIXES
from siamgui.media.images import IMAGE_SUFFIXES


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def icon_path(name: str = "siamgui.svg") -> Path:
    return resources_dir() / "icons" / name


def stylesheet() -> str:
    path = resources_dir() / "style.qss"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.replace("@ICONS@", (resources_dir() / "icons").as_posix())


# --- samples ---------------------------------------------------------------------------------
SAMPLE_FOLDERS = {"face": "face", "glyph": "glyph", "logmel": "voice", "image": "image"}
PAIR_TITLES = {"same": "Same pair", "diff": "Different pair", "different": "Different pair"}


@dataclass(frozen=True)
class SamplePair:
    key: str  # file prefix, e.g. "same"
    title: str  # for the menu
    a: Path
    b: Path


def sample_folder(card, root: Path | None = None) -> Path | None:
    """The shipped samples for a model: by its name first (``face``), then by its input kind."""
    root = root or resources_dir() / "samples"
    kind = str(card.preprocess.get("kind", ""))
    for name in (card.name, SAMPLE_FOLDERS.get(kind, kind), card.modality):
        if name and (root / name).is_dir():
            return root / name
    return None


def sample_pairs(card, root: Path | None = None) -> list[SamplePair]:
    """Pairs named ``<key>_a.*`` / ``<key>_b.*`` in the model's sample folder that it can read."""
    folder = sample_folder(card, root)
    if folder is None:
        return []
    suffixes = AUDIO_SUFFIXES if card.modality == "audio" else IMAGE_SUFFIXES
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
