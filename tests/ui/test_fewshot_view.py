"""The Few-shot view's drawings and its reaction to a model change (buttons: test_buttons.py)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from siamgui.tasks.fewshot import CurvePoint
from siamgui.ui.fewshot_view import ACCENT, RIGHT, WRONG, ConfusionMatrix, CurveChart


def _has_colour(img, colour: QColor, tol: int = 40) -> bool:
    for x in range(0, img.width(), 2):
        for y in range(0, img.height(), 2):
            c = img.pixelColor(x, y)
            if abs(c.red() - colour.red()) < tol and abs(c.green() - colour.green()) < tol \
                    and abs(c.blue() - colour.blue()) < tol:
                return True
    return False


def test_confusion_matrix_shades_right_green_and_wrong_red(qtbot):
    m = ConfusionMatrix()
    qtbot.addWidget(m)
    m.resize(300, 300)
    m.set_matrix(["a", "b"], np.array([[5, 0], [0, 5]]))
    img = m.grab().toImage()
    assert _has_colour(img, RIGHT) and not _has_colour(img, WRONG, 25)
    m.set_matrix(["a", "b"], np.array([[0, 5], [5, 0]]))
    img = m.grab().toImage()
    assert _has_colour(img, WRONG) and not _has_colour(img, RIGHT, 25)


def test_curve_chart_draws_the_points(qtbot):
    c = CurveChart()
    qtbot.addWidget(c)
    c.resize(400, 260)
    assert not _has_colour(c.grab().toImage(), ACCENT)
    c.set_curve(5, [CurvePoint(k, 0.5 + 0.05 * k, 10) for k in range(1, 8)])
    assert _has_colour(c.grab().toImage(), ACCENT)


def test_a_model_of_another_kind_drops_the_support(qtbot, tmp_path):
    from conftest import ROOT, carded_model
    from siamgui import Encoder
    from siamgui.ui.fewshot_view import FewShotView
    from siamgui.ui.jobs import Jobs
    from tasks.test_fewshot import letters

    jobs = Jobs()
    view = FewShotView(jobs)
    qtbot.addWidget(view)
    view.set_encoder(Encoder.load(ROOT / "models" / "glyph.onnx", device="cpu"))
    view.load_support_folder(letters(tmp_path / "s", 2))
    qtbot.waitUntil(lambda: view.support is not None and not view.busy, timeout=20000)
    other = Encoder.load(ROOT / "models" / "digit.onnx", device="cpu")
    view.set_encoder(other)  # images still: the support is embedded again with the new model
    assert view.support is None
    qtbot.waitUntil(lambda: view.support is not None and not view.busy, timeout=20000)
    voice = Encoder.load(carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, name="v"), device="cpu")
    view.set_encoder(voice)
    assert view.support is None and not view.by_class and "reads other files" in view.support_label.text()
    jobs.shutdown()
