"""The main window and the Compare view, driven through their widgets with test-built models."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from conftest import carded_model, draw, held_back, tone, wait_idle, wait_model
from siamgui.core.encoder import Encoder
from siamgui.ui import resources
from siamgui.ui.main_window import NO_MODELS, OPEN_MODEL
from siamgui.ui.verdict import SCALE_MAX, STEPS


@pytest.fixture
def glyphs(tmp_path) -> dict[str, Path]:
    out = {}
    for name, char, seed in (("a1", "A", 1), ("a2", "A", 2), ("b1", "B", 3), ("o1", "O", 4)):
        p = tmp_path / f"{name}.png"
        cv2.imwrite(str(p), draw(char, seed))
        out[name] = p
    return out


def corrupt_png(path: Path) -> Path:
    ok, buf = cv2.imencode(".png", draw("A", 1))
    path.write_bytes(buf.tobytes()[:60])  # a truncated PNG
    return path


def loaded(qtbot, view, timeout=10000):
    """Wait until neither pane is working."""
    qtbot.waitUntil(lambda: all(p.busy.isHidden() for p in view.panes.values()), timeout=timeout)


# --- the verdict -------------------------------------------------------------------------------
def test_pair_gives_distance_and_verdict_and_threshold_rejudges_without_the_model(glyph_window, qtbot, glyphs):
    w = glyph_window
    view = w.compare
    view.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)

    expected = Encoder.load(w.encoder.path, device="cpu").compare(glyphs["a1"], glyphs["b1"]).distance
    panel = view.verdict
    assert panel.distance == pytest.approx(expected, abs=1e-6)
    assert panel.distance_label.text() == f"{expected:.3f}"
    assert panel.threshold == pytest.approx(0.05)
    assert expected > 0.05  # untrained projection: A and B are far apart at this threshold
    assert "DIFFERENT" in panel.verdict_label.text()
    assert panel.verdict_label.property("verdict") == "different"
    assert "above the threshold" in panel.margin_label.text()
    assert f"{expected - 0.05:.3f}" in panel.margin_label.text()

    # move the slider above the distance: the verdict flips with no inference at all
    calls = []
    original = w.encoder.embed_prepared
    w.encoder.embed_prepared = lambda *a, **k: calls.append(1) or original(*a, **k)
    runs = view.runs
    panel.slider.setValue(min(STEPS, round((expected + 0.02) / SCALE_MAX * STEPS)))
    assert "SAME" in panel.verdict_label.text() and "DIFFERENT" not in panel.verdict_label.text()
    assert panel.verdict_label.property("verdict") == "same"
    assert "below the threshold" in panel.margin_label.text()
    assert panel.spin.value() == pytest.approx(expected + 0.02, abs=1e-3)
    assert panel.distance_label.text() == f"{expected:.3f}"  # unchanged
    panel.slider.setValue(round((expected - 0.02) / SCALE_MAX * STEPS))
    assert "DIFFERENT" in panel.verdict_label.text()
    # the spin box drives the same judgement
    panel.spin.setValue(expected + 0.1)
    assert "SAME" in panel.verdict_label.text()
    assert panel.slider.value() == round((expected + 0.1) / SCALE_MAX * STEPS)
    # and back to the card's threshold
    assert panel.reset_button.isEnabled()
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert panel.threshold == pytest.approx(0.05)
    assert "DIFFERENT" in panel.verdict_label.text()
    assert not panel.reset_button.isEnabled()
    qtbot.wait(50)
    assert calls == [] and view.runs == runs and w.jobs.in_flight == 0


def test_same_image_twice_is_same_with_zero_distance(glyph_window, qtbot, glyphs):
    view = glyph_window.compare
    view.load_pair(glyphs["o1"], glyphs["o1"])
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    assert view.verdict.distance == pytest.approx(0.0, abs=1e-5)
    assert "SAME" in view.verdict.verdict_label.text()
    assert "same character" in view.verdict.words_label.text()
    # the pane shows the picture and the 32x32 crop the glyph encoder saw
    pane = view.panes["A"]
    assert pane.canvas.image is not None and pane.canvas.view is not None
    assert (pane.canvas.view.width(), pane.canvas.view.height()) == (32, 32)
    assert "input\u00a032×32" in pane.info_label.text()  # a no-break space: never split over two lines


def test_image_region_is_outlined_for_image_models(make_window, qtbot, tmp_path):
    model = carded_model(tmp_path / "imgtest.onnx", {"kind": "image", "size": 32, "channels": 3}, name="imgtest")
    w = make_window()
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    img = np.zeros((90, 120, 3), np.uint8)
    cv2.circle(img, (60, 45), 30, (0, 200, 255), -1)
    p = tmp_path / "colour.jpg"
    cv2.imwrite(str(p), img)
    w.compare.load("A", p)
    loaded(qtbot, w.compare)
    pane = w.compare.panes["A"]
    assert pane.message == ""
    assert pane.canvas.region is not None and pane.canvas.region.w == 120
    assert pane.canvas.region_rect() is not None


# --- bad input ---------------------------------------------------------------------------------
def test_corrupt_image_gives_a_message_and_the_other_pane_keeps_working(glyph_window, qtbot, glyphs, tmp_path):
    view = glyph_window.compare
    view.load_pair(corrupt_png(tmp_path / "broken.png"), glyphs["a1"])
    loaded(qtbot, view)
    a, b = view.panes["A"], view.panes["B"]
    assert "broken.png" in a.message and "not a readable image" in a.message
    assert a.property("state") == "error"
    assert b.message == "" and b.embedding is not None and b.canvas.image is not None
    assert view.verdict.distance is None and "No verdict" in view.verdict.verdict_label.text()
    # a good file in A: a verdict again, the error is gone
    view.load("A", glyphs["a2"])
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    assert a.message == "" and a.property("state") == "ok"


def test_missing_file_blank_drawing_and_wrong_modality(glyph_window, qtbot, glyphs, tmp_path):
    view = glyph_window.compare
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    view.load_pair(tmp_path / "nowhere.png", blank)
    loaded(qtbot, view)
    assert "not found" in view.panes["A"].message
    assert "blank" in view.panes["B"].message.lower()
    assert view.panes["B"].canvas.image is not None  # the picture is still shown beside the message
    view.load("A", tone(tmp_path / "tone.wav"))
    loaded(qtbot, view)
    assert "takes images, not audio" in view.panes["A"].message


def test_silent_clip_gives_a_message_and_the_other_pane_keeps_working(audio_window, qtbot, tmp_path):
    view = audio_window.compare
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(16000, np.float32), 16000)
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros(0, np.float32), 16000)
    view.load_pair(silent, tone(tmp_path / "voice.wav"))
    loaded(qtbot, view)
    a, b = view.panes["A"], view.panes["B"]
    assert "silent" in a.message.lower()
    assert a.wave.wave is not None  # the flat waveform is still drawn
    assert b.message == "" and b.embedding is not None
    assert b.spectrogram.image is not None and b.spectrogram.image.height() == 64
    assert "2.00 s" in b.info_label.text()
    view.load("A", empty)
    loaded(qtbot, view)
    assert "empty" in a.message.lower() or "zero length" in a.message.lower()
    view.load("A", tone(tmp_path / "other.wav", freqs=(300.0, 900.0)))
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    assert "speaker" in view.verdict.words_label.text()


def test_unexpected_exception_becomes_a_message(glyph_window, qtbot, glyphs, monkeypatch):
    import siamgui.ui.compare_view as cv

    def boom(encoder, path):
        raise RuntimeError("boom")

    monkeypatch.setattr(cv, "analyse", boom)
    view = glyph_window.compare
    view.load("A", glyphs["a1"])
    loaded(qtbot, view)
    assert view.panes["A"].message.endswith("Unexpected error (RuntimeError: boom)")


def test_latest_input_wins_over_a_slow_older_one(glyph_window, qtbot, glyphs, monkeypatch):
    import siamgui.ui.compare_view as cv

    slow_for_a1, release, _ = held_back(cv.analyse, lambda encoder, path: Path(path).name == "a1.png")
    monkeypatch.setattr(cv, "analyse", slow_for_a1)
    view = glyph_window.compare
    view.load("A", glyphs["a1"])  # slow
    view.load("A", glyphs["b1"])  # newer, fast
    qtbot.waitUntil(lambda: view.panes["A"].analysis is not None, timeout=10000)
    assert view.panes["A"].analysis.path.name == "b1.png"
    release.set()
    wait_idle(qtbot, glyph_window)
    qtbot.wait(50)
    assert view.panes["A"].analysis.path.name == "b1.png"
    assert view.panes["A"].name_label.text().endswith("/b1.png")


def test_drop_a_file_on_a_pane(glyph_window, qtbot, glyphs):
    pane = glyph_window.compare.panes["B"]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(glyphs["a2"]))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    pane.dropEvent(event)
    loaded(qtbot, glyph_window.compare)
    assert pane.analysis is not None and pane.analysis.path == glyphs["a2"]


# --- models ------------------------------------------------------------------------------------
def test_non_onnx_model_shows_a_dialog_and_the_previous_model_stays(glyph_window, qtbot, glyphs, tmp_path):
    w = glyph_window
    w.compare.load_pair(glyphs["a1"], glyphs["a2"])
    qtbot.waitUntil(lambda: w.compare.verdict.distance is not None, timeout=10000)
    before = w.encoder
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a protobuf at all")
    w.open_model_path(str(junk))
    wait_model(qtbot, w)
    assert w.encoder is before
    assert w.error_box is not None and w.error_box.isVisible()
    assert "junk.onnx" in w.error_box.text() and "junk.onnx is not an ONNX model" in w.error_box.text()
    assert "ONNXRuntimeError" not in w.error_box.text() and "Protobuf" not in w.error_box.text()
    assert w.model_combo.currentText().startswith("glyphtest")
    assert str(junk) not in w.settings.user_models
    assert w.compare.verdict.distance is not None  # the view still works
    # a wrong-shaped model (card says 32x32, graph takes 28x28) and a missing one
    w.error_box.close()
    bad = carded_model(tmp_path / "shape.onnx", {"kind": "glyph", "size": 32}, shape=(1, 28, 28))
    w.open_model_path(str(bad))
    wait_model(qtbot, w)
    assert "does not fit" in w.error_box.text() and w.encoder is before
    w.open_model_path(str(tmp_path / "gone.onnx"))
    wait_model(qtbot, w)
    assert "not found" in w.error_box.text() and w.encoder is before


def test_switching_models_rejudges_loaded_files_and_remembers_opened_models(glyph_window, qtbot, glyphs, tmp_path):
    w = glyph_window
    w.compare.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: w.compare.verdict.distance is not None, timeout=10000)
    first = w.compare.verdict.distance
    other = carded_model(tmp_path / "other.onnx", {"kind": "glyph", "size": 32}, threshold=0.3, seed=7, name="other")
    w.open_model_path(str(other))
    wait_model(qtbot, w)
    assert w.encoder.name == "other"
    qtbot.waitUntil(lambda: w.compare.verdict.distance is not None, timeout=10000)
    assert w.compare.verdict.threshold == pytest.approx(0.3)
    assert w.compare.verdict.distance != pytest.approx(first)
    titles = [w.model_combo.itemText(i) for i in range(w.model_combo.count())]
    assert any(t.startswith("glyphtest") for t in titles) and any(t.startswith("other") for t in titles)
    assert w.model_combo.itemData(w.model_combo.count() - 1) == OPEN_MODEL
    assert set(w.settings.user_models) == {str(other), str(tmp_path / "glyphtest.onnx")}
    assert w.settings.last_model == str(other)


def test_no_models_installed_shows_the_empty_state(make_window, qtbot):
    w = make_window(autoload=True)
    assert w.encoder is None
    assert w.content.currentWidget() is w.empty
    assert w.empty.title.text() == NO_MODELS
    assert "No models installed" in NO_MODELS and ".onnx" in NO_MODELS
    assert w.empty.open_button.isVisible()
    assert [w.model_combo.itemData(i) for i in range(w.model_combo.count())] == [OPEN_MODEL]
    assert w.provider_label.text() == "No model"


def test_installed_models_are_listed_and_the_first_loads(make_window, qtbot, no_installed_models):
    carded_model(no_installed_models / "glyph.onnx", {"kind": "glyph", "size": 32}, name="glyph")
    carded_model(no_installed_models / "voice.onnx", {"kind": "logmel"}, name="voice")
    w = make_window(autoload=True)
    wait_model(qtbot, w)
    assert w.encoder is not None and w.encoder.name == "glyph"
    assert w.content.currentWidget() is w.view_stack
    assert [w.model_combo.itemText(i) for i in range(2)] == ["glyph", "voice"]
    w.model_combo.activated.emit(1)
    wait_model(qtbot, w)
    assert w.encoder.name == "voice" and w.model_combo.currentText() == "voice"
    assert w.compare.panes["A"].modality == "audio"
    assert "sound clip" in w.compare.panes["A"].hint.text()


def test_the_open_dialog_offers_every_file_the_models_medium_reads(make_window, qtbot, no_installed_models,
                                                                    monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from siamgui.media.medium import AUDIO, IMAGE

    carded_model(no_installed_models / "glyph.onnx", {"kind": "glyph", "size": 32}, name="glyph")
    carded_model(no_installed_models / "voice.onnx", {"kind": "logmel"}, name="voice")
    w = make_window(autoload=True)
    wait_model(qtbot, w)
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, title, start, filt: (asked.append((title, filt)), ("", ""))[1]))
    pane = w.compare.panes["A"]
    qtbot.mouseClick(pane.open_button, Qt.LeftButton)
    title, filt = asked[-1]
    assert title == "Open image A" and filt.startswith(IMAGE.file_filter)
    assert all(f"*{s}" in filt for s in (".webp", ".tif", ".png"))
    w.model_combo.activated.emit(1)
    wait_model(qtbot, w)
    qtbot.mouseClick(pane.open_button, Qt.LeftButton)
    title, filt = asked[-1]
    assert title == "Open clip A" and filt.startswith(AUDIO.file_filter)
    assert all(f"*{s}" in filt for s in (".aiff", ".flac", ".wav")) and "*.png" not in filt


# --- device and status bar ---------------------------------------------------------------------
def test_device_setting_persists_and_reloads_the_model(glyph_window, qtbot, settings_path):
    from PySide6.QtCore import QSettings

    from siamgui.ui.settings import AppSettings

    w = glyph_window
    running = w.encoder.providers[0].replace("ExecutionProvider", "")
    assert f"running on {running}" in w.provider_label.text()
    if w.encoder.provider_note:
        assert w.note_label.isVisible() and w.note_label.text() == w.encoder.provider_note
    w.set_device("cpu")
    wait_model(qtbot, w)
    assert w.encoder.requested == "cpu"
    assert "asked for CPU" in w.provider_label.text()
    assert w.note_label.isHidden()  # asking for CPU and getting it needs no explanation
    assert w.device_actions["cpu"].isChecked() and w.device_combo.currentData() == "cpu"
    # a new settings object on the same file, and a new window, see CPU
    assert AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat)).device == "cpu"
    w.device_actions["cuda"].trigger()
    wait_model(qtbot, w)
    assert w.encoder.requested == "cuda"
    assert w.device_combo.currentData() == "cuda"
    if w.encoder.provider_note:
        assert "CUDA was requested but is not in use" in w.note_label.text()
    again = AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat))
    assert again.device == "cuda"


def test_new_window_restores_device_and_last_model(make_window, qtbot, app_settings, tmp_path):
    model = carded_model(tmp_path / "kept.onnx", {"kind": "glyph", "size": 32}, name="kept")
    app_settings.device = "cpu"
    app_settings.add_user_model(str(model))
    app_settings.last_model = str(model)
    w = make_window(autoload=True)
    wait_model(qtbot, w)
    assert w.encoder is not None and w.encoder.name == "kept" and w.encoder.requested == "cpu"
    assert w.device_combo.currentText() == "CPU" and w.device_actions["cpu"].isChecked()


# --- samples and playback ----------------------------------------------------------------------
def test_samples_menu_loads_a_pair_in_one_click(glyph_window, qtbot, tmp_path):
    view = glyph_window.compare
    pairs = resources.sample_pairs(glyph_window.encoder.card)
    if not pairs:
        pytest.skip("no shipped glyph samples in resources/samples/glyph")
    assert view.samples_button.isVisible()
    actions = view.samples_menu.actions()
    assert len(actions) == len(pairs)
    actions[0].trigger()
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    assert view.panes["A"].path == pairs[0].a and view.panes["B"].path == pairs[0].b


def test_sample_pairs_are_found_by_name(tmp_path):
    from siamgui.core.modelcard import ModelCard

    folder = tmp_path / "glyph"
    folder.mkdir()
    for name in ("same_a.png", "same_b.png", "diff_a.png", "diff_b.png", "odd_a.png", "notes.txt"):
        (folder / name).write_bytes(b"x")
    card = ModelCard(name="mine", modality="image", preprocess={"kind": "glyph"}, metric="cosine", threshold=0.3)
    pairs = resources.sample_pairs(card, tmp_path)
    assert [(p.key, p.title) for p in pairs] == [("same", "Same pair"), ("diff", "Different pair")]
    audio = ModelCard(name="x", modality="audio", preprocess={"kind": "logmel"}, metric="cosine", threshold=0.3)
    assert resources.sample_pairs(audio, tmp_path) == []


def test_samples_button_hidden_without_samples(make_window, qtbot, tmp_path):
    model = carded_model(tmp_path / "plain.onnx", {"kind": "image", "size": 32, "channels": 3}, name="plain")
    w = make_window(samples_root=tmp_path / "nothing")
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    assert w.compare.samples_button.isHidden()


def test_a_model_that_may_ship_no_samples_says_why_from_the_samples_menu(make_window, qtbot, tmp_path):
    """A sound model trained on clips without a licence: the Samples menu says in one sentence
    that none ship, why, and what to open instead; the verdict talks of kinds of sound."""
    model = carded_model(tmp_path / "sound.onnx", {"kind": "sound"}, name="sound",
                         provenance={"samples": "none: the training clips state no licence"})
    w = make_window(samples_root=tmp_path / "nothing")
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    cv = w.compare
    assert cv.samples_button.isVisible() and cv.sample_pairs == []
    actions = cv.samples_menu.actions()
    assert [a.text() for a in actions] == ["No samples for this model: why?"]
    assert cv.panes["A"].note_label.isHidden()
    actions[0].trigger()  # the menu entry the Samples button pops up
    note = cv.panes["A"].note_label.text()
    assert cv.panes["A"].note_label.isVisible()
    assert note == ("The sound model ships no sample pairs (the training clips state no licence): open two "
                    "sound clips of your own instead with Open… on side A and on side B.")
    assert cv.samples_button.toolTip() == note
    cv.load_pair(tone(tmp_path / "a.wav"), tone(tmp_path / "b.wav"))
    qtbot.waitUntil(lambda: cv.verdict.distance is not None, timeout=10000)
    assert "kind of sound" in cv.verdict.words_label.text() and "speaker" not in cv.verdict.words_label.text()


def test_play_without_an_audio_device_says_so(audio_window, qtbot, tmp_path, monkeypatch):
    fake = types.ModuleType("sounddevice")

    def no_device(*a, **k):
        raise RuntimeError("Error querying device -1")

    fake.query_devices = no_device
    fake.play = fake.wait = fake.stop = lambda *a, **k: None
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    view = audio_window.compare
    view.load("A", tone(tmp_path / "t.wav"))
    loaded(qtbot, view)
    pane = view.panes["A"]
    assert pane.play_button.isVisible()
    qtbot.mouseClick(pane.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.note_label.isVisible(), timeout=5000)
    assert "Can't play audio" in pane.note_label.text() and "no audio output device" in pane.note_label.text()
    qtbot.waitUntil(lambda: pane.play_button.text().endswith("Play"), timeout=5000)


def test_no_face_gives_a_message_with_the_picture(make_window, qtbot, tmp_path, glyphs):
    model = carded_model(tmp_path / "facetest.onnx", {"kind": "face", "size": 64}, name="facetest")
    w = make_window()
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    w.compare.load("A", glyphs["a1"])
    loaded(qtbot, w.compare)
    pane = w.compare.panes["A"]
    assert "no face found" in pane.message.lower()
    assert pane.canvas.image is not None


def test_inference_and_model_loading_never_run_on_the_ui_thread(make_window, qtbot, tmp_path, glyphs, monkeypatch):
    import siamgui.ui.main_window as mw

    threads = []
    real_load = mw.load_encoder

    def watched_load(path, device):
        threads.append(threading.current_thread() is threading.main_thread())
        enc = real_load(path, device)
        real_embed = enc.embed_prepared

        def watched_embed(items):
            threads.append(threading.current_thread() is threading.main_thread())
            return real_embed(items)

        enc.embed_prepared = watched_embed
        return enc

    monkeypatch.setattr(mw, "load_encoder", watched_load)
    model = carded_model(tmp_path / "g.onnx", {"kind": "glyph", "size": 32}, name="g")
    w = make_window()
    w.open_model_path(str(model))
    wait_model(qtbot, w)
    w.compare.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: w.compare.verdict.distance is not None, timeout=10000)
    assert len(threads) == 3 and not any(threads)


def test_threshold_stored_by_calibrate_is_used_and_shown(glyph_window, qtbot, glyphs):
    from siamgui.core import thresholds

    w = glyph_window
    view, panel = w.compare, w.compare.verdict
    view.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: panel.distance is not None, timeout=10000)
    assert "DIFFERENT" in panel.verdict_label.text()
    d = panel.distance
    thresholds.store(w.encoder.model_hash, d + 0.05, model_name=w.encoder.name, source="test")
    w.calibrate.thresholdStored.emit(d + 0.05)  # what "Use this threshold" sends
    assert panel.threshold == pytest.approx(d + 0.05, abs=1e-3)
    assert "SAME" in panel.verdict_label.text()
    assert "calibrated" in panel.threshold_caption.text() and "card 0.050" in panel.threshold_caption.text()
    panel.spin.setValue(0.01)
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)  # back to the calibrated one, not the card's
    assert panel.threshold == pytest.approx(d + 0.05, abs=1e-3)
    thresholds.clear(w.encoder.model_hash)
    w.calibrate.thresholdStored.emit(None)
    assert panel.threshold == pytest.approx(0.05) and "model default" in panel.threshold_caption.text()


# --- which file is which ------------------------------------------------------------------------
def _open(qtbot, monkeypatch, pane, path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    qtbot.mouseClick(pane.open_button, Qt.MouseButton.LeftButton)


def test_panes_name_the_folder_too_so_two_1_pgm_differ(glyph_window, qtbot, glyphs, tmp_path, monkeypatch):
    import shutil

    view = glyph_window.compare
    for person, key in (("s1", "a1"), ("s2", "b1")):  # ORL's layout: s1/1.pgm, s2/1.pgm
        (tmp_path / person).mkdir()
        shutil.copy(glyphs[key], tmp_path / person / "1.png")
    _open(qtbot, monkeypatch, view.panes["A"], tmp_path / "s1" / "1.png")
    _open(qtbot, monkeypatch, view.panes["B"], tmp_path / "s2" / "1.png")
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    a, b = view.panes["A"].name_label, view.panes["B"].name_label
    assert (a.text(), b.text()) == ("s1/1.png", "s2/1.png")
    assert a.elided_text() != b.elided_text()
    assert not view.panes["B"].note_label.isVisible()
    long = tmp_path / ("a_folder_with_a_very_long_name_" * 4) / "photo_of_someone.png"
    long.parent.mkdir()
    shutil.copy(glyphs["a1"], long)
    _open(qtbot, monkeypatch, view.panes["A"], long)
    qtbot.waitUntil(lambda: view.panes["A"].analysis is not None, timeout=10000)
    shown = view.panes["A"].name_label.elided_text()
    assert shown.startswith("…") and shown.endswith("/photo_of_someone.png")  # elided, the name kept
    assert view.panes["A"].name_label.toolTip() == str(long)


def test_the_same_file_on_both_sides_is_said(glyph_window, qtbot, glyphs, monkeypatch):
    view = glyph_window.compare
    _open(qtbot, monkeypatch, view.panes["A"], glyphs["o1"])
    _open(qtbot, monkeypatch, view.panes["B"], glyphs["o1"])
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    assert view.verdict.distance == pytest.approx(0.0, abs=1e-5)
    note = view.panes["B"].note_label
    assert note.isVisible() and note.text().startswith("The same file as A: a file's distance to itself is 0")
    _open(qtbot, monkeypatch, view.panes["B"], glyphs["a1"])
    qtbot.waitUntil(lambda: view.verdict.distance is not None and view.verdict.distance > 1e-4, timeout=10000)
    assert not view.panes["B"].note_label.isVisible()


# --- keeping and widening what Compare found --------------------------------------------------------
def test_why_maps_are_saved_as_a_png(glyph_window, qtbot, glyphs, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QFileDialog

    view = glyph_window.compare
    view.load_pair(glyphs["a1"], glyphs["b1"])
    qtbot.waitUntil(lambda: view.verdict.distance is not None, timeout=10000)
    qtbot.mouseClick(view.why_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.why_maps is not None, timeout=20000)
    asked = []
    target = tmp_path / "maps"  # no ending given: .png is added

    def answer(parent, title, name, filt):
        asked.append(name)
        return str(target), filt

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    lines = []
    view.status.connect(lines.append)
    assert view.why_save_button.isVisible()
    qtbot.mouseClick(view.why_save_button, Qt.MouseButton.LeftButton)
    saved = tmp_path / "maps.png"
    assert asked == ["why-a1-b1.png"] and saved.is_file() and lines[-1] == f"Saved {saved}"
    img = QImage(str(saved))
    expected = view.why_picture.pixmap().toImage()
    assert (img.width(), img.height()) == (expected.width(), expected.height())
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "gone" / "x.png"), "")))
    qtbot.mouseClick(view.why_save_button, Qt.MouseButton.LeftButton)
    assert lines[-1].startswith("Not saved: the folder") and "does not exist" in lines[-1]


def test_one_file_against_a_folder_lists_its_files_nearest_first_with_verdicts(glyph_window, qtbot, glyphs,
                                                                               tmp_path, monkeypatch):
    import shutil

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    view = glyph_window.compare
    lines = []
    view.status.connect(lines.append)
    qtbot.mouseClick(view.folder_button, Qt.MouseButton.LeftButton)  # no A yet: says what it needs
    assert "Open file A first" in lines[-1] and view.rank_dialog is None
    folder = tmp_path / "candidates"
    for name, key in (("x/1.png", "a2"), ("y/1.png", "b1"), ("z/1.png", "o1"), ("a1.png", "a1")):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(glyphs[key], folder / name)
    (folder / "notes.txt").write_text("not a picture")
    _open(qtbot, monkeypatch, view.panes["A"], folder / "a1.png")  # A itself lives in the folder: left out
    qtbot.waitUntil(lambda: view.panes["A"].embedding is not None, timeout=10000)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    qtbot.mouseClick(view.folder_button, Qt.MouseButton.LeftButton)
    dialog = view.rank_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: view.ranking is not None, timeout=20000)
    rows = view.ranking.rows
    assert [r.file.parent.name for r in rows][0] == "x"  # the other A is nearest
    assert [r.distance for r in rows] == sorted(r.distance for r in rows) and len(rows) == 3
    texts = [dialog.rows.item(i).text() for i in range(dialog.rows.count())]
    assert texts[0].startswith("1.  x/1.png") and all(("SAME" in t) != ("DIFFERENT" in t) for t in texts)
    for r, t in zip(rows, texts):
        assert ("✓ SAME" in t) == (r.distance <= view.verdict.threshold)
    assert f"3 files, {view.ranking.same_count} judged the same at threshold" in dialog.summary.text()
    rect = dialog.rows.visualItemRect(dialog.rows.item(1))
    qtbot.mouseClick(dialog.rows.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.rows.currentRow() == 1 and dialog.open_button.isEnabled()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)  # Open as B
    qtbot.waitUntil(lambda: view.panes["B"].path == rows[1].file and view.verdict.distance is not None,
                    timeout=10000)
    assert view.verdict.distance == pytest.approx(rows[1].distance, abs=1e-5)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_a_slow_older_file_opened_with_the_button_is_never_drawn_over_a_newer_one(glyph_window, qtbot, glyphs,
                                                                                    monkeypatch):
    """Latest wins (ui/jobs.Latest): the older analysis finishes after the newer one and is dropped."""
    import siamgui.ui.compare_view as cv

    slow_for_a1, release, older_done = held_back(cv.analyse, lambda encoder, path: Path(path).name == "a1.png")
    monkeypatch.setattr(cv, "analyse", slow_for_a1)
    view = glyph_window.compare
    pane = view.panes["A"]
    _open(qtbot, monkeypatch, pane, glyphs["a1"])  # held back until released
    _open(qtbot, monkeypatch, pane, glyphs["b1"])
    qtbot.waitUntil(lambda: pane.analysis is not None, timeout=10000)
    assert pane.analysis.path == glyphs["b1"]
    release.set()
    qtbot.waitUntil(older_done.is_set, timeout=10000)
    assert glyph_window.jobs.wait(5000)
    qtbot.wait(100)  # the older outcome's queued delivery has its chance to arrive
    assert pane.analysis.path == glyphs["b1"] and pane.name_label.text().endswith("/b1.png")
    assert pane.busy.isHidden()
