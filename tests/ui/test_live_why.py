"""Live's Why?: the pair being judged is frozen, mapped in a job and overlaid; pressed again, live again."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from conftest import SAMPLES, carded_model, tone
from siamgui import Encoder
from test_live_view import portrait_video


def press(qtbot, button) -> None:
    """A user's click on a visible, enabled button."""
    assert button.isVisible() and button.isEnabled(), (button.text(), button.toolTip())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def computed(monkeypatch):
    """Each Why? computation, with whether it ran on the UI thread."""
    from siamgui.ui import why

    calls, real = [], why.compute

    def spy(*args):
        calls.append(threading.current_thread() is threading.main_thread())
        return real(*args)

    monkeypatch.setattr(why, "compute", spy)
    return calls


@pytest.fixture
def live_view(qtbot, request):
    from siamgui.ui.live_view import LiveView

    view = LiveView()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    request.addfinalizer(view.shutdown)
    return view


def test_why_freezes_the_camera_pair_overlays_its_maps_and_goes_back_to_live(live_view, qtbot, tmp_path, computed,
                                                                             monkeypatch):
    from siamgui.ui import why

    view = live_view
    view.set_encoder(Encoder.load(carded_model(tmp_path / "f.onnx", {"kind": "face", "size": 64}, threshold=0.2)))
    assert not view.why_btn.isEnabled() and "reference" in view.why_btn.toolTip()  # no pair yet, and it says why
    view.reference_from_file(str(SAMPLES / "face" / "same_a.jpg"))
    qtbot.waitUntil(lambda: view.reference is not None, timeout=10000)
    assert not view.why_btn.isEnabled() and "face" in view.why_btn.toolTip()  # no live face yet
    view.start(str(portrait_video(tmp_path / "cam.avi", frames=60)))
    qtbot.waitUntil(lambda: view.why_btn.isEnabled(), timeout=15000)
    assert view.why_btn.toolTip() == why.TOOLTIP and view.why_btn.shortcut().toString() == why.SHORTCUT

    press(qtbot, view.why_btn)
    assert view.frozen and not view.why_btn.isEnabled()  # computing: off, and the pair is held
    view.why()  # a second press (the shortcut, say) while it runs starts nothing
    frozen = view.preview.image
    qtbot.wait(300)
    assert view.preview.image is frozen or view.why_maps is not None  # camera frames are not drawn over it
    qtbot.waitUntil(lambda: view.why_maps is not None, timeout=20000)
    assert computed == [False]  # one computation, off the UI thread
    maps = view.why_maps
    assert maps.sides[0].heat.shape == maps.sides[0].view.shape[:2]
    assert view.preview.image.width() > view.preview.image.height()  # both sides side by side, and the legend
    assert view.why_caption.isVisible() and "made the pair alike" in view.why_caption.text()
    for label in (view.live_thumb, view.ref_thumb):
        assert label.pixmap() is not None and not label.pixmap().isNull()
    assert view.verdict.distance == pytest.approx(maps.distance)
    assert view.why_btn.text() == "Back to live" and view.why_btn.isEnabled()
    assert view.why_btn.shortcut().toString() == why.SHORTCUT  # relabelling kept the shortcut
    shown = view.preview.image
    qtbot.wait(300)
    assert view.preview.image is shown  # the overlay stays while the camera runs

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QFileDialog

    assert view.why_save_btn.isVisible()  # the maps can be kept (issue 22: the Why? map as PNG)
    said = []
    view.status.connect(said.append)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(tmp_path / "maps"), "")))
    press(qtbot, view.why_save_btn)
    saved = QImage(str(tmp_path / "maps.png"))  # the ending added
    assert not saved.isNull() and saved.width() > saved.height() and said[-1] == f"Saved {tmp_path / 'maps.png'}"

    press(qtbot, view.why_btn)  # Back to live
    assert view.why_maps is None and not view.frozen and view.why_btn.text() == "Why?"
    assert not view.why_caption.isVisible() and not view.why_save_btn.isVisible()
    qtbot.waitUntil(lambda: view.preview.image is not None and view.preview.image.width() == 640, timeout=10000)

    press(qtbot, view.why_btn)  # again; then a new reference clears the maps of the old one
    qtbot.waitUntil(lambda: view.why_maps is not None, timeout=20000)
    press(qtbot, view.ref_capture_btn)
    assert view.why_maps is None and view.why_btn.text() == "Why?" and view.reference_source is not None
    assert len(computed) == 2

    view.mode_combo.setCurrentIndex(1)  # identify: no pair to explain, and the tooltip says so
    assert not view.why_btn.isEnabled() and "Verify" in view.why_btn.toolTip()
    view.stop()


def choose(qtbot, combo, index: int) -> None:
    """A user's pick in a combo box: click it open, click the item in its popup."""
    assert combo.isVisible() and combo.isEnabled()
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    popup = combo.view()
    qtbot.waitUntil(popup.isVisible, timeout=5000)
    qtbot.wait(QApplication.doubleClickInterval() + 100)  # the popup ignores a release this soon after opening
    rect = popup.visualRect(popup.model().index(index, 0))
    qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_why_maps_the_live_face_alone_against_an_enrolled_persons_average(qtbot, tmp_path, computed, request):
    from siamgui.core.gallery import Gallery
    from siamgui.tasks.enrolment import enrol_files
    from siamgui.ui import why
    from siamgui.ui.live_view import LiveView

    enc = Encoder.load(carded_model(tmp_path / "f.onnx", {"kind": "face", "size": 64}, threshold=0.2))
    gallery = Gallery(tmp_path / "g.db")
    request.addfinalizer(gallery.close)
    enrol_files(gallery, enc, "Ada", [SAMPLES / "face" / "same_a.jpg", SAMPLES / "face" / "same_b.jpg"])
    view = LiveView(gallery_factory=lambda: gallery)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    request.addfinalizer(view.shutdown)
    view.set_encoder(enc)
    qtbot.waitUntil(lambda: view.ref_person.count() == 1, timeout=10000)
    choose(qtbot, view.ref_person, 0)  # "Ada (2)": the mean of her two samples becomes the reference
    qtbot.waitUntil(lambda: view.reference is not None, timeout=10000)
    assert view.reference_source is None and view.reference_samples == 2
    assert view.ref_thumb.text() == "Ada" and "average of 2 enrolled samples" in view.ref_caption.text()
    assert not view.why_btn.isEnabled() and "face" in view.why_btn.toolTip()  # no live face yet, and it says so
    view.start(str(portrait_video(tmp_path / "cam.avi", frames=90)))
    qtbot.waitUntil(lambda: view.why_btn.isEnabled() and view.verdict.state != "none", timeout=15000)
    assert view.why_btn.toolTip() == why.TOOLTIP_ONE

    press(qtbot, view.why_btn)
    assert view.frozen and "live input in turn" in view.why_caption.text()
    qtbot.waitUntil(lambda: view.why_maps is not None, timeout=20000)
    assert computed == [False]  # one computation, off the UI thread
    maps = view.why_maps
    assert len(maps.sides) == 1 and maps.against.name == "Ada" and maps.against.samples == 2
    assert maps.sides[0].heat.shape == maps.sides[0].view.shape[:2]
    image = view.preview.image  # the live overlay, the name where a picture would be, the legend
    assert image.width() > image.height() and image.height() > 240
    assert view.live_thumb.pixmap() is not None and not view.live_thumb.pixmap().isNull()
    assert view.ref_thumb.text() == "Ada"  # no overlay on the reference side: it has no picture
    text = view.why_caption.text()
    assert view.why_caption.isVisible() and "average of 2 enrolled samples of Ada" in text, text
    assert f"Distance {maps.distance:.3f}" in text and "look like Ada" in text
    assert view.verdict.distance == pytest.approx(maps.distance)

    press(qtbot, view.why_btn)  # Back to live, the camera running: its last verdict at once, not "Waiting"
    assert view.why_maps is None and view.why_btn.text() == "Why?" and view.verdict.state in ("same", "different")
    assert view.ref_thumb.text() == "Ada"

    qtbot.waitUntil(lambda: view.why_btn.isEnabled(), timeout=10000)
    press(qtbot, view.why_btn)
    qtbot.waitUntil(lambda: view.why_maps is not None, timeout=20000)
    press(qtbot, view.start_btn)  # Stop, while the maps are shown
    assert view.loop is None
    last = view.live_verdict[0]
    press(qtbot, view.why_btn)  # Back to live: nothing will come to replace the verdict, so it says why
    assert view.verdict.state in ("same", "different") and view.verdict.distance == pytest.approx(last.distance)
    assert "camera stopped" in view.verdict.margin_label.text()
    assert len(computed) == 2


def test_why_maps_the_last_utterance_against_the_reference_clip(live_view, qtbot, tmp_path, computed):
    view = live_view
    view.set_encoder(Encoder.load(carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, threshold=0.05, name="v")))
    assert not view.why_btn.isEnabled()
    view.reference_from_file(str(SAMPLES / "voice" / "same_b.wav"))
    qtbot.waitUntil(lambda: view.reference is not None, timeout=10000)
    assert "utterance" in view.why_btn.toolTip()
    view.start(str(tone(tmp_path / "said.wav", seconds=1.5)))  # the file stands in for the microphone
    qtbot.waitUntil(lambda: view.last_clip is not None and view.why_btn.isEnabled(), timeout=20000)

    press(qtbot, view.why_btn)
    qtbot.waitUntil(lambda: view.why_maps is not None, timeout=30000)
    assert computed == [False]
    assert "log-mel" in view.why_maps.sides[0].what
    assert view.preview.isVisible() and not view.scope.isVisible()  # the maps over both spectrograms
    assert "made the pair alike" in view.why_caption.text()

    press(qtbot, view.why_btn)  # Back to live: the level scope again
    assert view.scope.isVisible() and not view.preview.isVisible() and view.why_btn.text() == "Why?"
    view.stop()
