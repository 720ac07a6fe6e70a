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


def ready(qtbot, view, timeout=30000):
    """Wait for the trainer's answer to --list --json (read in a process, once a session)."""
    qtbot.waitUntil(lambda: view.listing is not None, timeout=timeout)
    assert view.start_button.isEnabled()


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
    ready(qtbot, view)
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
    ready(qtbot, view)
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


def test_the_view_builds_without_the_training_package(qtbot):
    """The packaged app leaves siamgui.train out: the trainer cannot answer, the view says how to get it."""
    view = TrainView(command=[sys.executable, "-c", "import siamgui.no_such_training_package"])
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.state.text() == INSTALL_HINT, timeout=15000)
    assert view.listing is None and view.recipes == {}
    assert not view.start_button.isEnabled() and not view.recipe_combo.isEnabled()


def test_the_view_imports_nothing_from_the_trainer(tmp_path):
    """Its choices come from a process: building the view and reading them loads no siamgui.train module."""
    import os
    import subprocess

    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
            "from siamgui.ui.train_view import TrainView; v = TrainView(models_dir=__import__('pathlib').Path("
            f"{str(tmp_path)!r})); v.show();"
            "import time; t = time.time()\n"
            "while v.listing is None and time.time() - t < 30: app.processEvents(); time.sleep(0.02)\n"
            "print(v.preset_combo.count(), v.loss_combo.count(), sorted(m for m in sys.modules "
            "if m.startswith('siamgui.train') or m == 'torch'))")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen"})
    presets, losses, modules = done.stdout.strip().split(" ", 2)
    assert int(presets) >= 6 and int(losses) >= 7, done.stderr  # it got the trainer's answer
    assert modules == "[]"


def test_every_choice_the_view_offers_parses_with_the_real_trainer(qtbot, tmp_path, monkeypatch):
    """Every recipe, and every preset x loss for a folder, makes arguments the real siamgui-train takes."""
    from siamgui.train import cli, recipes

    view = TrainView(models_dir=tmp_path / "models")  # the real trainer answers --list --json
    qtbot.addWidget(view)
    view.show()
    ready(qtbot, view)
    root = tmp_path / "data"
    for r in view.recipes.values():
        for d in r["data"]:
            (root / d).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SIAMGUI_DATA", str(root))
    (tmp_path / "mine").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "mine")))
    checked = 0
    for i in range(view.recipe_combo.count()):
        view.recipe_combo.setCurrentIndex(i)
        if view.recipe is not None:
            for resume in (False, True):
                args = view.arguments(resume)
                assert args[0] == "recipe"
                mine, rest = recipes.parser().parse_known_args(args[1:])
                full = recipes.train_argv(recipes.get(mine.name), view.out, rest)
                parsed = cli.parser().parse_args(full)
                assert parsed.preset == view.preset_combo.currentText() and (parsed.loss or
                                                                              view.loss_combo.currentText())
                checked += 1
            continue
        click(qtbot, view.folder_button)
        assert view.preset_combo.isEnabled() and view.loss_combo.isEnabled()
        for p in range(view.preset_combo.count()):
            view.preset_combo.setCurrentIndex(p)
            for k in range(view.loss_combo.count()):
                view.loss_combo.setCurrentIndex(k)
                for resume in (False, True):
                    parsed = cli.parser().parse_args(view.arguments(resume))
                    assert (parsed.preset, parsed.loss) == (view.preset_combo.currentText(),
                                                            view.loss_combo.currentText())
                    checked += 1
    assert checked >= 2 * (len(view.recipes) + 6 * 7)
    with pytest.raises(SystemExit):  # what the old hand-kept list offered: the parser refuses it
        cli.parser().parse_args(["d", "--preset", "glyph", "--out", "m.onnx", "--loss", "triplet"])


def test_the_legend_names_only_the_series_the_run_drew(qtbot):
    view = TrainView(command=FAKE)
    qtbot.addWidget(view)
    p = Progress()
    p.feed("step 10 (0.1 min) loss 0.9")
    p.feed("step 20 (0.2 min) loss 0.8 val EER 30.00% AUC 0.7000")  # 2 classes: no 20-way
    view.plot.set_progress(p)
    view.show()
    qtbot.waitUntil(lambda: view.plot.paints > 0)
    assert view.plot.legend() == "blue: loss   red: held-out EER %"
    p.feed("step 30 (0.3 min) loss 0.7 val EER 20.00% AUC 0.8000 20-way 60.0%")
    assert "green: 20-way one-shot %" in view.plot.legend()


def test_the_result_in_plain_words_beside_the_seeds_figure(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_TRAIN_FINAL", '{"auc": 0.991, "eer": 0.043, "accuracy": 0.957, "one_shot_5": 0.96, '
                                           '"one_shot_20": 0.88, "threshold": 0.41}')
    view = TrainView(command=FAKE, models_dir=tmp_path / "models")
    qtbot.addWidget(view)
    view.show()
    ready(qtbot, view)
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData("mnist-contrastive"))
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: not view.running and view.result.text() != "", timeout=15000)
    text = view.result.text()
    assert "equal error rate 4.3%" in text and "20-way one-shot 88.0%" in text and "10 held-out classes" in text
    assert "The seed reports 98.9% pair accuracy on MNIST pairs; this run: 95.7% pair accuracy." in text
    assert "{" not in text  # words, not the trainer's JSON


def test_cancel_before_the_first_checkpoint_status_and_log_agree(qtbot, tmp_path):
    """With the real trainer: an early Cancel says 'nothing to resume' in the status and in the log."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
    from helpers import glyph_folder

    data = glyph_folder(tmp_path / "mine", classes="ABCDEF", per_class=3)
    view = TrainView(models_dir=tmp_path / "models")
    qtbot.addWidget(view)
    view.show()
    ready(qtbot, view)
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData(OWN_FOLDER))
    view.folder = data
    view.preset_combo.setCurrentText("glyph")
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: any("[siamgui-train] preset" in l for l in view.lines), timeout=60000)
    click(qtbot, view.cancel_button)
    qtbot.waitUntil(lambda: not view.running, timeout=15000)
    log = view.log.toPlainText()
    assert "nothing to resume" in view.state.text() and "nothing to resume" in log
    assert "resume with --resume" not in log and not view.resume_button.isEnabled()
    assert not view.workdir.exists()  # an empty run folder is not left behind


def test_remove_a_trained_model_asks_first(glyph_window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    w = glyph_window
    view = w.train
    w.nav.setCurrentRow(w.views.index(view))
    models = view._models_dir()
    models.mkdir(parents=True, exist_ok=True)
    carded_model(models / "mine.onnx", {"kind": "glyph", "size": 32})
    w.refresh_models()
    titles = lambda: [w.model_combo.itemText(i) for i in range(w.model_combo.count())]  # noqa: E731
    assert "mine" in titles()
    asked = []
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: (asked.append(a[3]) or "mine.onnx",
                                                                                True)))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    click(qtbot, view.remove_button)
    assert asked == [["mine.onnx"]] and (models / "mine.onnx").is_file() and "mine" in titles()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    click(qtbot, view.remove_button)
    assert not (models / "mine.onnx").exists() and "mine" not in titles()
    assert "Removed mine.onnx" in view.state.text()


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
    ready(qtbot, view)
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData(OWN_FOLDER))
    (tmp_path / "mine").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "mine")))
    click(qtbot, view.folder_button)
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: w.encoder is not None, timeout=15000)  # the first model made is the one in use
    assert w.encoder.path.resolve() == view.out.resolve()
    open_view(w.compare)
    assert w.content.currentWidget() is w.view_stack and w.view_stack.currentWidget() is w.compare


def test_a_preset_brings_its_own_defaults_from_the_trainer(qtbot, tmp_path):
    view = TrainView(command=FAKE, models_dir=tmp_path / "models")
    qtbot.addWidget(view)
    view.show()
    ready(qtbot, view)
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData(OWN_FOLDER))
    view.preset_combo.setCurrentText("digit")
    assert view.loss_combo.currentText() == view.listing["presets"]["digit"]["loss"] == "contrastive"
    assert "Its defaults: loss contrastive, 10 min." in view.about.text()
    view.preset_combo.setCurrentText("voice")
    assert view.loss_combo.currentText() == "proto" and "Speaker verification" in view.about.text()
    assert view.loss_combo.toolTip() == view.listing["losses"]["proto"]  # the trainer's note on the loss
    presets = [view.preset_combo.itemText(i) for i in range(view.preset_combo.count())]
    assert "face-finetune" not in presets  # needs --init: offered on the command line only


def test_on_a_1024x700_screen_the_plot_and_log_never_overlap(make_window, qtbot, tmp_path, monkeypatch):
    """The window a 1024x700 screen opens (1024x668): after a run, with both status lines shown, the
    curves sit wholly above the log and the log inside the view (screenshot train.png had them overlap)."""
    monkeypatch.setenv("FAKE_TRAIN_FINAL", '{"auc": 0.991, "eer": 0.043, "accuracy": 0.957}')
    w = make_window()
    w.resize(1024, 668)
    view = w.train
    view.command, view.models_dir = FAKE, tmp_path / "models"
    w.nav.setCurrentRow(w.views.index(view))
    ready(qtbot, view)

    def apart() -> None:
        plot, log = view.plot.geometry(), view.log.geometry()
        assert plot.bottom() < log.top() and log.bottom() <= view.height(), (plot, log, view.height())
        assert plot.height() >= 150

    qtbot.waitUntil(lambda: view.plot.isVisible())
    apart()
    view.recipe_combo.setCurrentIndex(view.recipe_combo.findData("mnist-contrastive"))
    click(qtbot, view.start_button)
    qtbot.waitUntil(lambda: not view.running and view.result.text() != "", timeout=15000)
    assert view.state.isVisible() and view.result.isVisible()
    qtbot.wait(50)
    apart()
