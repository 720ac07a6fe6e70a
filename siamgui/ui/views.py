"""The contract every view in the window's navigation follows (Compare, Gallery, Live, Calibrate)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class View(QWidget):
    """A page of the main window. The window hands every view the current encoder (or None), and
    shows every line a view emits on ``status`` in its status bar (connected once, in add_view)."""

    title = "View"
    tooltip = ""
    needs_model = True  # False: usable with no model loaded (the Train view makes the first one)
    status = Signal(str)  # a passing line for the window's status bar ("Enrolled a sample of Ada")

    def set_encoder(self, encoder) -> None:  # noqa: D401 - override
        """The model changed (or was reloaded on another device); ``None`` means no model."""

    def activated(self) -> None:
        """The view became visible (start cameras, refresh lists…)."""

    def deactivated(self) -> None:
        """Another view was chosen (stop cameras, playback…)."""

    def shutdown(self) -> None:
        """The window is closing: stop anything running."""
