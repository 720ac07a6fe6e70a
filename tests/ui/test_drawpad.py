"""The drawing pad: strokes from real mouse events, undo, clear, and the image a model reads."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from siamgui.ui.drawpad import DrawPad


def drag(qtbot, pad, points) -> None:
    """A stroke as a user draws it: press, move through the points, release."""
    first = QPoint(*points[0])
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=first)
    for x, y in points[1:]:
        qtbot.mouseMove(pad, QPoint(x, y))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def test_strokes_undo_clear_and_the_image(qtbot):
    pad = DrawPad()
    qtbot.addWidget(pad)
    pad.resize(200, 200)
    pad.show()
    changes = []
    pad.changed.connect(lambda: changes.append(len(pad.strokes)))
    assert pad.empty and (pad.image() == 255).all()  # blank paper
    drag(qtbot, pad, [(40, 40), (80, 80), (120, 120), (160, 160)])
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) == 4 and changes[-1] == 1
    img = pad.image(100)
    assert img.shape == (100, 100) and img[50, 50] < 100  # ink on the diagonal
    assert img[5, 95] == 255 and img[95, 5] == 255 and img[0].min() == 255  # paper elsewhere
    drag(qtbot, pad, [(160, 40), (40, 160)])
    assert len(pad.strokes) == 2 and pad.image(100)[20, 80] < 128
    pad.undo()
    assert len(pad.strokes) == 1 and pad.image(100)[20, 80] == 255 and changes[-1] == 1
    pad.clear()
    assert pad.empty and changes[-1] == 0 and (pad.image() == 255).all()


def test_points_outside_the_square_stay_on_the_paper(qtbot):
    pad = DrawPad()
    qtbot.addWidget(pad)
    pad.resize(300, 200)  # the paper is the centred 198 px square
    pad.show()
    drag(qtbot, pad, [(5, 100), (295, 100)])
    xs = [p.x() for p in pad.strokes[0]]
    assert min(xs) == 0.0 and max(xs) == 1.0
