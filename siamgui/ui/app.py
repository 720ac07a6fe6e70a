"""Application entry: ``siamgui`` with no arguments, or ``python -m siamgui``."""

from __future__ import annotations

import os
import sys
import time
from typing import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

from siamgui.ui import resources
from siamgui.ui.settings import APP, ORG, AppSettings

_IMPORTED = time.perf_counter()


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
    """The app: the window shows first (Qt and the window's own modules only), then the model loads in
    the background and the views are added (issue 21: a window that opens at once)."""
    app = create_app(argv)
    window = build_window(show_first=True)
    window.show()
    exit_after = os.environ.get("SIAMGUI_EXIT_AFTER_SHOW")  # `siamgui bench`: measure, then quit
    if exit_after == "loaded":  # once the model is loaded and every view built: the app's memory in use
        poll = QTimer(window)

        def loaded() -> None:
            if window.encoder is not None and not window.loading and not window.pending_views():
                poll.stop()
                print(f"loaded {seconds_since_start():.3f} {peak_mib() or 0:.1f}", flush=True)
                window.close()

        poll.timeout.connect(loaded)
        poll.start(50)
    elif exit_after:  # time to the first window
        QTimer.singleShot(0, lambda: (print(f"shown {seconds_since_start():.3f} {peak_mib() or 0:.1f}", flush=True),
                                      window.close()))
    QTimer.singleShot(0, window.finish_start)
    return int(app.exec())


def peak_mib() -> float | None:
    """This program's peak resident memory in MiB (Linux VmHWM, which starts anew at exec, unlike
    getrusage's maxrss that a launcher's fork carries in); None where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def seconds_since_start() -> float:
    """Seconds since this process started (Linux /proc; elsewhere since this module was imported)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = float(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED
