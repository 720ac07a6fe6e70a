import cv2
import numpy as np
import pytest

from conftest import SAMPLES
from siamgui.media.camera import CameraError, CameraSource
from siamgui.media.face_tracker import FaceTracker


@pytest.fixture
def face_video(tmp_path):
    """A short video of the shipped portrait, panning a little: a fake camera."""
    face = cv2.imread(str(SAMPLES / "face" / "same_a.jpg"))
    h, w = face.shape[:2]
    face = cv2.resize(face, (w * 480 // h, 480))
    img = np.full((480, 640, 3), 90, np.uint8)
    x = (640 - face.shape[1]) // 2
    img[:, x : x + face.shape[1]] = face
    path = tmp_path / "cam.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for i in range(12):
        out.write(np.roll(img, i * 2, axis=1))
    out.release()
    return path


def test_video_file_stands_in_for_a_camera_and_loops(face_video):
    with CameraSource(face_video) as cam:
        frames = [cam.read() for _ in range(15)]  # more than the file holds: it loops
    assert all(f.shape == (480, 640, 3) for f in frames)


def test_missing_camera_is_a_clear_error(tmp_path):
    with pytest.raises(CameraError, match="not found"):
        CameraSource(tmp_path / "none.avi")
    with pytest.raises(CameraError, match="could not be opened"):
        CameraSource(99)


def test_tracker_searches_near_the_face_and_the_whole_frame_only_sometimes(face_video):
    tracker = FaceTracker(every=4)
    with CameraSource(face_video) as cam:
        results = [tracker.update(cam.read()) for _ in range(8)]
    boxes, full = zip(*results)
    assert all(b is not None for b in boxes)
    assert full[0] and full.count(True) < len(full)  # most frames pay only for a local search
    assert tracker.near_searches >= 5 and tracker.full_searches == full.count(True)
    first, last = boxes[0], boxes[-1]
    assert abs(first.x - last.x) < 0.3 * first.w and abs(first.w - last.w) < 0.3 * first.w  # the same face


def test_detect_near_finds_the_face_only_near_the_box(face_video):
    from siamgui.media.faces import Box, FaceDetector

    with CameraSource(face_video) as cam:
        frame = cam.read()
    det = FaceDetector()
    face = det.detect(frame)[0]
    near = det.detect_near(frame, face)
    assert near and abs(near[0].x - face.x) < 0.25 * face.w and abs(near[0].w - face.w) < 0.3 * face.w
    assert det.detect_near(frame, Box(0, 0, face.w, face.h)) == []  # a corner with no face


def test_a_folder_is_not_a_video_file(tmp_path):
    from siamgui.media.camera import CameraError, CameraSource

    with pytest.raises(CameraError, match="is a folder, not a video file"):
        CameraSource(str(tmp_path))


def test_a_video_with_frames_bigger_than_a_camera_gives_is_refused_before_decoding(tmp_path):
    """The frame size is read when the file opens, before a frame is decoded: a crafted video of
    huge frames never costs the gigabyte its first frame would."""
    from siamgui.media import limits
    from siamgui.media.camera import VideoFileError

    path = tmp_path / "huge.avi"
    w, h = 4160, 4100  # just over 4096 x 4096
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (w, h))
    out.write(np.zeros((h, w, 3), np.uint8))
    out.release()
    assert w * h > limits.MAX_VIDEO_PIXELS
    with pytest.raises(VideoFileError) as err:
        CameraSource(path)
    assert str(err.value) == (f"huge.avi has frames of {w}x{h} pixels, more than a camera gives (at most 16.8 "
                              "million pixels a frame): choose a smaller video")
    assert err.value.retry is False
