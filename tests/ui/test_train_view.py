"""The Train view, driven through its real buttons with a fake ``siamgui-train`` (tests/ui/fake_train.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from conftest import carded_model
from siamgui.ui import train_view
from siamgui.ui.train_view import INSTALL_HINT, OWN_FOLDER, Progress, TrainView

FAKE = [sys.executable, str(Path(__file__).with_name("fake_train.py"))]


def click(qtbot, button):
    from test_buttons import click as press

    press(qtbot, button)


def test_lines_in_the_trainers_format_become_curves():
    p = Progress()
    assert not p.feed("[siamgui-train] preset digit: {}")
    assert p.feed("step 40 (0.3 min) loss 0.512")
    assert p.feed("step 80 (0.6 min) loss 0.401 val EER 12.50% AUC 0.9400 20-way 71.5%")
    assert p.feed("step 90 (0.7 min) loss 0.390 val EER 30.00% AUC 0.7000")  # 2 classes: no 20-way
    assert p.loss == [(40, 0.512), (80, 0.401), (90, 0.39)]
    assert p.eer == [(80, 12.5), (90, 30.0)] and p.way20 == [(80, 71.5)] and p.minutes == 0.7
    assert p.feed('[siamgui-train] validation (10 held-out classes): {"auc": 0.97, "eer": 0.08, "one_shot_20": 0.9}')
    assert p.eer[-1] == (90, 8.0) and p.way20[-1] == (90, 90.0)


def test_start_draws_curves_and_the_new_model_reaches_the_picker(glyph_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_MODEL", str(carded_model(tmp_path / "m.onnx", {"kind": "glyph", "size": 32})))
    w = glyph_window
    view = w.train
    view.command = FAKE
    w.nav.setCurrentRow(w.views.index(view))
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData("fruit"))
    assert view.preset_combo.currentText() == "image" and "90%" in view.about.text()
    assert view.loss_combo.currentText() == "proto"  # the preset's, not the previous recipe's
    click(qtbot, view.start_button)
    assert view.cancel_button.isEnabled() and not view.start_button.isEnabled()
    qtbot.waitUntil(lambda: "in the model picker" in view.state.text(), timeout=15000)
    assert len(view.progress.loss) == 6 and view.progress.way20[-1] == (60, 80.0) and view.plot.paints > 0
    args = (view.workdir / "argv.txt").read_text().splitlines()
    assert args[:2] == ["recipe", "fruit"] and "--log-every" in args and view.out.name == "fruit.onnx"
    titles = [w.model_combo.itemText(i) for i in range(w.model_combo.count())]
    assert "fruit" in titles  # the user models folder is a registry search folder


def test_cancel_then_resume_from_the_checkpoint(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_LINES", "400")
    monkeypatch.setenv("FAKE_TRAIN_DELAY", "0.05")
    view = TrainView(command=FAKE, models_dir=tmp_path / "models")
    qtbot.addWidget(view)
    view.show()
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData(OWN_FOLDER))
    click(qtbot, view.start_button)  # no folder yet: says so, starts nothing
    assert not view.running and "folder" in view.state.text().lower()
    (tmp_path / "mine").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "mine")))
    click(qtbot, view.folder_button)
    view.preset_combo.setCurrentText("glyph")
    view.loss_combo.setCurrentText("contrastive")
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: len(view.progress.loss) >= 3, timeout=10000)
    click(qtbot, view.cancel_button)
    qtbot.waitUntil(lambda: not view.running, timeout=10000)
    assert "Cancelled" in view.state.text() and view.resume_button.isEnabled()
    steps = len(view.progress.loss)
    click(qtbot, view.resume_button)
    qtbot.waitUntil(lambda: len(view.progress.loss) > steps, timeout=10000)
    args = (view.workdir / "argv.txt").read_text().splitlines()
    assert args[0] == str(tmp_path / "mine") and args[args.index("--loss") + 1] == "contrastive"
    assert args[args.index("--resume") + 1] == str(view.workdir / "checkpoint.pt")
    view.cancel()
    qtbot.waitUntil(lambda: not view.running, timeout=10000)


def test_without_torch_the_view_says_how_to_get_it(qtbot, monkeypatch):
    monkeypatch.delenv(train_view.ENV_COMMAND, raising=False)
    monkeypatch.setattr(train_view, "trainer_available", lambda: False)
    view = TrainView()
    qtbot.addWidget(view)
    assert view.state.text() == INSTALL_HINT and 'pip install "siamgui[train]"' in INSTALL_HINT
    assert not view.start_button.isEnabled()


def test_the_view_builds_without_the_training_package(qtbot, monkeypatch):
    """The packaged app leaves siamgui.train out: the view must still build and say how to get it."""
    import sys

    from siamgui.ui.train_view import TrainView

    monkeypatch.setitem(sys.modules, "siamgui.train.recipes", None)  # import now raises ImportError
    view = TrainView()
    qtbot.addWidget(view)
    assert view.recipes == {} and view.recipe_combo.count() == 1  # only "your own folder"


def test_with_no_model_the_train_view_still_opens_and_its_model_is_loaded(make_window, qtbot, tmp_path,
                                                                           monkeypatch):
    from PySide6.QtCore import Qt

    monkeypatch.setenv("FAKE_TRAIN_MODEL", str(carded_model(tmp_path / "m.onnx", {"kind": "glyph", "size": 32})))
    w = make_window(autoload=True)  # nothing installed
    assert w.encoder is None and w.content.currentWidget() is w.empty
    assert "Train view" in w.empty.detail.text()

    def open_view(view):
        item = w.nav.item(w.views.index(view))
        qtbot.mouseClick(w.nav.viewport(), Qt.MouseButton.LeftButton, pos=w.nav.visualItemRect(item).center())

    open_view(w.train)
    assert w.content.currentWidget() is w.view_stack and w.view_stack.currentWidget() is w.train
    assert w.train.isVisible()
    open_view(w.compare)  # Compare needs a model: the empty state again
    assert w.content.currentWidget() is w.empty
    open_view(w.train)
    view = w.train
    view.command = FAKE
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData(OWN_FOLDER))
    (tmp_path / "mine").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "mine")))
    click(qtbot, view.folder_button)
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: w.encoder is not None, timeout=15000)  # the first model made is the one in use
    assert w.encoder.path.resolve() == view.out.resolve()
    open_view(w.compare)
    assert w.content.currentWidget() is w.view_stack and w.view_stack.currentWidget() is w.compare
