"""Where models live: shipped ones, the user's own folder, and any path given."""

from __future__ import annotations

import os
from pathlib import Path

from siamgui.media.locations import shipped_models_dir

ENV_MODELS = "SIAMGUI_MODELS"


def shipped_dir() -> Path:
    """`models/` beside the package (source checkout), or inside a frozen bundle."""
    return shipped_models_dir()


def user_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("siamgui", appauthor=False)) / "models"


def search_dirs() -> list[Path]:
    dirs = [Path(p) for p in os.environ.get(ENV_MODELS, "").split(os.pathsep) if p]
    return dirs + [shipped_dir(), user_dir()]


def available() -> dict[str, Path]:
    """Model name -> path for every .onnx in the search folders (earlier folders win)."""
    found: dict[str, Path] = {}
    for d in search_dirs():
        if d.is_dir():
            for p in sorted(d.glob("*.onnx")):
                found.setdefault(p.stem, p)
    return found


def find(name_or_path: str | os.PathLike) -> Path:
    """A model path from a name (``face``) or a path; FileNotFoundError with the choices."""
    p = Path(name_or_path)
    if p.suffix.lower() == ".onnx" or p.exists() or os.sep in str(name_or_path):
        if p.is_dir():
            raise FileNotFoundError(f"{p} is a folder, not a model file (give MODEL.onnx)")
        if not p.is_file():
            raise FileNotFoundError(f"model file not found: {p}")
        return p
    models = available()
    if str(name_or_path) in models:
        return models[str(name_or_path)]
    choices = ", ".join(sorted(models)) or "none installed"
    raise FileNotFoundError(f"no model named {name_or_path!r} (installed: {choices})")
