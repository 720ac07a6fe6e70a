"""One exception type for every input a user can get wrong."""

from __future__ import annotations


class MediaError(ValueError):
    """An input that cannot be used, with a message meant for the user (no traceback)."""
