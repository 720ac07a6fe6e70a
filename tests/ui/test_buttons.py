"""Every button and menu entry of every view, pressed as a user presses it.

The real widget is clicked (``qtbot.mouseClick``) or the real menu action triggered, and the
real dialog it opens is answered by replacing the static QFileDialog / QInputDialog /
QMessageBox call. Calling the slots directly hid bugs before (``clicked(bool)`` reaching
``rename(new_name)``), so nothing here calls a slot by hand. The last test lists every button
and menu entry the window has and fails for one no test here presses.
"""

from __future__ import annotations

import re

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QApplication, QFileDialog, QInputDialog, QMenu, QMessageBox,
                               QWidget)

from conftest import SAMPLES, carded_model, draw, wait_idle, wait_model
from siamgui import Encoder
from siamgui.core import thresholds
from siamgui.core.gallery import Gallery

PRESSED: set[str] = set()  # texts of the buttons / actions pressed below (checked by the last test)


def plain(text: str) -> str:
    """The text without the mnemonic, numbers as N ("Back to 0.534" -> "Back to N")."""
    return re.sub(r"\d+(\.\d+)?", "N", text.replace("&", "")).strip()


def click(qtbot, button: QAbstractButton) -> None:
    """Press a button as a user does: it must be on screen and enabled."""
    assert button.isVisible(), f"{button.text()!r} is not visible"
    assert button.isEnabled(), f"{button.text()!r} is disabled"
    PRESSED.add(plain(button.text()))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def menu_action(window, *path: str):
    """The QAction at a menu path of the menu bar, e.g. ("File", "Open model…")."""
    actions = window.menuBar().actions()
    action = None
    for name in path:
        action = next((a for a in actions if plain(a.text()) == name), None)
        assert action is not None, f"no menu entry {name!r} in {[plain(a.text()) for a in actions]}"
        actions = action.menu().actions() if action.menu() else []
    return action


def trigger(window, *path: str) -> None:
    action = menu_action(window, *path)
    assert action.isEnabled()
    PRESSED.add(plain(action.text()))
    action.trigger()


def answer_file(monkeypatch, path, method="getOpenFileName"):
    asked = []

    def fake(*args, **kwargs):
        asked.append(args)
        if method == "getExistingDirectory":
            return str(path) if path else ""
        if method == "getOpenFileNames":
            return ([str(p) for p in path] if path else []), ""
        return (str(path) if path else ""), ""

    monkeypatch.setattr(QFileDialog, method, staticmethod(fake))
    return asked


def answer_text(monkeypatch, text, ok=True):
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (text, ok)))


def answer_yes(monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))


def no_warnings(monkeypatch) -> list[str]:
    seen = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: seen.append(a[2])))
    return seen


def show_view(window, view) -> None:
    window.nav.setCurrentRow(window.views.index(view))


@pytest.fixture
def glyphs(glyph_files):
    """Two drawn A's and a B (the suite's glyph_files)."""
    return glyph_files


# --- main window menus ----------------------------------------------------------------------
def test_file_menu_open_model_open_a_b_and_quit(glyph_window, qtbot, glyphs, tmp_path, monkeypatch):
    w = glyph_window
    other = carded_model(tmp_path / "other.onnx", {"kind": "glyph", "size": 32}, seed=3, name="other")
    answer_file(monkeypatch, other)
    trigger(w, "File", "Open model…")
    qtbot.waitUntil(lambda: w.encoder is not None and w.encoder.name == "other", timeout=10000)
    for side, key in (("A", "a1"), ("B", "a2")):
        answer_file(monkeypatch, glyphs[key])
        trigger(w, "File", f"Open file {side}…")
    qtbot.waitUntil(lambda: w.compare.verdict.distance is not None, timeout=10000)
    trigger(w, "File", "Quit")
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)


def test_settings_device_entries(glyph_window, qtbot):
    w = glyph_window
    for title, key in (("CPU", "cpu"), ("Auto", "auto"), ("CUDA", "cuda")):
        trigger(w, "Settings", "Device", title)
        assert w.settings.device == key and w.device_combo.currentData() == key
        wait_model(qtbot, w)
    assert w.encoder is not None  # CUDA without a GPU still runs (on the CPU, and says so)


def test_help_guide_and_about(glyph_window, qtbot, monkeypatch):
    w = glyph_window
    trigger(w, "Help", "Guide to the views")
    guide = w.guide
    assert guide.isVisible()
    text = guide.text.toPlainText().lower()
    for idea in ("shared weights", "distance", "threshold", "one-shot", "compare", "live", "gallery", "calibrate",
                 "few-shot", "k-shot curve", "train", "why?", "contrastive", "triplet", "quadruplet", "arcface",
                 "shipped models", "fruit", "colour histogram"):
        assert idea in text, idea
    click(qtbot, guide.close_button)
    assert not guide.isVisible()
    shown = []
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda parent, title, text: shown.append(text)))
    trigger(w, "Help", "About SiamGUI")
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)  # the cards are read off the UI thread first
    assert "SiamGUI" in shown[0]


def test_empty_state_open_model_button(make_window, qtbot, tmp_path, monkeypatch):
    w = make_window()
    model = carded_model(tmp_path / "g.onnx", {"kind": "glyph", "size": 32}, name="g")
    answer_file(monkeypatch, model)
    click(qtbot, w.empty.open_button)
    wait_model(qtbot, w)
    assert w.encoder is not None and w.content.currentWidget() is w.view_stack


def test_passing_messages_never_hide_the_provider(glyph_window, qtbot, monkeypatch):
    w = glyph_window
    answer_text(monkeypatch, "Ada")
    answer_file(monkeypatch, [SAMPLES / "glyph" / "same_a.png"], "getOpenFileNames")
    show_view(w, w.gallery_view)
    click(qtbot, w.gallery_view.enrol_btn)
    qtbot.waitUntil(lambda: "Enrolled" in w.flash_label.text(), timeout=10000)
    assert w.provider_label.isVisible() and "running on" in w.provider_label.text()
    assert w.statusBar().currentMessage() == ""


def test_a_passing_message_shows_a_name_as_typed_and_goes_with_its_model(glyph_window, qtbot, monkeypatch, tmp_path):
    """Screenshots: "Enrolled Zoë & Co <i>x</i>" drew an italic x in the status bar, and "Why? maps
    ready" stayed under the next model loaded."""
    w = glyph_window
    odd = "Zoë & Co <i>x</i>"
    answer_text(monkeypatch, odd)
    answer_file(monkeypatch, [SAMPLES / "glyph" / "same_a.png"], "getOpenFileNames")
    show_view(w, w.gallery_view)
    click(qtbot, w.gallery_view.enrol_btn)
    qtbot.waitUntil(lambda: "Enrolled" in w.flash_label.text(), timeout=10000)
    assert w.flash_label.text() == f"Enrolled {odd}" and w.flash_label.textFormat() == Qt.TextFormat.PlainText
    other = carded_model(tmp_path / "other.onnx", {"kind": "glyph", "size": 32}, seed=3, name="other")
    answer_file(monkeypatch, other)
    w.open_model_action.trigger()  # File > Open model…
    wait_model(qtbot, w)
    assert w.encoder.name == "other" and "Enrolled" not in w.flash_label.text()


# --- Compare --------------------------------------------------------------------------------
def test_compare_open_swap_clear_samples_and_reset(glyph_window, qtbot, glyphs, monkeypatch, tmp_path):
    w = glyph_window
    cv = w.compare
    for side, key in (("A", "a1"), ("B", "b1")):
        answer_file(monkeypatch, glyphs[key])
        click(qtbot, cv.panes[side].open_button)
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    click(qtbot, cv.swap_button)
    qtbot.waitUntil(lambda: cv.panes["A"].path == glyphs["b1"] and cv.verdict.distance is not None, timeout=10000)
    cv.verdict.spin.setValue(0.9)
    assert cv.verdict.reset_button.text() == f"Back to {w.encoder.threshold:.3f}"  # says where it goes
    click(qtbot, cv.verdict.reset_button)
    assert cv.verdict.threshold == pytest.approx(w.encoder.threshold, abs=1e-3)
    click(qtbot, cv.clear_button)
    assert cv.panes["A"].path is None and cv.panes["B"].path is None
    # the Samples button opens a menu; its entries load a pair
    folder = tmp_path / "samples" / "glyph"
    folder.mkdir(parents=True)
    for n, k in (("same_a.png", "a1"), ("same_b.png", "a2")):
        (folder / n).write_bytes(glyphs[k].read_bytes())
    cv.samples_root = tmp_path / "samples"
    cv._refresh_samples()
    assert cv.samples_button.isVisible()
    action = cv.samples_menu.actions()[0]
    PRESSED.add("Samples")
    action.trigger()
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)


def test_compare_play_button(audio_window, qtbot, tmp_path):
    from conftest import tone

    w = audio_window
    cv = w.compare
    cv.load_pair(tone(tmp_path / "a.wav"), tone(tmp_path / "b.wav", freqs=(300.0,)))
    qtbot.waitUntil(lambda: cv.panes["A"].play_button.isVisible(), timeout=10000)
    played = []
    cv.player.play = lambda samples, rate: played.append(rate) or 1
    click(qtbot, cv.panes["A"].play_button)
    assert played and cv.panes["A"].play_button.text().endswith("Stop")


def test_compare_why_button_shows_occlusion_maps_of_both_inputs(glyph_window, qtbot, glyphs):
    w = glyph_window
    cv = w.compare
    messages = []
    cv.status.connect(messages.append)
    click(qtbot, cv.why_button)  # nothing loaded yet: says what it needs, computes nothing
    assert cv.why_maps is None and "open A and B" in messages[-1]
    cv.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    click(qtbot, cv.why_button)
    qtbot.waitUntil(lambda: cv.why_maps is not None, timeout=10000)
    maps = cv.why_maps
    assert maps.distance == pytest.approx(cv.verdict.distance, abs=1e-5)
    for side in maps.sides:
        assert side.heat.shape == side.view.shape[:2] and abs(side.heat).max() > 0
    assert cv.why_dialog.isVisible() and not cv.why_picture.pixmap().isNull()
    assert "made the pair alike" in cv.why_caption.text() and cv.why_button.isEnabled()
    assert cv.why_caption.text().startswith("Each region of the 32x32 px picture the model sees was hidden in "
                                            "turn, one at a time (")


def test_compare_why_button_maps_time_and_frequency_for_audio(audio_window, qtbot, tmp_path):
    from conftest import tone

    cv = audio_window.compare
    cv.load_pair(tone(tmp_path / "a.wav"), tone(tmp_path / "b.wav", freqs=(300.0,)))
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    click(qtbot, cv.why_button)
    qtbot.waitUntil(lambda: cv.why_maps is not None, timeout=20000)
    side = cv.why_maps.sides[0]
    assert side.heat.shape == side.view.shape and side.heat.shape[0] == audio_window.encoder.modality.input_shape()[1]
    assert "log-mel" in side.what
    text = cv.why_caption.text()
    assert text.startswith("Each region of the log-mel spectrogram the model hears was hidden in turn")
    assert "Time runs to the right, pitch upwards. Red:" in text and "upwards was" not in text


def test_switching_model_reruns_fitting_files_and_clears_the_others(glyph_window, qtbot, glyphs, tmp_path):
    w = glyph_window
    cv = w.compare
    cv.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    first = cv.verdict.distance
    other = carded_model(tmp_path / "other.onnx", {"kind": "glyph", "size": 32}, seed=9, name="other")
    w.open_model_path(str(other))
    wait_model(qtbot, w)
    qtbot.waitUntil(lambda: cv.verdict.distance is not None and cv.verdict.distance != first, timeout=10000)
    assert not cv.panes["A"].message and cv.panes["A"].path == glyphs["a1"]  # re-run with the new model
    voice = carded_model(tmp_path / "voice.onnx", {"kind": "logmel"}, name="voicetest")
    w.open_model_path(str(voice))
    wait_model(qtbot, w)
    wait_idle(qtbot, w)
    for pane in cv.panes.values():  # an image cannot be judged by a voice model: cleared with a sentence
        assert pane.path is None and not pane.message
        assert pane.note_label.isVisible() and "voicetest model compares sound clips" in pane.note_label.text()


def test_the_region_outline_stays_on_the_photo(qtbot):
    """A face box reaching past the picture's edge is drawn cut at the edge, never beside it."""
    from PySide6.QtGui import QColor, QImage

    from siamgui.media.faces import Box
    from siamgui.ui.canvas import ACCENT, ImageCanvas

    canvas = ImageCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 300)
    photo = QImage(200, 200, QImage.Format.Format_RGB888)
    photo.fill(QColor("#808080"))
    view = QImage(64, 64, QImage.Format.Format_RGB888)
    view.fill(QColor("#000000"))
    canvas.set_content(photo, Box(120, -30, 140, 140), view)  # past the right and top edges
    grab = canvas.grab().toImage()
    target = canvas.image_rect()
    accent = [(x, y) for x in range(grab.width()) for y in range(0, grab.height(), 2)
              if abs(grab.pixelColor(x, y).blue() - ACCENT.blue()) < 30
              and abs(grab.pixelColor(x, y).red() - ACCENT.red()) < 30
              and abs(grab.pixelColor(x, y).green() - ACCENT.green()) < 30]
    outline = [(x, y) for x, y in accent if target.adjusted(-1, -1, 1, 1).contains(x, y)]
    assert outline, "the outline is drawn"
    inset = canvas._layout()[1]
    stray = [(x, y) for x, y in accent if not target.adjusted(-1, -1, 1, 1).contains(x, y)
             and not inset.adjusted(-6, -6, 6, 6).contains(x, y)]
    assert not stray, f"outline drawn outside the photo at {stray[:5]}"


def test_long_lines_end_in_an_ellipsis_at_960_wide(make_window, qtbot, tmp_path):
    from conftest import ROOT

    model = ROOT / "models" / "face.onnx"  # its card has a long description
    if not model.exists():
        pytest.skip("needs the shipped face model")
    w = make_window()
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    w.resize(960, 640)
    qtbot.wait(50)
    label = w.compare.model_label
    shown = label.elided_text()
    assert w.encoder.card.description in label.text() and shown != label.text() and shown.endswith("…")
    from html import escape

    assert escape(w.encoder.card.description) in label.toolTip()  # the whole line stays reachable (wrapped)
    assert w.compare.clear_button.geometry().right() <= w.compare.width()  # buttons are not pushed off
    tail = shown.rsplit("  ·  ", 1)[-1]  # at 1024 px the description showed as "dlib's …": a stub says nothing
    assert tail == "…" or len(tail) > 12, shown


# --- Gallery --------------------------------------------------------------------------------
@pytest.fixture
def gallery_window(glyph_window):
    show_view(glyph_window, glyph_window.gallery_view)
    return glyph_window


def enrol_by_click(qtbot, gv, monkeypatch, name, files):
    answer_text(monkeypatch, name)
    answer_file(monkeypatch, files, "getOpenFileNames")
    n = gv.people.count()
    click(qtbot, gv.enrol_btn)
    qtbot.waitUntil(lambda: gv.people.count() == n + 1, timeout=10000)


def test_gallery_every_button(gallery_window, qtbot, glyphs, tmp_path, monkeypatch):
    gv = gallery_window.gallery_view
    warnings = no_warnings(monkeypatch)
    assert gv.person_title.text() == "Nobody enrolled yet" and gv.empty_hint.isVisible()
    assert "0 people" in gv.footer.text()
    assert not gv.export_btn.isEnabled() and not gv.delete_all_btn.isEnabled()
    enrol_by_click(qtbot, gv, monkeypatch, "Alpha", [glyphs["a1"]])
    assert "1 person ·" in gv.footer.text() and "1 sample" in gv.people.item(0).text()
    assert not gv.empty_hint.isVisible()

    answer_file(monkeypatch, [glyphs["a2"]], "getOpenFileNames")
    click(qtbot, gv.add_btn)  # Add samples…
    qtbot.waitUntil(lambda: gv.samples.count() == 2, timeout=10000)

    answer_text(monkeypatch, "Ada")
    click(qtbot, gv.rename_btn)  # Rename…
    qtbot.waitUntil(lambda: "Ada" in gv.people.item(0).text(), timeout=10000)

    gv.samples.setCurrentRow(1)
    answer_yes(monkeypatch)  # Remove sample asks first
    click(qtbot, gv.remove_btn)  # Remove sample
    assert gv.samples.count() == 1

    answer_file(monkeypatch, glyphs["a1"])
    click(qtbot, gv.identify_btn)  # Identify a file…
    qtbot.waitUntil(lambda: gv.identify_verdict.isVisible(), timeout=10000)
    assert gv.identify_verdict.text() == "Ada"

    target = tmp_path / "export.zip"
    answer_file(monkeypatch, target, "getSaveFileName")
    click(qtbot, gv.export_btn)  # Export…
    qtbot.waitUntil(lambda: target.is_file(), timeout=10000)
    wait_idle(qtbot, gallery_window)
    answer_file(monkeypatch, target)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: (a[3][2], True)))  # skip
    click(qtbot, gv.import_btn)  # Import…
    qtbot.waitUntil(lambda: "skipped Ada" in gallery_window.flash_label.text(), timeout=10000)

    enrol_by_click(qtbot, gv, monkeypatch, "Beta", [glyphs["b1"]])
    assert "2 people" in gv.footer.text()
    answer_yes(monkeypatch)
    gv.people.setCurrentRow(0)
    click(qtbot, gv.delete_btn)  # Delete…
    assert gv.people.count() == 1
    click(qtbot, gv.delete_all_btn)  # Delete all…
    assert gv.people.count() == 0
    assert warnings == []


def test_gallery_dialogs_cancelled_change_nothing(gallery_window, qtbot, glyphs, monkeypatch):
    gv = gallery_window.gallery_view
    enrol_by_click(qtbot, gv, monkeypatch, "Alpha", [glyphs["a1"]])
    answer_text(monkeypatch, "", ok=False)
    click(qtbot, gv.rename_btn)
    answer_file(monkeypatch, [], "getOpenFileNames")
    click(qtbot, gv.add_btn)
    answer_file(monkeypatch, "", "getSaveFileName")
    click(qtbot, gv.export_btn)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    click(qtbot, gv.delete_btn)
    click(qtbot, gv.delete_all_btn)
    wait_idle(qtbot, gallery_window)
    assert gv.people.count() == 1 and "Alpha" in gv.people.item(0).text() and gv.samples.count() == 1


def test_gallery_reembed_button_after_a_model_switch(gallery_window, qtbot, glyphs, tmp_path, monkeypatch):
    w = gallery_window
    gv = w.gallery_view
    enrol_by_click(qtbot, gv, monkeypatch, "Alpha", [glyphs["a1"]])
    w.open_model_path(str(carded_model(tmp_path / "o.onnx", {"kind": "glyph", "size": 32}, seed=4, name="o")))
    wait_model(qtbot, w)
    click(qtbot, gv.reembed_btn)  # Re-embed now
    qtbot.waitUntil(lambda: not gv.reembed_btn.isVisible(), timeout=10000)


def test_a_voice_enrolled_person_is_not_listed_under_an_image_model(qtbot, tmp_path, glyph_model, glyphs):
    from conftest import tone
    from siamgui.tasks.enrolment import enrol_files
    from siamgui.ui.gallery_view import GalleryView
    from siamgui.ui.live_view import LiveView

    gallery = Gallery(tmp_path / "g.db")
    voice = Encoder.load(carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, name="v"))
    enrol_files(gallery, voice, "Speaker", [tone(tmp_path / "s.wav")])
    glyph = Encoder.load(glyph_model)
    enrol_files(gallery, glyph, "Writer", [glyphs["a1"]])
    enrol_files(gallery, voice, "Writer", [tone(tmp_path / "w.wav", freqs=(300.0,))])  # a voice sample too
    view = GalleryView(gallery_factory=lambda: gallery)
    qtbot.addWidget(view)
    view.set_encoder(glyph)
    assert [view.people.item(i).text() for i in range(view.people.count())] == ["Writer   ·   1 sample"]
    assert "(and 1 person with no glyph samples, not listed for this model)" in view.footer.text()
    assert view.samples.count() == 1  # the voice sample is not shown under the glyph model
    view.set_encoder(voice)
    assert [view.people.item(i).text().split("   ")[0] for i in range(view.people.count())] == ["Speaker", "Writer"]
    live = LiveView(gallery_factory=lambda: gallery)
    qtbot.addWidget(live)

    def listed():  # read from the gallery on a job, so it arrives a moment later
        return [live.ref_person.itemText(i) for i in range(live.ref_person.count())]

    live.set_encoder(voice)
    qtbot.waitUntil(lambda: listed() == ["Speaker (1)", "Writer (1)"], timeout=5000)
    live.set_encoder(glyph)
    assert "Speaker (1)" not in listed()  # never the previous model's list, even for a moment
    qtbot.waitUntil(lambda: listed() == ["Writer (1)"], timeout=5000)


# --- Calibrate ------------------------------------------------------------------------------
@pytest.fixture
def calibrate_window(glyph_window):
    show_view(glyph_window, glyph_window.calibrate)
    return glyph_window


def test_calibrate_every_button(calibrate_window, qtbot, tmp_path, monkeypatch):
    from test_calibrate_view import make_classes

    w = calibrate_window
    cv = w.calibrate
    enc = w.encoder
    assert not cv.threshold_spin.isEnabled() and cv.threshold_spin.text() == "—"  # not 0.000 before a run
    assert not cv.use_button.isEnabled()
    classes = make_classes(tmp_path / "classes")
    answer_file(monkeypatch, classes, "getExistingDirectory")
    click(qtbot, cv.folder_button)  # Folder of classes…
    qtbot.waitUntil(lambda: cv.result is not None and not cv.running, timeout=20000)
    assert cv.threshold_spin.isEnabled() and cv.threshold_spin.value() == pytest.approx(enc.threshold, abs=1e-3)

    click(qtbot, cv.eer_button)  # Equal error
    assert cv.threshold == pytest.approx(cv.result.eer_threshold, abs=1e-6)
    click(qtbot, cv.default_button)  # Model card's value
    assert cv.threshold == pytest.approx(enc.default_threshold, abs=1e-6)
    cv.threshold_spin.setValue(0.3)
    click(qtbot, cv.use_button)  # Use this threshold
    assert thresholds.get(enc.model_hash) == pytest.approx(0.3, abs=1e-3)
    assert "0.300" in w.flash_label.text()
    click(qtbot, cv.forget_button)  # Forget my threshold
    assert thresholds.get(enc.model_hash) is None

    click(qtbot, cv.run_button)  # Run again
    assert cv.running
    click(qtbot, cv.cancel_button)  # Cancel
    assert not cv.running and cv.result is not None  # the last good result stays

    cv.tabs.setCurrentIndex(1)
    click(qtbot, cv.map_folder_button)  # Map the calibration data
    assert "classes" in cv.map_source.text()
    click(qtbot, cv.map_gallery_button)  # Map the gallery
    qtbot.waitUntil(lambda: "gallery" in cv.map_source.text().lower() and "Embedding" not in cv.map_source.text(),
                    timeout=10000)

    csv = tmp_path / "pairs.csv"
    rows = ["a,b,label"] + [f"classes/A/{i}.png,classes/A/{i + 1}.png,1" for i in range(3)] + \
        [f"classes/A/{i}.png,classes/B/{i}.png,0" for i in range(3)]
    csv.write_text("\n".join(rows) + "\n")
    cv.tabs.setCurrentIndex(0)
    answer_file(monkeypatch, csv)
    click(qtbot, cv.csv_button)  # Pairs CSV…
    qtbot.waitUntil(lambda: not cv.running and cv.result is not None and cv.result.kind != "folder", timeout=20000)


def test_calibrate_failed_run_keeps_the_last_result_and_a_new_run_clears_the_error(calibrate_window, qtbot, tmp_path,
                                                                                   monkeypatch):
    from test_calibrate_view import make_classes

    cv = calibrate_window.calibrate
    good = make_classes(tmp_path / "good")
    answer_file(monkeypatch, good, "getExistingDirectory")
    click(qtbot, cv.folder_button)
    qtbot.waitUntil(lambda: cv.result is not None and not cv.running, timeout=20000)
    kept = cv.result
    answer_file(monkeypatch, make_classes(tmp_path / "one", letters="A"), "getExistingDirectory")
    click(qtbot, cv.folder_button)
    qtbot.waitUntil(lambda: not cv.running and cv.error_label.isVisible(), timeout=20000)
    assert cv.result is kept and "at least two" in cv.error_label.text() and "good" in cv.error_label.text()
    assert cv.use_button.isEnabled()  # the kept result can still be used
    answer_file(monkeypatch, good, "getExistingDirectory")
    click(qtbot, cv.folder_button)
    assert not cv.error_label.isVisible()  # gone as soon as the new run starts
    qtbot.waitUntil(lambda: not cv.running, timeout=20000)


def test_calibrate_model_switch_after_cancel_shows_no_old_threshold(make_window, qtbot, tmp_path, monkeypatch):
    from test_calibrate_view import make_classes

    w = make_window()
    a = carded_model(tmp_path / "a.onnx", {"kind": "glyph", "size": 32}, threshold=0.7, name="a")
    b = carded_model(tmp_path / "b.onnx", {"kind": "glyph", "size": 32}, threshold=0.2, seed=2, name="b")
    w.open_model_path(str(a))
    wait_model(qtbot, w)
    show_view(w, w.calibrate)
    cv = w.calibrate
    answer_file(monkeypatch, make_classes(tmp_path / "c"), "getExistingDirectory")
    click(qtbot, cv.folder_button)
    qtbot.waitUntil(lambda: cv.result is not None and not cv.running, timeout=20000)
    click(qtbot, cv.run_button)
    click(qtbot, cv.cancel_button)
    w.open_model_path(str(b))
    wait_model(qtbot, w)
    assert cv.result is None and cv.threshold_spin.text() == "—" and not cv.threshold_spin.isEnabled()
    assert "0.200 (card)" in cv.stored_label.text()


def test_calibrate_button_names_say_what_they_do(calibrate_window):
    cv = calibrate_window.calibrate
    assert cv.default_button.text() != cv.forget_button.text()
    assert "card" in cv.default_button.text().lower() and "forget" in cv.forget_button.text().lower()


def test_disabled_primary_buttons_look_disabled(calibrate_window):
    cv = calibrate_window.calibrate
    assert not cv.use_button.isEnabled() and cv.folder_button.isEnabled()
    off = cv.use_button.grab().toImage()
    on = cv.folder_button.grab().toImage()

    def centre(img):
        c = img.pixelColor(img.width() // 2, 3)
        return c.red(), c.green(), c.blue()

    r, g, b = centre(off)
    assert max(r, g, b) - min(r, g, b) < 25, "a disabled primary button is grey, not the accent colour"
    r, g, b = centre(on)
    assert b - r > 60, "an enabled primary button keeps the accent colour"


def test_calibrate_cut_recordings_checkbox(audio_window, qtbot):
    cv = audio_window.calibrate
    show_view(audio_window, cv)
    assert cv.segment_check.isChecked() and cv.segment_spin.isEnabled()
    click(qtbot, cv.segment_check)  # cut recordings into
    assert not cv.segment_check.isChecked() and not cv.segment_spin.isEnabled()
    click(qtbot, cv.segment_check)
    assert cv.segment_spin.isEnabled()


# --- Live -----------------------------------------------------------------------------------
@pytest.fixture
def face_encoder(tmp_path):
    from conftest import ROOT

    path = ROOT / "models" / "face.onnx"
    if not path.exists():
        path = carded_model(tmp_path / "facetest.onnx", {"kind": "face", "size": 64}, threshold=0.2)
    return Encoder.load(path, device="cpu")


@pytest.fixture
def live(qtbot, tmp_path, face_encoder, request):
    from siamgui.ui.app import create_app
    from siamgui.ui.live_view import LiveView

    create_app()
    gallery = Gallery(tmp_path / "live.db")
    view = LiveView(gallery_factory=lambda: gallery)
    qtbot.addWidget(view)
    view.resize(1000, 640)
    view.show()
    request.addfinalizer(view.stop)
    view.set_encoder(face_encoder)
    view.gallery = gallery
    return view


def test_live_every_button(live, qtbot, tmp_path, monkeypatch):
    from test_live_view import portrait_video

    video = portrait_video(tmp_path / "cam.avi", frames=60)
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: pytest.fail(a[2])))
    click(qtbot, live.refresh_btn)  # Refresh
    file_row = live.device_combo.findData("__file__")
    assert file_row >= 0
    live.device_combo.setCurrentIndex(file_row)
    asked = answer_file(monkeypatch, video)
    click(qtbot, live.start_btn)  # Start, with a file standing in for the camera
    assert len(asked) == 1 and live.loop is not None
    assert live.device_combo.currentData() == str(video) and "cam.avi" in live.device_combo.currentText()
    qtbot.waitUntil(lambda: live.last_face is not None and live.last_face.embedding is not None, timeout=15000)

    answer_file(monkeypatch, SAMPLES / "face" / "same_a.jpg")
    click(qtbot, live.ref_file_btn)  # From file…
    qtbot.waitUntil(lambda: live.reference is not None, timeout=10000)
    click(qtbot, live.ref_capture_btn)  # Use live face
    assert live.reference_name.startswith("live capture")
    qtbot.waitUntil(lambda: live.why_btn.isEnabled(), timeout=10000)
    click(qtbot, live.why_btn)  # Why? (the live frame against the captured reference)
    qtbot.waitUntil(lambda: live.why_maps is not None, timeout=20000)
    assert live.why_caption.isVisible() and live.why_btn.text() == "Back to live"
    click(qtbot, live.why_btn)  # Back to live
    assert live.why_maps is None and not live.why_caption.isVisible() and live.why_btn.text() == "Why?"
    answer_text(monkeypatch, "Grace")
    click(qtbot, live.enrol_btn)  # Enrol live sample…
    qtbot.waitUntil(lambda: live.ref_person.count() == 1, timeout=10000)
    assert [p.name for p in live.gallery.people()] == ["Grace"]
    stored = live.gallery.samples()[0]  # the frame, encoded as PNG off the UI thread
    assert (stored.suffix, stored.source, stored.media[:4]) == (".png", "camera", b"\x89PNG")

    click(qtbot, live.start_btn)  # Stop
    assert live.loop is None and live.start_btn.text() == "Start"
    click(qtbot, live.start_btn)  # Start again: the file is remembered, not asked for again
    assert len(asked) == 1 and live.loop is not None
    click(qtbot, live.start_btn)


def test_live_draws_its_verdict_with_the_compare_panel_and_its_threshold_rejudges(live, qtbot):
    from siamgui.core.compare import Verdict
    from siamgui.ui.verdict import VerdictPanel

    assert isinstance(live.verdict, VerdictPanel) and live.verdict.compact
    assert not live.findChildren(QWidget, "distanceValue")[1:], "one distance display, the panel's"
    card_t = live.encoder.threshold
    live._show_verdict(Verdict(card_t - 0.01, card_t), "utterance")
    assert live.verdict.state == "same" and "utterance" in live.verdict.margin_label.text()
    live.verdict.spin.setValue(card_t - 0.02)  # the user moves the threshold: re-judged, model not re-run
    assert live.verdict.state == "different" and live.threshold == pytest.approx(card_t - 0.02, abs=1e-3)
    live.verdict.set_identity("Grace", card_t - 0.01)
    assert live.verdict.state == "different" and "UNKNOWN" in live.verdict.verdict_label.text()
    click(qtbot, live.verdict.reset_button)  # Back to N (the card's threshold)
    assert live.threshold == pytest.approx(card_t, abs=1e-3)
    assert live.verdict.state == "same" and "Grace" in live.verdict.verdict_label.text()


def test_live_identify_mode_hides_the_reference_panel(live, qtbot):
    assert live.ref_box.isVisible() and live.enrol_btn.isVisible()
    live.mode_combo.setCurrentIndex(1)
    assert not live.ref_box.isVisible() and live.enrol_btn.isVisible()
    live.mode_combo.setCurrentIndex(0)
    assert live.ref_box.isVisible()


def test_live_switching_model_clears_what_the_old_one_showed(live, qtbot, tmp_path):
    from PySide6.QtGui import QPixmap

    live.live_thumb.setPixmap(QPixmap(10, 10))  # as a spectrogram or face crop left it
    live.last_clip = object()
    audio = Encoder.load(carded_model(tmp_path / "a.onnx", {"kind": "logmel"}, name="a"))
    live.set_encoder(audio)
    assert live.live_thumb.pixmap() is None or live.live_thumb.pixmap().isNull()
    assert live.last_clip is None and live.preview.image is None


def test_live_microphone_names_do_not_say_default_twice(live, qtbot, tmp_path, monkeypatch):
    import siamgui.ui.live_view as lv
    from siamgui.media.microphone import MicInfo

    mics = [MicInfo(0, "default", 48000.0, True), MicInfo(1, "USB mic", 48000.0, False)]
    monkeypatch.setattr(lv, "list_microphones", lambda: mics)
    live.set_encoder(Encoder.load(carded_model(tmp_path / "a.onnx", {"kind": "logmel"}, name="a")))
    texts = [live.device_combo.itemText(i) for i in range(live.device_combo.count())]
    assert texts[:2] == ["default", "USB mic"] and not any("(default)" in t for t in texts)


def test_live_side_panel_never_overlaps_at_a_small_window(live, qtbot):
    live.resize(860, 520)
    qtbot.wait(50)
    for thumb, cap in zip((live.ref_thumb, live.live_thumb), live.thumb_captions):
        assert cap.geometry().top() >= thumb.geometry().bottom(), "caption drawn over its box"


# --- Few-shot -------------------------------------------------------------------------------
@pytest.fixture
def fewshot_window(make_window, qtbot):
    from conftest import ROOT

    w = make_window()
    w.open_model_path(str(ROOT / "models" / "glyph.onnx"))  # a trained model: the letters are told apart
    wait_model(qtbot, w)
    show_view(w, w.fewshot)
    return w


def test_fewshot_every_button(fewshot_window, qtbot, tmp_path, monkeypatch):
    from tasks.test_fewshot import letters

    w = fewshot_window
    fv = w.fewshot
    assert not fv.query_folder_button.isEnabled() and not fv.curve_button.isEnabled()  # no support yet
    answer_file(monkeypatch, letters(tmp_path / "support", 3), "getExistingDirectory")
    click(qtbot, fv.support_button)  # Support folder…
    qtbot.waitUntil(lambda: fv.support is not None and not fv.busy, timeout=20000)
    assert fv.support.classes == ["A", "L", "O"] and fv.support_label.text().startswith("3 classes × 3 examples (9)")

    answer_file(monkeypatch, letters(tmp_path / "queries", 2, seed0=60), "getExistingDirectory")
    click(qtbot, fv.query_folder_button)  # Classify folder…
    qtbot.waitUntil(lambda: fv.result is not None and not fv.busy, timeout=20000)
    assert fv.result.accuracy == 1.0 and fv.summary_label.text().startswith("Accuracy 100.0%")
    assert fv.matrix.matrix.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 2]] and fv.predictions.count() == 6
    fv.predictions.setCurrentRow(0)  # a query's nearest support examples, thumbnails and distances
    qtbot.waitUntil(lambda: fv.near_captions[0].text().startswith("A "), timeout=10000)
    assert fv.query_thumb.pixmap() is not None and not fv.query_thumb.pixmap().isNull()

    click(qtbot, fv.curve_button)  # k-shot curve
    qtbot.waitUntil(lambda: fv.curve is not None and not fv.busy, timeout=20000)
    assert fv.curve[0] == 3 and [p.k for p in fv.curve[1]] == [1, 2] and fv.chart.points

    one = tmp_path / "one.png"
    cv2.imwrite(str(one), 255 - draw("L", 4321))  # white on black
    answer_file(monkeypatch, [one], "getOpenFileNames")
    click(qtbot, fv.query_files_button)  # Classify files…
    qtbot.waitUntil(lambda: fv.result is not None and not fv.result.labelled and not fv.busy, timeout=20000)
    assert fv.result.predictions[0].predicted == "L" and "1 file(s) classified" in fv.summary_label.text()

    extra = letters(tmp_path / "extra", 2, chars=("T",))
    answer_file(monkeypatch, sorted((extra / "T").glob("*.png")), "getOpenFileNames")
    answer_text(monkeypatch, "T")
    click(qtbot, fv.add_button)  # Add examples…
    qtbot.waitUntil(lambda: fv.support is not None and "T" in fv.support.classes and not fv.busy, timeout=20000)
    assert fv.support.counts["T"] == 2 and "4 classes" in fv.support_label.text()

    answer_file(monkeypatch, letters(tmp_path / "big", 30), "getExistingDirectory")
    click(qtbot, fv.query_folder_button)
    assert fv.busy and fv.cancel_button.isVisible()
    click(qtbot, fv.cancel_button)  # Cancel
    assert not fv.busy and not fv.cancel_button.isVisible()
    wait_idle(qtbot, w)
    assert fv.result is None or not fv.result.labelled or fv.result.confusion.sum() != 90  # the cancelled run is not shown

    click(qtbot, fv.clear_button)  # Clear support
    assert fv.support is None and not fv.by_class and not fv.query_folder_button.isEnabled()


def test_fewshot_bad_support_is_one_sentence_in_the_view(fewshot_window, qtbot, tmp_path, monkeypatch):
    from tasks.test_fewshot import letters

    fv = fewshot_window.fewshot
    answer_file(monkeypatch, letters(tmp_path / "one", 2, chars=("A",)), "getExistingDirectory")
    click(qtbot, fv.support_button)
    qtbot.waitUntil(lambda: fv.error_label.isVisible() and not fv.busy, timeout=20000)
    assert "only one class" in fv.error_label.text() and "Unexpected" not in fv.error_label.text()


# --- drawing pads ---------------------------------------------------------------------------
THREE = [(0.25, 0.2), (0.45, 0.1), (0.65, 0.15), (0.7, 0.3), (0.55, 0.45), (0.4, 0.5), (0.6, 0.55), (0.72, 0.72),
         (0.6, 0.88), (0.4, 0.9), (0.25, 0.82)]
SEVEN = [(0.2, 0.12), (0.8, 0.1), (0.6, 0.5), (0.45, 0.92)]


def draw_stroke(qtbot, pad, points) -> None:
    """Drag the mouse through points given in pad units, as a user draws."""
    from PySide6.QtCore import QPoint

    sq = pad._square()

    def at(x, y):
        return QPoint(int(sq.left() + x * sq.width()), int(sq.top() + y * sq.height()))

    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=at(*points[0]))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in (0.5, 1.0):  # a few points per segment, as a real drag gives
            qtbot.mouseMove(pad, at(x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=at(*points[-1]))


@pytest.fixture
def digit_window(make_window, qtbot):
    from conftest import ROOT

    w = make_window()
    w.resize(1200, 800)
    w.open_model_path(str(ROOT / "models" / "digit.onnx"))
    wait_model(qtbot, w)
    return w


def test_compare_draw_b_undo_and_clear(digit_window, qtbot, monkeypatch):
    w = digit_window
    cv = w.compare
    answer_file(monkeypatch, SAMPLES / "digit" / "same_a.png")  # a 3, white on black
    click(qtbot, cv.panes["A"].open_button)
    qtbot.waitUntil(lambda: cv.panes["A"].embedding is not None, timeout=10000)
    assert cv.draw_button.isVisible()
    click(qtbot, cv.draw_button)  # Draw B
    assert cv.drawpad.isVisible() and not cv.panes["B"].isVisible() and cv.verdict.distance is None
    pad = cv.drawpad.pad
    draw_stroke(qtbot, pad, THREE)
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    same = cv.verdict.distance
    assert same <= w.encoder.threshold, "a drawn 3 is the same digit as the sample 3"
    assert cv.drawpad.seen.pixmap() is not None and not cv.drawpad.seen.pixmap().isNull()  # what the model saw
    click(qtbot, cv.drawpad.undo_button)  # Undo stroke
    qtbot.waitUntil(lambda: cv.verdict.distance is None, timeout=10000)
    draw_stroke(qtbot, pad, SEVEN)
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    assert cv.verdict.distance > w.encoder.threshold, "a drawn 7 is another digit"
    click(qtbot, cv.drawpad.clear_button)  # Clear drawing
    assert pad.empty
    qtbot.waitUntil(lambda: cv.verdict.distance is None, timeout=10000)
    click(qtbot, cv.draw_button)  # back to two files
    assert cv.panes["B"].isVisible() and not cv.drawpad.isVisible()


def test_fewshot_draw_a_query(digit_window, qtbot, tmp_path, monkeypatch):
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "resources" / "samples" / "make_samples.py")
    make_samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_samples)  # digits drawn as pen strokes, as the shipped samples are
    draw_digit = make_samples.draw_digit
    w = digit_window
    show_view(w, w.fewshot)
    fv = w.fewshot
    root = tmp_path / "support"
    for d in ("3", "7"):
        (root / d).mkdir(parents=True)
        for i in range(3):
            cv2.imwrite(str(root / d / f"{i}.png"), draw_digit(d, 10 * i + int(d), white_on_black=bool(i % 2)))
    answer_file(monkeypatch, root, "getExistingDirectory")
    click(qtbot, fv.support_button)
    qtbot.waitUntil(lambda: fv.support is not None and not fv.busy, timeout=20000)
    click(qtbot, fv.draw_button)  # Draw a query
    assert fv.drawpad.isVisible() and not fv.matrix.isVisible()
    draw_stroke(qtbot, fv.drawpad.pad, SEVEN)
    qtbot.waitUntil(lambda: fv.drawn_prediction is not None, timeout=10000)
    assert fv.drawn_prediction == "7" and "Your drawing → 7" in fv.drawpad.caption.text()
    assert fv.near_captions[0].text().startswith("7 ")
    answer_text(monkeypatch, "7")
    click(qtbot, fv.add_drawing_button)  # Add drawing to a class…
    qtbot.waitUntil(lambda: fv.support.counts.get("7") == 4 and not fv.busy, timeout=20000)
    from siamgui.ui.fewshot_view import drawings_dir

    saved = list((drawings_dir() / "7").glob("drawing-*.png"))
    assert len(saved) == 1 and saved[0] in fv.support.files and fv.drawpad.pad.empty
    assert str(drawings_dir()).startswith(str(tmp_path.parent.parent))  # the test's data folder, not the user's
    click(qtbot, fv.draw_button)
    assert fv.matrix.isVisible() and not fv.drawpad.isVisible()


# --- every control is covered -----------------------------------------------------------------
def test_every_button_and_menu_entry_is_pressed_by_a_test(glyph_window, audio_window, qtbot):
    """New buttons must come with a test above that presses them."""
    covered = {
        # menus
        "Open model…", "Open file A…", "Open file B…", "Quit", "CPU", "Auto", "CUDA", "Guide to the views",
        "About SiamGUI",
        # Compare
        # ("Use last utterance" is the "Use live face" button under a voice model)
        "Open…", "Swap", "Clear", "Samples", "▶  Play", "Back to N", "Why?",
        # (test_compare_view.py presses these: the Why? maps saved, one file against a folder)
        "Save PNG…", "Against a folder…", "Open as B", "Close",
        # Gallery
        "Enrol…", "Rename…", "Delete…", "Export…", "Import…", "Delete all…", "Add samples…", "Remove sample",
        "Identify a file…", "Re-embed now",
        # Live
        "Refresh", "Start", "From file…", "Use live face", "Use last utterance", "Enrol live sample…",
        "Back to live",
        # ("Why?" as in Compare; tests/ui/test_live_why.py presses it for a voice model too)
        # Calibrate
        "Folder of classes…", "Pairs CSV…", "Run again", "Cancel", "Equal error", "Model card's value",
        "Use this threshold", "Forget my threshold", "Map the gallery", "Map the calibration data",
        "cut recordings into",
        # (test_calibrate_view.py presses these)
        "Save plots…", "Save rates…",
        # Few-shot ("Cancel" as in Calibrate)
        "Support folder…", "Add examples…", "Clear support", "Classify folder…", "Classify files…", "k-shot curve",
        "Draw a query", "Add drawing to a class…",
        # (test_fewshot_view.py presses these)
        "Save predictions…", "Save matrix…",
        # drawing pads (Compare, Few-shot)
        "Draw B", "Undo stroke", "Clear drawing",
        # Train (tests/ui/test_train_view.py presses Start, Cancel, Resume, Folder of classes… and Remove…)
        "Resume", "Remove a trained model…",
    }
    found = set()
    for w in (glyph_window, audio_window):
        for b in w.findChildren(QAbstractButton):
            if plain(b.text()):
                found.add(plain(b.text()))
        for menu in w.menuBar().findChildren(QMenu):
            for a in menu.actions():
                if not a.isSeparator() and not a.menu() and plain(a.text()):
                    found.add(plain(a.text()))
    missing = sorted(found - covered)
    assert not missing, f"no test presses: {missing}"


def test_the_pressed_set_matches(qtbot):
    """Run with the whole file: what the tests above pressed includes the main ones."""
    if len(PRESSED) < 10:
        pytest.skip("run with the tests above (-k selected only this one)")
    for name in ("Rename…", "Add samples…", "Export…", "Use this threshold", "Start", "Guide to the views"):
        assert name in PRESSED
