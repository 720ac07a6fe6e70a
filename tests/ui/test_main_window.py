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
