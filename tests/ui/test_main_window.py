"""The main window's contract with its views: every view's status line reaches the status bar."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def test_every_view_and_a_new_one_reach_the_status_bar_through_view_status(make_window):
    from siamgui.ui.views import View

    w = make_window()
    assert [v.title for v in w.views] == ["Compare", "Live", "Gallery", "Calibrate", "Few-shot", "Train"]
    for view in w.views:
        view.status.emit(f"a line from {view.title}")
        assert w.flash_label.text() == f"a line from {view.title}"

    class Notes(View):  # a view added later is wired by add_view alone, never by name
        title = "Notes"

    notes = Notes()
    w.add_view(notes)
    notes.status.emit("saved")
    assert w.flash_label.text() == "saved" and w.nav.item(w.nav.count() - 1).text() == "Notes"


def test_a_slow_older_model_choice_is_never_loaded_over_a_newer_one(make_window, qtbot, tmp_path, monkeypatch):
    """Latest wins (ui/jobs.Latest): two models opened from the menu, the first loading slowly;
    the second stays in use after the first's load finishes."""
    from PySide6.QtWidgets import QFileDialog

    import siamgui.ui.main_window as mw
    from conftest import carded_model, held_back, wait_model

    slow = carded_model(tmp_path / "slow.onnx", {"kind": "glyph", "size": 32}, threshold=0.05, name="slow")
    fast = carded_model(tmp_path / "fast.onnx", {"kind": "glyph", "size": 32}, threshold=0.3, seed=7, name="fast")
    slow_for_the_first, release, older_done = held_back(mw.load_encoder, lambda path, device: path == str(slow))
    monkeypatch.setattr(mw, "load_encoder", slow_for_the_first)
    w = make_window()
    for model in (slow, fast):  # File > Open model… twice, the first still loading
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, m=model, **k: (str(m), "")))
        w.open_model_action.trigger()
    wait_model(qtbot, w)
    assert w.encoder is not None and w.encoder.name == "fast"
    release.set()
    qtbot.waitUntil(older_done.is_set, timeout=10000)
    assert w.jobs.wait(5000)
    qtbot.wait(100)  # the older outcome's queued delivery has its chance to arrive
    assert w.encoder.name == "fast" and w.compare.encoder is w.encoder and w.fewshot.encoder is w.encoder
    assert w.model_combo.currentText().startswith("fast") and w.settings.last_model == str(fast)


# --- first launch, later launches, the screen it opens on, About ---------------------------------
import pytest  # noqa: E402
from PySide6.QtCore import QRect  # noqa: E402


@pytest.fixture
def shipped_window(qtbot, app_settings):
    """Windows that load from the real registry (the shipped models/), as a user's launch does."""
    from conftest import window_maker

    with window_maker(qtbot, app_settings, autoload=True) as make:
        yield make


def test_a_first_launch_opens_on_the_face_model_with_a_verdict_on_screen(shipped_window, qtbot):
    from siamgui.core import registry

    if "face" not in registry.available():
        pytest.skip("the face model is not installed in models/")
    w = shipped_window()
    qtbot.waitUntil(lambda: w.encoder is not None, timeout=30000)
    assert w.encoder.name == "face" and w.model_combo.currentText() == "face"
    assert w.view_stack.currentWidget() is w.compare
    qtbot.waitUntil(lambda: w.compare.verdict.distance is not None, timeout=30000)
    assert [p.path.name for p in w.compare.panes.values()] == ["same_a.jpg", "same_b.jpg"]
    assert w.compare.verdict.distance <= w.encoder.threshold  # the sample pair is one person


def test_a_later_launch_restores_the_last_model_and_view_without_samples(shipped_window, qtbot, app_settings,
                                                                          tmp_path):
    from conftest import ROOT

    w = shipped_window()
    qtbot.waitUntil(lambda: w.encoder is not None and not w.loading, timeout=30000)
    index = w.model_combo.findText("glyph")
    w.model_combo.setCurrentIndex(index)
    w.model_combo.activated.emit(index)  # what picking it in the popup sends
    qtbot.waitUntil(lambda: w.encoder is not None and w.encoder.name == "glyph", timeout=30000)
    w.nav.setCurrentRow([v.title for v in w.views].index("Few-shot"))
    w.close()
    again = shipped_window()
    qtbot.waitUntil(lambda: again.encoder is not None, timeout=30000)
    assert again.encoder.name == "glyph" and again.encoder.path == ROOT / "models" / "glyph.onnx"
    assert again.view_stack.currentWidget() is again.fewshot
    assert all(p.path is None for p in again.compare.panes.values())  # samples only on a first launch


@pytest.mark.parametrize("saved", [None, (300, 200, 1280, 800), (-400, 900, 1100, 650)])
def test_on_a_1024x700_screen_the_window_opens_inside_it(make_window, app_settings, monkeypatch, saved):
    from siamgui.ui.main_window import MainWindow

    screen = QRect(0, 0, 1024, 700)
    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: screen)
    if saved:
        app_settings.geometry = saved
    w = make_window()
    g = w.geometry()
    assert screen.contains(g) and g.top() >= 32, (g, saved)  # room for a title bar above
    assert w.minimumWidth() <= 1024 and w.minimumHeight() <= 700 - 32
    assert g.width() >= 960 and g.height() >= 640  # and it still uses the room there is


def test_the_geometry_is_kept_between_launches(make_window, app_settings, monkeypatch):
    from siamgui.ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "available_geometry", lambda self: QRect(0, 0, 1920, 1080))
    w = make_window()
    w.setGeometry(QRect(100, 120, 1000, 700))
    w.close()
    assert app_settings.geometry == (100, 120, 1000, 700)
    assert make_window().geometry() == QRect(100, 120, 1000, 700)


def test_about_names_every_installed_model(make_window, qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from conftest import ROOT
    from siamgui.core import registry
    from test_buttons import trigger

    monkeypatch.setattr(registry, "shipped_dir", lambda: ROOT / "models")
    shown = []
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda parent, title, text: shown.append(text)))
    w = make_window()
    trigger(w, "Help", "About SiamGUI")
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    names = list(registry.available())
    assert len(names) >= 2
    for name in names:
        assert f"<b>{name}</b>" in shown[0], name
    if len(names) == 6:
        assert "Six models are installed" in shown[0]
    assert "faces, voices and glyphs" not in shown[0]
    if "sound" in names:  # a sentence is cut at its full stop, not at "e.g."
        assert "(e.g. cat or dog)" in shown[0]


def test_the_window_shows_first_then_loads_the_model_and_adds_the_views(make_window, qtbot, no_installed_models):
    """The app's start (issue 21): the shell shows at once with the load's state, and only then the
    model loads in the background and the views are added, one per turn of the event loop."""
    from conftest import carded_model, wait_model

    carded_model(no_installed_models / "glyph.onnx", {"kind": "glyph", "size": 32}, name="glyph")
    w = make_window(autoload=True, show_first=True)
    assert w.views == [] and w.nav.count() == 0 and not w.loading  # nothing started before it shows
    assert w.content.currentWidget() is w.empty and w.empty.title.text() == "Loading glyph model…"
    assert w.empty.busy.isVisibleTo(w.empty) and not w.model_combo.isEnabled()
    w.finish_start()
    assert w.loading and [v.title for v in w.views] == ["Compare"]  # the rest follow on later turns
    qtbot.waitUntil(lambda: len(w.views) == 6 and not w.loading, timeout=20000)
    wait_model(qtbot, w)
    assert [v.title for v in w.views] == ["Compare", "Live", "Gallery", "Calibrate", "Few-shot", "Train"]
    assert w.encoder is not None and w.encoder.name == "glyph"
    assert w.compare.encoder is w.encoder and w.gallery_view.encoder is w.encoder
    assert w.nav.currentRow() == 0 and w.content.currentWidget() is w.view_stack
    assert w.model_combo.isEnabled() and w.model_combo.currentText() == "glyph"


def test_a_window_shown_first_with_no_models_says_so_once_started(make_window, qtbot):
    from siamgui.ui.main_window import NO_MODELS

    w = make_window(autoload=True, show_first=True)
    assert w.empty.title.text() == NO_MODELS and w.model_combo.isEnabled() and not w.header_busy.isVisible()
    w.build_views()
    w.finish_start()
    assert w.empty.title.text() == NO_MODELS and not w.loading and len(w.views) == 6
