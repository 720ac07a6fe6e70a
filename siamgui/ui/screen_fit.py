"""Where the main window opens: inside the screen's available area, whatever was saved before.

A 1280x800 default on a 1024x700 laptop screen ran off the screen, and a geometry saved on a
larger monitor would do the same; both are clamped here (pure arithmetic on QRect, testable).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

DEFAULT_SIZE = QSize(1280, 800)
MINIMUM_SIZE = QSize(960, 640)
TITLE_BAR = 32  # room left above the client area for the window manager's title bar


def minimum_within(available: QRect, minimum: QSize = MINIMUM_SIZE) -> QSize:
    """The minimum size, never larger than the screen (a minimum that does not fit would push it off)."""
    return QSize(min(minimum.width(), available.width()), min(minimum.height(), available.height() - TITLE_BAR))


def fit_within(available: QRect, wanted: QRect | None = None, default: QSize = DEFAULT_SIZE) -> QRect:
    """The client rectangle to open at: ``wanted`` (a restored geometry) or ``default`` centred,
    shrunk to the available area (less a title bar) and moved so that all of it is on screen."""
    room = QRect(available.left(), available.top() + TITLE_BAR, available.width(),
                 max(1, available.height() - TITLE_BAR))
    if wanted is None or not wanted.isValid():
        size = QSize(min(default.width(), room.width()), min(default.height(), room.height()))
        left = room.left() + (room.width() - size.width()) // 2
        top = room.top() + (room.height() - size.height()) // 2
        return QRect(left, top, size.width(), size.height())
    w, h = min(wanted.width(), room.width()), min(wanted.height(), room.height())
    left = min(max(wanted.left(), room.left()), room.left() + room.width() - w)
    top = min(max(wanted.top(), room.top()), room.top() + room.height() - h)
    return QRect(left, top, w, h)
