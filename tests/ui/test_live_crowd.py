"""Live with several people in view, a file that is not a video, Stop, and the side panel at 1024x700.

The camera is a video written by the test (``crowd.crowd_video``: ORL people crossing, one leaving
and coming back, one stranger), played by ``CameraSource`` as a fake camera.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from conftest import ROOT, SAMPLES
from crowd import PEOPLE, crowd_video, enrolled_gallery, orl, shipped_face_encoder
from siamgui import Encoder
from siamgui.ui.live_camera import DIFFERENT, DIMMED, SAME


def click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer_file(monkeypatch, path) -> list:
    from PySide6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: asked.append(a) or (str(path), "")))
    return asked


def start_with_file(qtbot, view, monkeypatch, path) -> None:
    """Pick "Video file as camera…", answer the dialog with ``path``, press Start."""
    view.device_combo.setCurrentIndex(view.device_combo.findData("__file__"))
    answer_file(monkeypatch, path)
    click(qtbot, view.start_btn)


@pytest.fixture
def face_encoder():
    return shipped_face_encoder()


@pytest.fixture
def crowd(tmp_path, face_encoder):
    root = orl()
    gallery = enrolled_gallery(tmp_path / "g.db", face_encoder, root)
    yield gallery, crowd_video(tmp_path / "crowd.avi", root, frames=60)
    gallery.close()


@pytest.fixture
def live(qtbot, request):
    from siamgui.ui.app import create_app
    from siamgui.ui.live_view import LiveView

    create_app()

    def make(**kwargs):
        view = LiveView(**kwargs)
        qtbot.addWidget(view)
        view.resize(1100, 700)
        view.show()
        request.addfinalizer(view.shutdown)
        return view

    return make


def consistent(view) -> bool:
    """The judged (or largest) face's box colour says what the verdict panel says."""
    marks = [m for m in view.preview.marks if not m.dimmed]
    state = view.verdict.state
    if not marks or state == "none":
        return True
    return marks[0].colour == (SAME if state == "same" else DIFFERENT) if any(m.judged for m in marks) else True


def test_live_names_several_people_in_one_frame(live, qtbot, monkeypatch, face_encoder, crowd):
    gallery, video = crowd
    view = live(gallery_factory=lambda: gallery)
    view.set_encoder(face_encoder)
    view.mode_combo.setCurrentIndex(1)  # Identify from gallery
    start_with_file(qtbot, view, monkeypatch, video)
    names = set(PEOPLE.values())

    def named_in_one_frame() -> set[str]:
        return {m.label.split()[0] for m in view.preview.marks if m.label and m.label != "unknown"} & names

    qtbot.waitUntil(lambda: len(named_in_one_frame()) >= 2, timeout=30000)
    assert view.matches.isVisible() and view.matches.count() >= 2  # one row per face in view
    rows = [view.matches.item(i).text() for i in range(view.matches.count())]
    assert any(n in r for r in rows for n in names), rows
    labels = [m.label for m in view.preview.marks]
    assert all(m.colour == SAME for m in view.preview.marks if m.label.split()[:1] and m.label != "unknown"
               and m.label.split()[0] in names)
    qtbot.waitUntil(lambda: "unknown" in [m.label for m in view.preview.marks], timeout=15000)  # the stranger
    assert view.verdict.state in ("same", "different"), labels

    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: asked.append(a[2]) or ("Alan", True)))
    click(qtbot, view.enrol_btn)  # the stranger is enrolled: cut out of the frame, not the whole crowd
    assert "the largest face not yet named" in asked[0]
    qtbot.waitUntil(lambda: gallery.person("Alan") is not None, timeout=10000)
    stored = gallery.samples(gallery.person("Alan").id)[0]
    import cv2
    import numpy as np

    crop = cv2.imdecode(np.frombuffer(stored.media, np.uint8), cv2.IMREAD_COLOR)
    assert crop.shape[0] < 480 and crop.shape[1] < 640 and stored.source == "camera"
    qtbot.waitUntil(lambda: any(m.label.startswith("Alan") for m in view.preview.marks), timeout=20000)
    click(qtbot, view.start_btn)  # Stop
    assert view.loop is None and "camera stopped" in view.verdict.margin_label.text()


def test_verify_marks_the_judged_face_dims_the_others_and_box_and_verdict_agree(live, qtbot, monkeypatch,
                                                                                face_encoder, crowd):
    gallery, video = crowd
    view = live()
    view.set_encoder(face_encoder)
    view.reference_from_file(str(orl() / "s1" / "2.pgm"))
    qtbot.waitUntil(lambda: view.reference is not None, timeout=10000)
    start_with_file(qtbot, view, monkeypatch, video)
    qtbot.waitUntil(lambda: len(view.preview.marks) >= 3 and view.verdict.state != "none", timeout=30000)
    judged = [m for m in view.preview.marks if m.judged]
    dimmed = [m for m in view.preview.marks if m.dimmed]
    assert len(judged) == 1 and len(dimmed) == len(view.preview.marks) - 1 and all(m.colour == DIMMED for m in dimmed)
    other = dimmed[0]  # the user points at another face: it is judged from then on
    target, scale = view.preview._target()
    centre = QPoint(int(target.x() + (other.box.x + other.box.w / 2) * scale),
                    int(target.y() + (other.box.y + other.box.h / 2) * scale))
    qtbot.mouseClick(view.preview, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: any(m.judged and m.track == other.track for m in view.preview.marks), timeout=10000)
    assert sum(m.judged for m in view.preview.marks) == 1
    for _ in range(20):  # every result draws its box colour and the verdict together
        qtbot.wait(40)
        assert consistent(view), (view.preview.marks, view.verdict.state)
    view.verdict.spin.setValue(0.0)  # nothing is that close: the panel and the box turn together
    assert view.verdict.state == "different" and consistent(view)
    view.verdict.spin.setValue(1.9)
    assert view.verdict.state == "same" and consistent(view)
    click(qtbot, view.start_btn)  # Stop freezes an agreeing pair, with a note that it stopped
    assert consistent(view) and "camera stopped" in view.verdict.margin_label.text()


def test_a_file_that_is_not_a_video_is_said_once_and_the_camera_stops(live, qtbot, monkeypatch, tmp_path):
    from onnx_factory import carded_model

    view = live()
    view.set_encoder(Encoder.load(carded_model(tmp_path / "f.onnx", {"kind": "face", "size": 64}, threshold=0.2)))
    said = []
    view.status.connect(said.append)
    bogus = tmp_path / "holiday.avi"
    bogus.write_text("this is not a video")
    start_with_file(qtbot, view, monkeypatch, bogus)
    qtbot.waitUntil(lambda: view.loop is None, timeout=10000)
    assert "holiday.avi is not a video that can be played" in view.message.text()
    assert "retrying" not in view.message.text() and view.start_btn.text() == "Start"
    qtbot.wait(600)
    assert sum("not a video" in s for s in said) == 1  # said once, not every 2 s


def test_stop_leaves_a_stopped_note_beside_the_last_verdict(live, qtbot, monkeypatch, tmp_path):
    from test_live_view import portrait_video

    from siamgui.media.camera import CameraSource  # noqa: F401 - the fake camera plays the file

    path = ROOT / "models" / "face.onnx"
    if not path.exists():
        pytest.skip("models/face.onnx is not in this checkout")
    view = live()
    view.set_encoder(Encoder.load(path, device="cpu"))
    view.reference_from_file(str(SAMPLES / "face" / "same_a.jpg"))
    qtbot.waitUntil(lambda: view.reference is not None, timeout=10000)
    start_with_file(qtbot, view, monkeypatch, portrait_video(tmp_path / "cam.avi", frames=60))
    qtbot.waitUntil(lambda: view.verdict.state == "same", timeout=20000)
    assert "stopped" not in view.verdict.margin_label.text()
    click(qtbot, view.start_btn)
    assert view.verdict.state == "same" and view.verdict.margin_label.text().endswith("camera stopped")


def test_threshold_statistics_and_reference_buttons_fit_a_1024x700_window(make_window, qtbot, tmp_path, request):
    from onnx_factory import carded_model
    from test_live_view import portrait_video

    w = make_window()
    w.resize(1024, 700)
    w.open_model_path(str(carded_model(tmp_path / "f.onnx", {"kind": "face", "size": 64}, threshold=0.2)))
    qtbot.waitUntil(lambda: not w.loading, timeout=10000)
    w.nav.setCurrentRow(w.views.index(w.live))
    view = w.live
    request.addfinalizer(view.stop)
    view.start(str(portrait_video(tmp_path / "cam.avi", frames=60)))
    qtbot.waitUntil(lambda: view.stats.isVisible() and bool(view.stats.text()), timeout=15000)
    needed = (view.verdict.slider, view.verdict.spin, view.stats, view.ref_file_btn, view.ref_capture_btn,
              view.ref_person, view.enrol_btn, view.start_btn, view.mode_combo)
    for widget in needed:  # on screen whole: nothing cut by the window or a scroll area's fold
        assert widget.isVisible(), widget
        assert widget.visibleRegion().boundingRect() == widget.rect(), f"{widget} is cut or below the fold"
    assert view.side_scroll.verticalScrollBar().value() == 0
    assert view.window().frameGeometry().height() <= 700 or view.window().height() <= 700


def test_a_long_device_name_is_elided_with_an_ellipsis(live, qtbot, tmp_path, monkeypatch):
    from onnx_factory import carded_model

    view = live()
    view.resize(1024, 640)
    view.set_encoder(Encoder.load(carded_model(tmp_path / "f.onnx", {"kind": "face", "size": 64}, threshold=0.2)))
    long_name = tmp_path / ("orl_s1_then_s2_then_s3_walking_across_the_room_" + "x" * 30 + ".avi")
    long_name.write_bytes(b"")
    view.stand_in = str(long_name)
    view.refresh_devices()
    qtbot.wait(50)
    shown = view.device_combo.shown_text()
    assert view.device_combo.currentText().startswith("orl_s1_then_s2") and shown != view.device_combo.currentText()
    assert shown.endswith("…") and view.device_combo.toolTip() == view.device_combo.currentText()


def test_a_name_is_shown_as_plain_text_never_as_markup(live, qtbot, tmp_path):
    from onnx_factory import carded_model

    from siamgui.core.compare import Verdict

    view = live()
    view.set_encoder(Encoder.load(carded_model(tmp_path / "f.onnx", {"kind": "face", "size": 64}, threshold=0.2)))
    name = "<b>Bold</b> <img src=x>"
    view._set_reference(view.encoder.embed(str(SAMPLES / "face" / "same_a.jpg"))[0], name, None)
    view._show_verdict(Verdict(0.01, 0.2), "", name)
    for label in (view.ref_caption, view.ref_thumb, view.verdict.verdict_label, view.verdict.words_label):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert name in view.ref_caption.text() and name in view.verdict.verdict_label.text()
