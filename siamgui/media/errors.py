"""One exception type for every input a user can get wrong."""

from __future__ import annotations

from pathlib import Path

from siamgui.errors import UserError


class MediaError(UserError, ValueError):
    """An input that cannot be used, with a message meant for the user (no traceback)."""


def named(name: str, message: str) -> str:
    """``message`` led by the file's name, once (it may already name the file)."""
    return message if message.startswith(name) else f"{name}: {message}"


def require_file(path: str | Path) -> Path:
    """``path`` as a Path when it is a file; otherwise MediaError saying it is a folder or is missing."""
    p = Path(path)
    if p.is_dir():
        raise MediaError(f"{p.name or p} is a folder, not a file")
    if not p.is_file():
        raise MediaError(f"{p.name or p}: file not found")
    return p
