"""The real window under Xvfb, grabbed to a PNG: it must show something (not a blank frame)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, carded_model, draw

HERE = Path(__file__).resolve().parent


@pytest.fixture
def xvfb_display():
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.skip("Xvfb is not on PATH (apt-get install xvfb) - cannot start the real window")
    read, write = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_real_window_screenshot_is_not_blank(xvfb_display, tmp_path):
    import cv2
    from PySide6.QtGui import QImage

    models = tmp_path / "models"
    models.mkdir()
    carded_model(models / "glyph.onnx", {"kind": "glyph", "size": 32}, threshold=0.3, name="glyph")
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    cv2.imwrite(str(a), draw("A", 1))
    cv2.imwrite(str(b), draw("A", 2))
    out = tmp_path / "window.png"
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb", "SIAMGUI_MODELS": str(models),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(HERE / "screenshot_app.py"), str(out), str(a), str(b)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SAME" in proc.stdout or "DIFFERENT" in proc.stdout
    img = QImage(str(out))
    assert not img.isNull() and (img.width(), img.height()) == (1280, 800)
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3]
    assert arr.std() > 10, "the window grab is (nearly) one flat colour"
    assert len(np.unique(arr.reshape(-1, 3)[::7], axis=0)) > 50
