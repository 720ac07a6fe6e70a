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
