"""Where the files shipped with SiamGUI lie: beside the package (source checkout) or inside a
frozen bundle. The ground floor's own locator, so media finds its detector weights without asking
core; ``core.registry`` builds its model search on the same folder.
"""

from __future__ import annotations

import sys
from pathlib import Path


def shipped_models_dir() -> Path:
    """``models/`` beside the package (source checkout), or inside a frozen bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "models"
    return Path(__file__).resolve().parents[2] / "models"


def detectors_dir() -> Path:
    """``models/detectors``: the face detectors' weights (MTCNN's three nets)."""
    return shipped_models_dir() / "detectors"
