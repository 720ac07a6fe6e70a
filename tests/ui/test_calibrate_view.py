"""The Calibrate view: background calibration with progress and cancel, histograms, ROC, a
draggable threshold with its rates, "Use this threshold", and the embedding map."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from conftest import carded_model, draw
from siamgui.core import thresholds
from siamgui.tasks import calibration
from siamgui.core.encoder import Encoder


def make_classes(root, letters="ABCDEF", per_class=5):
    for ci, ch in enumerate(letters):
        (root / ch).mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            img = draw(ch, seed=100 * ci + k, scale=2.4 + 0.25 * (k % 3), offset=(3 * (k % 4) - 4, 2 * (k % 3) - 2))
            cv2.imwrite(str(root / ch / f"{k}.png"), img)
    return root


@pytest.fixture
def encoder(tmp_path):
    return Encoder.load(carded_model(tmp_path / "glyphtest.onnx", {"kind": "glyph", "size": 32}, threshold=0.05,
                                     name="glyphtest"))


@pytest.fixture
def view(qtbot, encoder):
    from siamgui.ui.app import create_app
    from siamgui.ui.calibrate_view import CalibrateView

    create_app()
    v = CalibrateView()
    qtbot.addWidget(v)
    v.resize(1100, 720)
    v.show()
    v.set_encoder(encoder)
    yield v
    v.shutdown()


def run_to_end(qtbot, view, source):
    view.start(source)
    qtbot.waitUntil(lambda: not view.running, timeout=20000)


def test_calibration_runs_in_the_background_and_fills_the_plots(qtbot, view, encoder, tmp_path, monkeypatch):
    main = threading.current_thread()
    embedded_on = []
    real = Encoder.embed_prepared

    def spy(self, items):
        embedded_on.append(threading.current_thread() is main)
        return real(self, items)

    monkeypatch.setattr(Encoder, "embed_prepared", spy)
    root = make_classes(tmp_path / "classes")
    seen = []
    shown = view._progress  # progress reaches the view on the UI thread, through the job runner

    def spy_progress(done, total):
        seen.append((done, total, threading.current_thread() is main))
        shown(done, total)

    monkeypatch.setattr(view, "_progress", spy_progress)
    run_to_end(qtbot, view, root)
    assert embedded_on and not any(embedded_on), "the UI thread embedded"
    assert seen and seen[-1] == (30, 30, True) and all(on_ui for *_, on_ui in seen)
    res = view.result
    assert res is not None and len(res.items) == 30
    assert len(view.histogram.same) == len(view.histogram.different) == int(res.labels.sum())
    assert len(view.roc.far) == len(res.roc.far) and view.roc.auc == pytest.approx(res.auc)
    from siamgui.ui import calibrate_view as cv
    assert "ROC AUC" in view.figures.text() and cv.auc_text(res.auc) in view.figures.text()
    assert view.threshold == pytest.approx(encoder.threshold)
    assert view.map.points.shape == (30, 2) and sorted(view.map.classes) == list("ABCDEF")
    assert "30 files in 6 classes" in view.figures.text() and not view.progress_row.isVisible()


def test_dragging_the_line_moves_the_threshold_and_the_rates(qtbot, view, tmp_path):
    run_to_end(qtbot, view, make_classes(tmp_path / "classes"))
    res = view.result
    h = view.histogram
    target = float(np.median(res.different))
    y = int(h.plot_rect().center().y())
    qtbot.mousePress(h, Qt.MouseButton.LeftButton, pos=QPoint(int(h.x_of(h.threshold)), y))
    qtbot.mouseMove(h, QPoint(int(h.x_of(target)), y))
    qtbot.mouseRelease(h, Qt.MouseButton.LeftButton, pos=QPoint(int(h.x_of(target)), y))
    assert view.threshold == pytest.approx(target, abs=(h.hi - h.lo) / 100)
    rates = res.rates_at(view.threshold)
    from siamgui.ui.calibrate_view import pct

    assert view.far_value.text() == pct(rates["far"]) and view.frr_value.text() == pct(rates["frr"])
    assert view.threshold_spin.value() == pytest.approx(view.threshold, abs=1e-3)
    assert view.roc.point == pytest.approx((rates["far"], 1 - rates["frr"]))
    view.threshold_spin.setValue(0.0)
    assert view.threshold == 0.0 and view.far_value.text() == "0.00%"
    h.setFocus()
    qtbot.keyClick(h, Qt.Key.Key_Right)
    assert view.threshold > 0.0


def test_presets_far_eer_and_card_default(qtbot, view, encoder, tmp_path):
    run_to_end(qtbot, view, make_classes(tmp_path / "classes"))
    res = view.result
    view.apply_target_far(0.05)
    assert view.threshold == pytest.approx(res.threshold_at_far(0.05))
    assert res.rates_at(view.threshold)["far"] <= 0.05
    view.eer_button.click()
    assert view.threshold == pytest.approx(res.eer_threshold)
    view.default_button.click()
    assert view.threshold == pytest.approx(encoder.default_threshold)


def test_use_this_threshold_stores_it_for_the_model_only(qtbot, view, encoder, tmp_path):
    run_to_end(qtbot, view, make_classes(tmp_path / "classes"))
    stored = []
    view.thresholdStored.connect(stored.append)
    view.set_threshold(0.2345)
    view.use_button.click()
    assert stored == [pytest.approx(0.2345)]
    assert thresholds.get(encoder.model_hash) == pytest.approx(0.2345)
    assert Encoder.load(encoder.path).threshold == pytest.approx(0.2345)
    assert Encoder.load(encoder.path).card.threshold == 0.05  # the model file is not changed
    assert "0.234" in view.stored_label.text() and view.forget_button.isVisibleTo(view)
    assert not view.use_button.isEnabled()  # already in use
    view.forget_button.click()
    assert thresholds.get(encoder.model_hash) is None and stored[-1] is None
    assert encoder.threshold == 0.05


def test_cancel_stops_and_ignores_the_late_result(qtbot, view, tmp_path, monkeypatch):
    import siamgui.ui.calibrate_view as cv

    started = threading.Event()

    def slow(encoder, source, max_pairs, segment_s, cancel, progress, *limits):
        started.set()
        progress(0, 100)
        for _ in range(200):
            if cancel.is_set():
                raise calibration.Cancelled()
            cancel.wait(0.05)
        raise AssertionError("not cancelled")

    monkeypatch.setattr(cv, "_run_calibration", slow)
    view.start(tmp_path)
    assert started.wait(5)
    qtbot.waitUntil(lambda: view.progress.maximum() == 100, timeout=5000)
    assert view.cancel_button.isVisible() and view.progress.isVisible()
    view.cancel_button.click()
    assert not view.running and view.progress_label.text() == "Cancelled."
    assert view.jobs.wait(5000)
    qtbot.wait(50)
    assert view.result is None and view.progress_label.text() == "Cancelled."


def test_bad_input_is_a_message_not_a_crash(qtbot, view, tmp_path):
    one = make_classes(tmp_path / "one", letters="A")
    run_to_end(qtbot, view, one)
    assert view.result is None and "at least two" in view.error_label.text() and view.error_label.isVisible()
    assert not view.use_button.isEnabled()


def test_a_new_model_clears_the_old_distances(qtbot, view, tmp_path):
    run_to_end(qtbot, view, make_classes(tmp_path / "classes"))
    other = Encoder.load(carded_model(tmp_path / "other.onnx", {"kind": "glyph", "size": 32}, seed=5, name="other"))
    view.set_encoder(other)
    assert view.result is None and "model changed" in view.figures.text()
    view.rerun()
    qtbot.waitUntil(lambda: not view.running, timeout=20000)
    assert view.result is not None and view.result.model_name == "other"


def test_map_of_the_gallery(qtbot, encoder, tmp_path):
    from siamgui.tasks.enrolment import enrol_files
    from siamgui.core.gallery import Gallery
    from siamgui.ui.app import create_app
    from siamgui.ui.calibrate_view import CalibrateView

    create_app()
    root = make_classes(tmp_path / "classes", letters="AB", per_class=3)
    gallery = Gallery(tmp_path / "g.sqlite3")
    enrol_files(gallery, encoder, "Alpha", sorted((root / "A").glob("*.png")))
    enrol_files(gallery, encoder, "Beta", sorted((root / "B").glob("*.png")))
    v = CalibrateView(gallery_factory=lambda: gallery)
    qtbot.addWidget(v)
    v.set_encoder(encoder)
    v.map_gallery()
    qtbot.waitUntil(lambda: len(v.map.points) == 6, timeout=10000)
    assert v.map.classes == ["Alpha", "Beta"] and "2 people" in v.map_source.text()
    v.shutdown()
    gallery.close()


def test_the_main_window_lists_calibrate(make_window, qtbot, tmp_path):
    w = make_window()
    titles = [w.nav.item(i).text() for i in range(w.nav.count())]
    assert "Calibrate" in titles
    model = carded_model(tmp_path / "glyphtest.onnx", {"kind": "glyph", "size": 32}, threshold=0.05, name="glyphtest")
    w.open_model_path(str(model))
    qtbot.waitUntil(lambda: not w.loading, timeout=10000)
    assert w.calibrate.encoder is w.encoder


# --- sampling said aloud, AUC precision, labels clear of the data ----------------------------------
def test_a_sampled_folder_says_so_and_more_files_can_be_asked_for(qtbot, view, tmp_path):
    from PySide6.QtWidgets import QPushButton

    classes = make_classes(tmp_path / "c", letters="ABCDEFGH", per_class=5)  # 40 files
    view.files_spin.setValue(20)
    run_to_end(qtbot, view, classes)
    res = view.result
    n = len(res.items)
    assert n <= 20 and res.found_items == 40  # an equal share per class: 2 of each of the 8
    text = view.figures.text()
    assert f"Sampled {n} of 40 files (8 of 8 classes, at random with a fixed seed" in text
    assert "raise the file limit to use more" in text
    view.files_spin.setValue(1000)
    run = view.run_button
    assert isinstance(run, QPushButton) and run.isVisible() and run.isEnabled()
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)  # Run again, with the higher limit
    qtbot.waitUntil(lambda: not view.running and view.result is not res, timeout=20000)
    assert len(view.result.items) == 40 and "Sampled" not in view.figures.text()
    assert "40 files in 8 classes" in view.figures.text()


def test_fewer_pairs_than_asked_says_why(qtbot, view, tmp_path):
    classes = make_classes(tmp_path / "c", letters="ABC", per_class=3)  # 3 same pairs a class at most
    view.pairs_spin.setValue(5000)
    run_to_end(qtbot, view, classes)
    same = int(view.result.labels.sum())
    assert same == 9
    assert f"5,000 pairs asked, but these files give only {same} same pairs (and as many different ones)" \
        in view.figures.text()


@pytest.mark.parametrize("auc, text", [(0.99996, "0.99996"), (0.9871, "0.987"), (1.0, "1"), (0.5, "0.500"),
                                       (0.9999999, "> 0.999999")])
def test_auc_is_never_rounded_up_to_one(auc, text):
    from siamgui.ui.calibrate_view import auc_text

    assert auc_text(auc) == text


def test_the_eer_label_stays_off_the_curve_and_the_legend_off_the_bars(qtbot, view, tmp_path):
    run_to_end(qtbot, view, make_classes(tmp_path / "c"))
    for size in ((1100, 720), (874, 560)):  # the view's room at 1280x800 and at 1024x700
        view.resize(*size)
        view.roc.grab()  # paints
        view.histogram.grab()
        roc, s = view.roc, view.roc.square()
        box = roc.eer_label_rect
        assert box is not None and s.contains(box.center())
        far = np.linspace(0, 1, 400)
        tpr = np.interp(far, roc.far, roc.tpr)
        on_curve = [roc.to_xy(f, t, s) for f, t in zip(far, tpr)]
        assert not any(box.contains(pt) for pt in on_curve), size
        plot = view.histogram.plot_rect()
        assert view.histogram.legend_rects and all(not r.intersects(plot) for r in view.histogram.legend_rects)
        assert all(view.histogram.rect().contains(r.toRect()) for r in view.histogram.legend_rects)


def test_save_plots_and_rates(qtbot, view, tmp_path, monkeypatch):
    import csv

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QFileDialog

    assert not view.save_plots_button.isEnabled() and not view.save_rates_button.isEnabled()  # nothing yet
    run_to_end(qtbot, view, make_classes(tmp_path / "c"))
    lines, asked = [], []
    view.status.connect(lines.append)

    def answer(target):
        def fake(parent, title, name, filt):
            asked.append(name)
            return str(target), filt
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))

    answer(tmp_path / "plots.png")
    assert view.save_plots_button.isVisible() and view.save_plots_button.isEnabled()
    qtbot.mouseClick(view.save_plots_button, Qt.MouseButton.LeftButton)  # Save plots…
    img = QImage(str(tmp_path / "plots.png"))
    assert asked[-1] == "calibration-glyphtest-c.png" and lines[-1] == f"Saved {tmp_path / 'plots.png'}"
    assert (img.width(), img.height()) == (view.plots_box.width(), view.plots_box.height())

    answer(tmp_path / "rates")  # no ending: .csv is added
    qtbot.mouseClick(view.save_rates_button, Qt.MouseButton.LeftButton)  # Save rates…
    rows = list(csv.DictReader((tmp_path / "rates.csv").open(encoding="utf-8")))
    res = view.result
    assert len(rows) == len(res.roc.thresholds) and asked[-1] == "calibration-glyphtest-c-rates.csv"
    assert list(rows[0]) == ["threshold", "false_accept_rate", "false_reject_rate", "true_accept_rate", "accuracy"]
    mid = rows[len(rows) // 2]
    expect = res.rates_at(float(mid["threshold"]))
    assert float(mid["false_accept_rate"]) == pytest.approx(expect["far"], abs=1e-6)
    assert float(mid["false_reject_rate"]) == pytest.approx(expect["frr"], abs=1e-6)
    assert float(mid["accuracy"]) == pytest.approx(expect["accuracy"], abs=1e-6)

    answer(tmp_path / "missing" / "r.csv")
    qtbot.mouseClick(view.save_rates_button, Qt.MouseButton.LeftButton)
    assert lines[-1].startswith("Not saved:") and "does not exist" in lines[-1]


def test_the_source_row_fits_1024_px_for_a_sound_model(audio_window, qtbot):
    """With the recording cut and both limits shown, no control is squeezed and the path has room."""
    from PySide6.QtCore import QPoint, QRect

    w = audio_window
    w.resize(1024, 668)  # a 1024x700 screen less the title bar
    w.nav.setCurrentRow(w.views.index(w.calibrate))
    cv = w.calibrate
    qtbot.wait(50)
    assert cv.segment_check.isVisible()
    for b in (cv.folder_button, cv.csv_button, cv.segment_check, cv.segment_spin, cv.files_spin, cv.pairs_spin):
        assert b.isVisible() and b.width() >= b.sizeHint().width(), type(b).__name__
        assert cv.rect().contains(QRect(b.mapTo(cv, QPoint(0, 0)), b.size()))
    assert cv.source_label.width() > 200
