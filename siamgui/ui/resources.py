"""Where the stylesheet, icons and shipped samples live (source checkout or frozen bundle)."""

from __future__ import annotations

import sys
from pathlib import Path


def __getattr__(name: str):
    # PAIR_TITLES and SamplePair are re-exported for the views, on first use: kinds.samples imports numpy
    # and every modality, which must not load before the window is shown (issue 21).
    if name in ("PAIR_TITLES", "SamplePair"):
        from siamgui.kinds import samples

        return getattr(samples, name)
    raise AttributeError(name)


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
def sample_folder(card, root: Path | None = None) -> Path | None:
    """The shipped samples for a model (see :mod:`siamgui.kinds.samples`)."""
    from siamgui.kinds import samples

    return samples.sample_folder(card, root or resources_dir() / "samples")


def sample_pairs(card, root: Path | None = None) -> list:
    """The model's shipped sample pairs (:class:`siamgui.kinds.samples.SamplePair`), in menu order."""
    from siamgui.kinds import samples

    return samples.sample_pairs(card, root or resources_dir() / "samples")
