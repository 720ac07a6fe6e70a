import threading
import time

import cv2
import numpy as np
import pytest

from conftest import SAMPLES, tone
from onnx_factory import carded_model
from siamgui import Encoder
from siamgui.media.camera import CameraSource
from siamgui.media.microphone import FileMicrophone
from siamgui.tasks.live import CameraLoop, FaceVerifier, LatestSlot, MicrophoneLoop, Smoother, VoiceVerifier


def test_latest_slot_keeps_only_the_newest():
    slot = LatestSlot()
    for i in range(5):
        slot.put(i)
    assert slot.take(0.1) == 4 and slot.replaced == 4 and slot.take(0.01) is None


def test_smoother_is_a_running_median():
    s = Smoother(3)
    assert [s.add(v) for v in (1.0, 9.0, 2.0, 3.0)] == [1.0, 5.0, 2.0, 3.0]


@pytest.fixture
def face_model(tmp_path):
    return Encoder.load(carded_model(tmp_path / "facetest.onnx", {"kind": "face", "size": 64}, threshold=0.2))


def portrait_frame(name="same_a.jpg", shift=0):
    face = cv2.imread(str(SAMPLES / "face" / name))
    h, w = face.shape[:2]
    face = cv2.resize(face, (w * 480 // h, 480))
    img = np.full((480, 640, 3), 90, np.uint8)
    x = (640 - face.shape[1]) // 2 + shift
    img[:, x : x + face.shape[1]] = face
    return img


def test_face_verifier_same_and_different_reference(face_model):
    v = FaceVerifier(face_model, smoothing=1, detect_every=1)
    first = v.process(portrait_frame())
    assert first.box is not None and first.message == "no reference" and first.crop.shape == (64, 64)
    v.set_reference(first.embedding)
    same = v.process(portrait_frame(shift=4))
    assert same.verdict.same
    other = v.process(portrait_frame("diff_b.jpg"))
    assert other.distance > same.distance
    for _ in range(v.tracker.max_misses):  # the tracker bridges a few missed detections, then lets go
        blank = v.process(np.full((480, 640, 3), 90, np.uint8))
    assert blank.verdict is None and blank.message == "no face in view"


def test_camera_loop_end_to_end_on_a_video_file(face_model, tmp_path):
    path = tmp_path / "cam.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for i in range(10):
        out.write(portrait_frame(shift=i))
    out.release()
    verifier = FaceVerifier(face_model)
    verifier.set_reference(face_model.embed(SAMPLES / "face" / "same_a.jpg")[0])
    frames, results, errors = [], [], []
    got = threading.Event()

    def on_result(r):
        results.append(r)
        if len(results) >= 5:
            got.set()

    loop = CameraLoop(lambda: CameraSource(path), verifier, lambda f, s: frames.append(s), on_result, errors.append)
    loop.start()
    assert got.wait(30), f"no results; errors: {errors}"
    loop.stop()
    assert not loop.running and not errors
    assert all(r.seq <= frames[-1] for r in results)
    seqs = [r.seq for r in results]
    assert seqs == sorted(seqs)
    judged = [r for r in results if r.verdict is not None]
    assert judged and all(r.done >= r.captured for r in judged)


def test_camera_loop_reports_a_missing_camera_and_keeps_trying(face_model):
    errors = []
    loop = CameraLoop(lambda: CameraSource(99), FaceVerifier(face_model), lambda *a: None, lambda r: None,
                      errors.append, retry_s=0.1)
    loop.start()
    time.sleep(0.5)
    loop.stop()
    assert len(errors) >= 2 and "could not be opened" in errors[0]


def test_voice_loop_judges_utterances_and_reports_silence(tmp_path):
    enc = Encoder.load(carded_model(tmp_path / "a.onnx", {"kind": "logmel"}, threshold=0.05))
    import soundfile as sf

    rate = 16000
    speech = sf.read(str(tone(tmp_path / "t.wav", seconds=1.5)))[0]
    sf.write(str(tmp_path / "stream.wav"), np.r_[np.zeros(rate // 2), speech, np.zeros(rate)].astype(np.float32), rate)
    verifier = VoiceVerifier(enc)
    verifier.set_reference(enc.embed(tmp_path / "t.wav")[0])
    results, levels, errors = [], [], []
    loop = MicrophoneLoop(lambda: FileMicrophone(tmp_path / "stream.wav", speed=20), verifier,
                          lambda c, lvl, voice: levels.append((lvl, voice)), results.append, errors.append)
    loop.start()
    deadline = time.time() + 20
    while time.time() < deadline and not any(r.kind == "utterance" for r in results):
        time.sleep(0.05)
    loop.stop()
    utt = [r for r in results if r.kind == "utterance"]
    assert utt and utt[0].verdict.same, utt and utt[0].distance
    assert not errors
    assert any(not voice for _, voice in levels) and any(voice for _, voice in levels)


def test_camera_loop_says_once_that_a_file_is_not_a_video_and_ends(face_model, tmp_path):
    bogus = tmp_path / "notes.avi"
    bogus.write_text("not a video")
    errors, ended = [], []
    loop = CameraLoop(lambda: CameraSource(str(bogus)), FaceVerifier(face_model), lambda *a: None, lambda r: None,
                      errors.append, retry_s=0.05, on_end=ended.append)
    loop.start()
    deadline = time.time() + 5
    while time.time() < deadline and not ended:
        time.sleep(0.02)
    time.sleep(0.3)  # a retrying loop would have said it again by now
    assert len(errors) == 1 and "notes.avi is not a video that can be played" in errors[0]
    assert "retrying" not in errors[0] and ended == errors
    loop.stop()
    assert not loop.running


def test_voice_verifier_names_the_speaker_from_the_gallery_people(tmp_path):
    from siamgui.tasks.live import PeopleSnapshot

    enc = Encoder.load(carded_model(tmp_path / "a.onnx", {"kind": "logmel"}, threshold=0.05))
    said = enc.embed(tone(tmp_path / "t.wav", seconds=1.5))[0]
    other = enc.embed(tone(tmp_path / "o.wav", freqs=(5000.0, 7000.0), seconds=1.5))[0]
    people = PeopleSnapshot(np.array([1, 2]), np.stack([said, other]), (1, 2), ("Ada", "Tone"), enc.card.metric)
    v = VoiceVerifier(enc)
    from siamgui.media.audio import load_audio

    v.set_identify(True, people)
    r = v.judge(load_audio(tmp_path / "t.wav"), "utterance")
    assert r.identify and r.name == "Ada" and r.verdict.same and [n for n, _ in r.matches] == ["Ada", "Tone"]
    v.set_identify(True, None)
    r = v.judge(load_audio(tmp_path / "t.wav"), "utterance")
    assert r.verdict is None and r.message == "the gallery has nobody enrolled with this model"


def test_a_result_says_which_settings_it_was_judged_with(face_model):
    v = FaceVerifier(face_model, smoothing=3, detect_every=1)
    first = v.process(portrait_frame())
    assert first.generation == v.generation and first.message == "no reference"
    v.set_reference(first.embedding)  # a result judged before this belongs to the old reference
    assert v.generation == first.generation + 1
    again = v.process(portrait_frame(shift=2))
    assert again.generation == v.generation and again.verdict.same and len(v.smoother.values) == 1
    v.set_identify(True, None)
    assert v.process(portrait_frame()).identify and v.generation == first.generation + 2


def test_people_snapshot_gives_each_person_their_nearest_sample():
    from siamgui.core.compare import distance
    from siamgui.tasks.live import PeopleSnapshot

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(7, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    pids = [5, 2, 5, 9, 2, 2, 9]  # rows of three people, interleaved as a gallery stores them
    names = ["E", "B", "E", "I", "B", "B", "I"]
    snap = PeopleSnapshot.from_matrix((np.arange(7), np.array(pids), names, vecs), "cosine")
    assert snap.names == ("E", "B", "I") and len(snap) == 3
    faces = rng.normal(size=(2, 8)).astype(np.float32)
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    got = snap.distances(faces)
    for f in range(2):
        for col, pid in enumerate((5, 2, 9)):
            rows = [i for i, p in enumerate(pids) if p == pid]
            assert got[f, col] == pytest.approx(min(distance(faces[f], vecs[i], "cosine") for i in rows), abs=1e-5)
    empty = PeopleSnapshot.from_matrix((np.zeros(0), np.zeros(0, int), [], np.zeros((0, 8))), "cosine")
    assert len(empty) == 0
