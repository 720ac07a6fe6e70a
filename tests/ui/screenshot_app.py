"""Run by test_screenshot.py under Xvfb: the real window, a sample pair, a grab to PNG.

    python screenshot_app.py OUT.png A B [WIDTHxHEIGHT]

The first model of $SIAMGUI_MODELS loads (without it, what a launch opens on); settings from
$XDG_CONFIG_HOME.
Exits 0 once the PNG is written with a verdict showing, 3 if no verdict came within the time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from siamgui.ui.app import build_window, create_app


def main() -> int:
    out, a, b = sys.argv[1:4]
    width, height = map(int, (sys.argv[4] if len(sys.argv) > 4 else "1280x800").split("x"))
    app = create_app(sys.argv[:1])
    models = sorted(Path(os.environ["SIAMGUI_MODELS"]).glob("*.onnx")) if os.environ.get("SIAMGUI_MODELS") else []
    window = build_window(autoload=not models)  # a first launch would open on the shipped face model
    if models:
        window.load_model(str(models[0]))
    window.resize(width, height)
    window.show()
    state = {"loaded": False, "ticks": 0, "code": 3}

    def tick() -> None:
        state["ticks"] += 1
        if not state["loaded"] and window.encoder is not None and not window.loading:
            window.compare.load_pair(a, b)
            state["loaded"] = True
        done = state["loaded"] and window.jobs.in_flight == 0 and window.compare.verdict.distance is not None
        if done or state["ticks"] > 400:  # 20 s
            app.processEvents()
            shot = QGuiApplication.primaryScreen().grabWindow(window.winId())
            shot.save(out)
            print("verdict:", window.compare.verdict.verdict_label.text(), flush=True)
            state["code"] = 0 if done else 3
            window.close()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(50)
    app.exec()
    return state["code"]


if __name__ == "__main__":
    sys.exit(main())
