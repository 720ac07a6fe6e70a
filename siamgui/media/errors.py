"""One exception type for every input a user can get wrong."""

from __future__ import annotations

from siamgui.errors import UserError


class MediaError(UserError, ValueError):
    """An input that cannot be used, with a message meant for the user (no traceback)."""


def named(name: str, message: str) -> str:
    """``message`` led by the file's name, once (it may already name the file)."""
    return message if message.startswith(name) else f"{name}: {message}"
