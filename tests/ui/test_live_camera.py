"""How faces are drawn: box colour, label and list row come from one result at one threshold."""

from __future__ import annotations

import numpy as np

from siamgui.core.compare import Verdict
from siamgui.media.faces import Box
from siamgui.tasks.live import FaceResult, FrameResult
from siamgui.ui.live_camera import DIFFERENT, DIMMED, SAME, WAITING, crop_around, face_marks, face_rows


def face(track, d=None, name=None, judged=False, message=""):
    emb = np.zeros(4, np.float32)
    v = None if d is None else Verdict(d, 0.4)
    return FaceResult(track, Box(10 * track, 0, 10, 10), embedding=emb, distance=d, smoothed=d, verdict=v,
                      name=name, judged=judged, message=message)


def test_identify_names_known_faces_and_says_unknown_at_the_panels_threshold():
    r = FrameResult(1, 0.0, 0.0, [face(1, 0.2, "Ada"), face(2, 0.6, "Grace"), face(3, message="too small")],
                    identify=True)
    marks = face_marks(r, 0.4)
    assert [(m.label, m.colour) for m in marks] == [("Ada  0.20", SAME), ("unknown", DIFFERENT), ("unknown", WAITING)]
    assert face_rows(r, 0.4) == ["Ada   0.200", "unknown   (nearest: Grace 0.600)", "—   too small"]
    moved = face_marks(r, 0.7)  # the user moved the threshold: boxes and rows follow, no new frame needed
    assert [m.colour for m in moved[:2]] == [SAME, SAME] and moved[1].label == "Grace  0.60"
    assert face_rows(r, 0.1)[0] == "unknown   (nearest: Ada 0.200)"


def test_verify_marks_the_judged_face_and_dims_the_others():
    others = face(2)
    others.embedding = None
    r = FrameResult(1, 0.0, 0.0, [face(1, 0.3, judged=True), others])
    judged, dimmed = face_marks(r, 0.4)
    assert judged.judged and judged.colour == SAME and judged.label == "✓ same  0.30"
    assert dimmed.dimmed and dimmed.colour == DIMMED and dimmed.label == "" and dimmed.track == 2
    assert face_marks(r, 0.2)[0].colour == DIFFERENT and r.verdict is r.faces[0].verdict
    assert face_marks(None, 0.4) == []


def test_crop_around_stays_inside_the_frame():
    frame = np.zeros((100, 200, 3), np.uint8)
    assert crop_around(frame, Box(90, 40, 20, 20), grow=0.5).shape == (40, 40, 3)
    assert crop_around(frame, Box(-5, -5, 20, 20), grow=0.5).shape[:2] == (25, 25)  # cut at the corner
