"""Saving what a view found: ask where (the real save dialog), then write a PNG or hand the path on.

Every *Save…* button of the views goes through :func:`ask_path`, so each offers a sensible
name, adds the missing ending, and says in the status line where the file went (or, in one
sentence, why it could not be written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QWidget

PNG = "PNG images (*.png)"
CSV = "CSV tables (*.csv)"


def ask_path(parent: QWidget, title: str, name: str, file_filter: str, suffix: str) -> Path | None:
    """The path the user chose in the save dialog (``suffix`` added when left out), or None."""
    path, _ = QFileDialog.getSaveFileName(parent, title, name, file_filter)
    if not path:
        return None
    p = Path(path)
    return p if p.suffix.lower() == suffix else p.with_name(p.name + suffix)


def write_png(picture: QImage | QPixmap, path: Path) -> str:
    """Write ``picture``; the status line to show (where it went, or why it did not)."""
    if not path.parent.is_dir():
        return f"Not saved: the folder {path.parent} does not exist."
    if not picture.save(str(path), "PNG"):
        return f"Not saved: {path} could not be written."
    return f"Saved {path}"


def write_with(write: Callable[[Any, Path], Any], result: Any, path: Path) -> str:
    """``write(result, path)`` (a CSV writer of tasks/exports.py); the status line to show: where
    the file went, or in one sentence why it could not be written (never a crash)."""
    from siamgui.errors import user_message

    try:
        write(result, path)
    except Exception as exc:  # noqa: BLE001 - one sentence in the status line
        return f"Not saved: {user_message(exc)}"
    return f"Saved {path}"
