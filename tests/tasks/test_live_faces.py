"""Every face in the frame: tracked, embedded in one batch, named per track (Live's Identify)."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from crowd import AWAY, PEOPLE, crowd_frames, enrolled_gallery, orl, shipped_face_encoder
from siamgui.tasks.enrolment import scope_of
from siamgui.bench.figures import crowd_frame, time_identify
from siamgui.tasks.live import FaceVerifier, PeopleSnapshot


@pytest.fixture(scope="module")
def face_encoder():
    return shipped_face_encoder()


@pytest.fixture
def people(face_encoder, tmp_path):
    root = orl()
    gallery = enrolled_gallery(tmp_path / "g.db", face_encoder, root)
    snap = PeopleSnapshot.from_matrix(gallery.matrix(face_encoder.model_hash, scope_of(face_encoder)), face_encoder.card.metric)
    gallery.close()
    return root, snap


def test_every_face_is_named_on_its_own_track_and_names_never_jump(face_encoder, people):
    root, snap = people
    assert sorted(snap.names) == sorted(PEOPLE.values())
    v = FaceVerifier(face_encoder)
    v.set_identify(True, snap)
    results = [v.process(f, seq=i) for i, f in enumerate(crowd_frames(root))]
    named_per_frame = [{f.label for f in r.faces if f.label and f.label != "unknown"} for r in results]
    assert max(len(n) for n in named_per_frame) == 3, named_per_frame  # several people named in one frame
    assert all(r.identify and len(r.faces) <= 4 for r in results)
    labels: dict[int, list[str]] = defaultdict(list)
    for r in results[4:]:  # past the first few frames, every face's window is full
        for f in r.faces:
            labels[f.track].append(f.label)
    for track, seen in labels.items():
        assert len(set(seen)) == 1, (track, Counter(seen))  # no flicker, no jump to another face
    final = {label for label in (seen[0] for seen in labels.values())}
    assert {"Ada", "Grace", "Edsger", "unknown"} == final  # the stranger stays unknown
    edsger = [t for t, seen in labels.items() if seen[0] == "Edsger"]
    assert len(edsger) == 2  # left and came back: a new track, named again
    gone = results[AWAY.start + v.tracker.max_misses + 1]
    assert "Edsger" not in {f.label for f in gone.faces}


def test_one_batch_per_frame_and_verify_judges_one_face(face_encoder, people, monkeypatch):
    root, snap = people
    frame = crowd_frames(root)[0]
    batches = []
    real = face_encoder.embed_prepared
    monkeypatch.setattr(face_encoder, "embed_prepared", lambda items: batches.append(len(items)) or real(items))
    v = FaceVerifier(face_encoder)
    v.set_identify(True, snap)
    r = v.process(frame)
    assert batches == [4] and len(r.faces) == 4  # every face aligned and embedded in ONE batch
    v.set_identify(False)
    v.set_reference(snap.vecs[0])
    batches.clear()
    r = v.process(frame)
    judged = [f for f in r.faces if f.judged]
    assert batches == [1] and len(judged) == 1 and len(r.faces) == 4  # the others are boxed, not judged
    assert judged[0] is r.main and r.verdict is judged[0].verdict and all(f.verdict is None for f in r.faces
                                                                          if not f.judged)
    again = v.process(crowd_frames(root)[1])
    assert [f.track for f in again.faces if f.judged] == [judged[0].track]  # the same face stays judged


def test_an_empty_gallery_says_so_and_boxes_every_face(face_encoder, people):
    root, _ = people
    v = FaceVerifier(face_encoder)
    v.set_identify(True, None)
    r = v.process(crowd_frames(root)[0])
    assert r.message == "the gallery has nobody enrolled with this model" and len(r.faces) == 4
    assert all(f.box is not None and f.embedding is not None and f.verdict is None for f in r.faces)


def test_time_identify_measures_three_faces(face_encoder, people):
    root, _ = people
    from crowd import face

    frame = crowd_frame([face(root, w) for w in ("s1", "s2", "s3")])
    out = time_identify(face_encoder, frame, frames=5)
    assert out["faces"] == 3 and out["named"] == 3 and out["fps"] > 0 and out["mean_ms"] > 0
