"""`siamgui` with no arguments: nothing but Qt and the window's own modules before the window shows
(issue 21). The app runs in a subprocess, as a user starts it, and lists its modules at the moment
it reports the window shown (``SIAMGUI_EXIT_AFTER_SHOW``, the hook ``siamgui bench`` times)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# runs `python -m siamgui`, and at the "shown" moment prints the modules loaded so far
PROBE = """
import json, runpy, sys
import siamgui.ui.app as app
shown_at = app.seconds_since_start
def probe():
    print("MODULES " + json.dumps(sorted(sys.modules)), flush=True)
    return shown_at()
app.seconds_since_start = probe
sys.argv = ["siamgui"]
try:
    runpy.run_module("siamgui", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    sys.exit(exc.code)
"""

# what must wait for the window: inference, the tasks, the commands, array and image libraries
LATER = ("onnxruntime", "numpy", "cv2", "PIL", "soundfile", "sounddevice", "siamgui.tasks", "siamgui.bench",
         "siamgui.calibrate_cmd", "siamgui.core.encoder", "siamgui.core.gallery", "siamgui.kinds",
         "siamgui.kinds.samples", "siamgui.ui.compare_view", "siamgui.ui.live_view", "siamgui.ui.gallery_view",
         "siamgui.ui.calibrate_view", "siamgui.ui.fewshot_view", "siamgui.ui.train_view", "siamgui.train")


def _modules_when_shown(tmp_path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(QT_QPA_PLATFORM="offscreen", SIAMGUI_EXIT_AFTER_SHOW="1", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [line for line in r.stdout.splitlines() if line.startswith("MODULES ")]
    assert lines and "shown " in r.stdout, r.stdout[-2000:]
    return json.loads(lines[0][len("MODULES "):])


def test_nothing_but_qt_and_the_window_is_imported_before_the_window_shows(tmp_path):
    modules = _modules_when_shown(tmp_path)
    early = [m for m in modules if any(m == name or m.startswith(name + ".") for name in LATER)]
    assert early == [], f"imported before the window was shown: {early}"
    assert "siamgui.ui.main_window" in modules and "PySide6.QtWidgets" in modules  # the probe saw the window
