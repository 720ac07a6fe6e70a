"""The Few-shot view's drawings and its reaction to a model change (buttons: test_buttons.py)."""

from __future__ import annotations

import numpy as np
import pytest
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


# --- the classifier picker: no stale results, one sentence when the SVM cannot run ---------------
def _press(qtbot, button) -> None:
    from PySide6.QtCore import Qt

    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _answer_folder(monkeypatch, path) -> None:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(path)))


def _pick(combo, data) -> None:
    """Choose an entry as the user does (the popup's choice sets the current index)."""
    combo.setCurrentIndex(combo.findData(data))


def _classify_letters(w, qtbot, tmp_path, monkeypatch, classifier: str | None = None):
    """Few-shot on the glyph model through its buttons: 3 letters of 3 examples as the support set
    (from its folder dialog), 2 more of each as queries; the view, with its result in."""
    from conftest import ROOT, wait_model
    from tasks.test_fewshot import letters

    w.open_model_path(str(ROOT / "models" / "glyph.onnx"))
    wait_model(qtbot, w)
    w.nav.setCurrentRow(w.views.index(w.fewshot))
    fv = w.fewshot
    _answer_folder(monkeypatch, letters(tmp_path / "support", 3))
    _press(qtbot, fv.support_button)
    qtbot.waitUntil(lambda: fv.support is not None and not fv.busy, timeout=20000)
    if classifier:
        _pick(fv.classifier_combo, classifier)
    _answer_folder(monkeypatch, letters(tmp_path / "queries", 2, seed0=60))
    _press(qtbot, fv.query_folder_button)
    qtbot.waitUntil(lambda: fv.result is not None and not fv.busy, timeout=20000)
    return fv


@pytest.fixture
def classified(make_window, qtbot, tmp_path, monkeypatch):
    """The Few-shot view after a nearest-example run on a folder of class folders (glyph model)."""
    w = make_window()
    fv = _classify_letters(w, qtbot, tmp_path, monkeypatch, classifier="knn")
    assert fv.result.classifier == "knn" and "nearest example" in fv.summary_label.text()
    _press(qtbot, fv.curve_button)
    qtbot.waitUntil(lambda: fv.curve is not None and not fv.busy, timeout=20000)
    return w


def test_svm_without_scikit_learn_clears_the_old_results_and_says_so_once(classified, qtbot, monkeypatch):
    import sys

    from siamgui.tasks import fewshot as fs
    from siamgui.ui.fewshot_view import svm_missing_sentence

    monkeypatch.setattr(fs, "svm_installed", lambda: False)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # `import sklearn` now fails, as when it is absent
    monkeypatch.setitem(sys.modules, "sklearn.svm", None)
    fv = classified.fewshot
    _pick(fv.classifier_combo, "svm")
    assert fv.result is None and fv.predictions.count() == 0 and fv.matrix.matrix is None
    assert fv.summary_label.text() == "" and not fv.chart.points and fv.curve is None
    assert fv.note_label.isVisible() and fv.note_label.text() == svm_missing_sentence()
    assert fv.note_label.text().startswith("The svm classifier needs scikit-learn")
    assert not fv.error_label.isVisible() and "scikit-learn" not in fv.error_label.text()
    for b in (fv.query_folder_button, fv.query_files_button, fv.curve_button):
        assert not b.isEnabled(), b.text()
    wait = classified.jobs
    qtbot.waitUntil(lambda: wait.in_flight == 0, timeout=10000)
    assert not fv.error_label.isVisible() and fv.result is None  # nothing ran behind the note
    _pick(fv.classifier_combo, "centroid")  # back to one that runs: the last queries are classified again
    assert not fv.note_label.isVisible()
    qtbot.waitUntil(lambda: fv.result is not None and not fv.busy, timeout=20000)
    assert fv.query_folder_button.isEnabled() and fv.curve_button.isEnabled()
    assert fv.result.classifier == "centroid" and "nearest class mean" in fv.summary_label.text()


def test_svm_with_scikit_learn_classifies_again_under_its_own_name(classified, qtbot):
    pytest.importorskip("sklearn.svm", reason="scikit-learn (the test extra) is not installed")
    fv = classified.fewshot
    _pick(fv.classifier_combo, "svm")
    assert fv.result is None or fv.result.classifier == "svm"  # never the knn result under the SVM's name
    assert not fv.note_label.isVisible() and fv.curve is None
    qtbot.waitUntil(lambda: fv.result is not None and not fv.busy, timeout=30000)
    assert fv.result.classifier == "svm" and fv.result.score_kind == "score"
    assert "linear svm" in fv.summary_label.text() and fv.result.accuracy == 1.0
    assert fv.curve_button.isEnabled() and fv.query_files_button.isEnabled()


def test_the_k_shot_curve_says_why_it_stops_before_ten(classified, qtbot):
    fv = classified.fewshot  # 3 classes of 3 examples: k = 1, 2 only
    assert [p.k for p in fv.curve[1]] == [1, 2]
    assert fv.curve_note.isVisible()
    assert fv.curve_note.text() == ("The curve stops at k = 2: the support set has 3 examples per class, and "
                                    "k = 3 needs 4 (k to learn from, one to test).")


def test_curve_stop_reason_names_the_classes_short_of_examples():
    from siamgui.tasks import fewshot as fs

    support = fs.SupportSet(["a", "b", "c"], [], np.array([0] * 8 + [1] * 8 + [2] * 4), np.zeros((20, 2)))
    points = [fs.CurvePoint(k, 0.9, 10) for k in (1, 2, 3, 4, 5, 6)]
    assert fs.curve_stop_reason(support, 3, points) == (
        "The curve stops at k = 6: k = 7 needs 3 classes with 8 examples or more (k to learn from, one to test), "
        "and only 2 of the support's classes have that many.")
    assert fs.curve_stop_reason(support, 3, [fs.CurvePoint(k, 1.0, 10) for k in range(1, 11)]) == ""


def test_draw_mode_fits_a_1024x700_screen(make_window, qtbot, tmp_path, monkeypatch):
    """Buttons whole, neighbour thumbnails side by side, prediction lines readable without scrolling."""
    from PySide6.QtCore import QRect

    from test_buttons import SEVEN, draw_stroke

    w = make_window()
    w.resize(1024, 668)  # a 1024x700 screen less the title bar
    fv = _classify_letters(w, qtbot, tmp_path, monkeypatch)
    _press(qtbot, fv.draw_button)
    draw_stroke(qtbot, fv.drawpad.pad, SEVEN)
    qtbot.waitUntil(lambda: fv.drawn_prediction is not None, timeout=10000)
    qtbot.wait(50)
    assert w.width() == 1024
    for b in (fv.drawpad.undo_button, fv.drawpad.clear_button):
        assert b.isVisible() and b.width() >= b.sizeHint().width(), b.text()
    boxes = [t.geometry() for t in (fv.query_thumb, *fv.near_thumbs)]
    assert all(r.width() == r.height() == fv.thumb_side for r in boxes)
    assert all(a.right() < b.left() for a, b in zip(boxes, boxes[1:]))  # side by side, none squeezed over another
    frame = fv.query_thumb.parentWidget().contentsRect()
    assert all(frame.contains(r) for r in boxes)
    assert not fv.predictions.horizontalScrollBar().isVisible()
    fm = fv.predictions.fontMetrics()
    room = fv.predictions.viewport().width()
    for i in range(fv.predictions.count()):
        assert fm.horizontalAdvance(fv.predictions.item(i).text()) + 8 <= room, fv.predictions.item(i).text()
    pad = fv.drawpad.geometry()
    assert QRect(0, 0, fv.width(), fv.height()).contains(pad)


def test_at_1024_px_the_confusion_matrix_gets_room_and_wider_windows_the_big_thumbnails(make_window, qtbot,
                                                                                        tmp_path, monkeypatch):
    """Screenshot fewshot.png at 1024x700: the matrix was squeezed to 200 px with unreadable counts
    beside 96-px thumbnails; narrow views now use the small ones, and a wider window the big ones."""
    from siamgui.ui.fewshot_view import THUMB, THUMB_DRAWING

    w = make_window()
    w.resize(1024, 668)
    fv = _classify_letters(w, qtbot, tmp_path, monkeypatch)
    fv.predictions.setCurrentRow(0)  # a query picked: its neighbours shown
    qtbot.waitUntil(lambda: fv.query_thumb.pixmap() is not None and not fv.query_thumb.pixmap().isNull(), timeout=10000)
    qtbot.wait(50)
    assert fv.query_thumb.width() == THUMB_DRAWING and fv.matrix.width() >= 260, fv.matrix.width()
    assert fv.predictions.width() >= 200 and not fv.predictions.horizontalScrollBar().isVisible()
    w.resize(1280, 800)
    qtbot.waitUntil(lambda: fv.query_thumb.width() == THUMB, timeout=3000)
    assert not fv.query_thumb.pixmap().isNull() and fv.query_thumb.pixmap().width() > THUMB_DRAWING - 4


def test_save_predictions_csv_and_confusion_png(classified, qtbot, tmp_path, monkeypatch):
    import csv

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QFileDialog

    fv = classified.fewshot
    lines = []
    fv.status.connect(lines.append)

    def answer(target):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))

    answer(tmp_path / "preds")
    _press(qtbot, fv.save_predictions_button)  # Save predictions…
    rows = list(csv.DictReader((tmp_path / "preds.csv").open(encoding="utf-8")))
    assert lines[-1] == f"Saved {tmp_path / 'preds.csv'}"
    assert len(rows) == fv.predictions.count() == 6
    assert [r["predicted"] for r in rows] == [p.predicted for p in fv.result.predictions]
    assert set(rows[0]) == {"file", "predicted", "distance", "truth", "correct"}
    answer(tmp_path / "matrix.png")
    _press(qtbot, fv.save_matrix_button)  # Save matrix…
    img = QImage(str(tmp_path / "matrix.png"))
    assert not img.isNull() and img.width() >= 320
    from siamgui.ui.fewshot_view import RIGHT

    assert _has_colour(img, RIGHT)  # the diagonal of a perfect run
    _press(qtbot, fv.clear_button)
    assert not fv.save_predictions_button.isVisible() and not fv.save_matrix_button.isVisible()


def test_a_slow_older_query_pick_is_never_drawn_over_a_newer_one(classified, qtbot, monkeypatch):
    """Latest wins (ui/jobs.Latest): picking a second query while the first's neighbours are still
    being found shows the second's, even when the first's answer arrives last."""
    import threading
    from pathlib import Path

    from PySide6.QtCore import Qt

    from siamgui.tasks import fewshot as fs

    fv = classified.fewshot
    release, older_done = threading.Event(), threading.Event()
    real = fs.nearest_examples
    calls = []

    def slow_for_the_first(support, query, k):
        calls.append(query)
        if len(calls) > 1:
            return real(support, query, k)
        release.wait(10)  # the first pick's search is held back
        try:
            return real(support, query, k)
        finally:
            older_done.set()

    monkeypatch.setattr(fs, "nearest_examples", slow_for_the_first)
    first, second = (Path(fv.result.predictions[i].file).name for i in (0, 1))
    assert first != second and fv.predictions.currentRow() == -1
    rect = fv.predictions.visualItemRect(fv.predictions.item(0))
    qtbot.mouseClick(fv.predictions.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10000)  # the first search has begun
    rect = fv.predictions.visualItemRect(fv.predictions.item(1))
    qtbot.mouseClick(fv.predictions.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: fv.near_title.text().startswith(f"{second}:"), timeout=10000)
    release.set()
    qtbot.waitUntil(older_done.is_set, timeout=10000)
    assert classified.jobs.wait(5000)
    qtbot.wait(100)  # the older outcome's queued delivery has its chance to arrive
    assert fv.near_title.text().startswith(f"{second}:") and fv.predictions.currentRow() == 1
