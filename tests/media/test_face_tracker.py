"""FaceTracker follows every face: stable track ids, a new id for a face that comes back."""

from __future__ import annotations

from crowd import AWAY, crowd_frames, orl
from siamgui.media.face_detect import default_cnn_detector
from siamgui.media.face_tracker import FaceTracker, iou
from siamgui.media.faces import Box


def test_iou():
    a = Box(0, 0, 10, 10)
    assert iou(a, a) == 1.0 and iou(a, Box(20, 20, 5, 5)) == 0.0
    assert abs(iou(a, Box(5, 0, 10, 10)) - 50 / 150) < 1e-9


def test_every_face_keeps_its_track_and_a_face_that_returns_gets_a_new_one():
    frames = crowd_frames(orl())
    tracker = FaceTracker(detector=default_cnn_detector(), max_faces=8)
    history = [tracker.update_all(f)[0] for f in frames]
    assert [len(t) for t in history[:AWAY.start]] == [4] * AWAY.start
    first_ids = {t.id for t in history[0]}
    # s3 stands at x=60: its track is the one whose box is on the left middle
    s3 = next(t.id for t in history[0] if t.box.x < 150 and 150 < t.box.y < 250)
    seen_again = next(i for i in range(AWAY.stop, len(history)) if len(history[i]) == 4)
    assert seen_again <= AWAY.stop + tracker.every  # found by the next whole-frame search
    after = history[seen_again]
    back = next(t for t in after if t.box.x < 150 and 150 < t.box.y < 250)
    assert back.id not in first_ids  # it left: a new track, never the old id on another face
    assert first_ids - {s3} <= {t.id for t in after}  # the others kept theirs through it all
    assert tracker.near_searches > tracker.full_searches  # tracked near the boxes most of the time


def test_max_faces_and_the_primary_face_stays_the_same():
    frames = crowd_frames(orl())
    tracker = FaceTracker(detector=default_cnn_detector(), max_faces=2)
    tracks, full = tracker.update_all(frames[0])
    assert full and len(tracks) == 2
    primary = tracker.primary.id
    for f in frames[1:6]:
        face, _ = tracker.update(f)
        assert tracker.primary.id == primary and face is tracker.primary.face


def test_follow_makes_another_face_the_primary_one():
    frames = crowd_frames(orl())
    tracker = FaceTracker(detector=default_cnn_detector(), max_faces=8)
    tracks, _ = tracker.update_all(frames[0])
    first = tracker.primary.id
    other = next(t.id for t in tracks if t.id != first)
    assert tracker.follow(other) and tracker.primary.id == other
    tracker.update_all(frames[1])
    assert tracker.primary.id == other  # it stays followed
    assert not tracker.follow(999) and tracker.primary.id == other
