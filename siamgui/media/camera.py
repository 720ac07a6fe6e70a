"""Frame sources: a camera, or a video file standing in for one (tests, demos).

No Qt here: a source is read from a worker thread, never from the UI thread.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from siamgui.media import limits
from siamgui.media.errors import MediaError


class CameraError(MediaError):
    """A camera that cannot be opened or stopped delivering frames."""

    retry = True  # a device may come back (plugged in again, released by another program)


class VideoFileError(CameraError):
    """A file chosen as the camera that cannot be played: trying again will not change it."""

    retry = False


@dataclass(frozen=True)
class CameraInfo:
    id: str  # "0", "1", ... for devices, or a video file path
    name: str


def list_cameras() -> list[CameraInfo]:
    """Cameras the system reports, without opening them (opening one can take seconds)."""
    if sys.platform.startswith("linux"):
        found = []
        for dev in sorted(glob.glob("/dev/video*"), key=lambda p: int("0" + "".join(c for c in p if c.isdigit()))):
            idx = dev.removeprefix("/dev/video")
            if not idx.isdigit():
                continue
            name_file = Path(f"/sys/class/video4linux/video{idx}/name")
            name = name_file.read_text().strip() if name_file.exists() else f"Camera {idx}"
            # V4L2 lists metadata nodes too; capture nodes have index 0 in their device's group
            index_file = Path(f"/sys/class/video4linux/video{idx}/index")
            if index_file.exists() and index_file.read_text().strip() not in ("0", ""):
                continue
            found.append(CameraInfo(idx, f"{name} (/dev/video{idx})"))
        return found
    # other systems: probe the first few indices quickly
    found = []
    for i in range(3):
        cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append(CameraInfo(str(i), f"Camera {i}"))
        cap.release()
    return found


class CameraSource:
    """Frames from a device index or a video file; files loop at their own frame rate."""

    def __init__(self, source: str | int, width: int = 640, height: int = 480):
        self.source = str(source)
        self.is_file = not self.source.isdigit()
        self._first: np.ndarray | None = None  # a file's first frame, read at open to prove it plays
        if self.is_file:
            if Path(self.source).is_dir():
                raise VideoFileError(f"{self.source} is a folder, not a video file")
            if not Path(self.source).is_file():
                raise VideoFileError(f"video file not found: {self.source}")
            self.cap = cv2.VideoCapture(self.source)
            if self.cap.isOpened():  # its frame size is known once open, before any frame is decoded
                w, h = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
                if w * h > limits.MAX_VIDEO_PIXELS:
                    self.cap.release()
                    raise VideoFileError(f"{Path(self.source).name} has frames of {w}x{h} pixels, more than a "
                                         f"camera gives (at most {limits.MAX_VIDEO_PIXELS / 1e6:.1f} million pixels "
                                         "a frame): choose a smaller video")
            ok, first = self.cap.read() if self.cap.isOpened() else (False, None)
            if not ok or first is None:
                self.cap.release()
                raise VideoFileError(f"{Path(self.source).name} is not a video that can be played: choose a video "
                                     "file (MP4, AVI, MKV, MOV, WebM) to stand in for the camera")
            self._first = first
        else:
            api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
            self.cap = cv2.VideoCapture(int(self.source), api)
            if self.cap.isOpened():
                self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
                self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
                self.cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a backlog
        if not self.cap.isOpened():
            self.cap.release()
            what = self.source if self.is_file else f"camera {self.source}"
            raise CameraError(f"{what} could not be opened (unplugged, or busy in another program?)")
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 240 else 30.0
        self._next = time.perf_counter()

    def read(self) -> np.ndarray:
        """The next frame (BGR). Raises CameraError when the device stops delivering."""
        if self.is_file:
            now = time.perf_counter()  # pace a file like a live camera
            if self._next > now:
                time.sleep(self._next - now)
            self._next = max(self._next, now) + 1.0 / self.fps
        if self.is_file and self._first is not None:
            frame, self._first = self._first, None
            return frame
        ok, frame = self.cap.read()
        if not ok and self.is_file:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.cap.read()
        if not ok or frame is None:
            raise CameraError("the camera stopped delivering frames (unplugged?)")
        return frame

    def close(self) -> None:
        self.cap.release()

    def __enter__(self) -> "CameraSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def camera_from_env() -> str | None:
    """$SIAMGUI_CAMERA names a video file (or index) to use as the camera, for demos and tests."""
    return os.environ.get("SIAMGUI_CAMERA") or None
