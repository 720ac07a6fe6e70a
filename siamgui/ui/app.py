"""Application entry: ``siamgui`` with no arguments, or ``python -m siamgui``."""

from __future__ import annotations

import sys
from typing import Sequence

from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

from siamgui.ui import resources
from siamgui.ui.settings import APP, ORG, AppSettings


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication, styled (reuses an existing one, e.g. under pytest-qt)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv else [sys.argv[0] if sys.argv else "siamgui"])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    app.setApplicationDisplayName("SiamGUI")
    app.setDesktopFileName("siamgui")
    app.setWindowIcon(QIcon(str(resources.icon_path())))
    app.setStyle("Fusion")
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(resources.stylesheet())
    return app


def build_window(settings: AppSettings | None = None, autoload: bool = True, **kwargs):
    """The main window (the app must exist). Tests pass their own settings store."""
    from siamgui.ui.main_window import MainWindow

    return MainWindow(settings=settings, autoload=autoload, **kwargs)


def run(argv: Sequence[str] | None = None) -> int:
    app = create_app(argv)
    window = build_window()
    window.show()
    return int(app.exec())
