"""A fake camera with several people: ORL faces composited into a 640x480 video.

Three enrolled people (ORL s1, s2, s3) and one stranger (s4):
- s1 walks left to right along the top, s2 right to left along the bottom (their paths cross);
- s3 stands in the middle, leaves the frame for a while and comes back;
- s4 (never enrolled) stands at the middle right.

The pictures shown are ORL's image 1 of each person; people are enrolled from images 2 and 3,
so the camera never shows a picture that is in the gallery.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT, shared_data

PEOPLE = {"s1": "Ada", "s2": "Grace", "s3": "Edsger"}  # enrolled; s4 is the stranger
STRANGER = "s4"
SCALE = 1.2  # ORL's 92x112 faces at about 110x134 px
AWAY = range(14, 26)  # frames in which s3 is out of view


def orl() -> Path:
    data = shared_data()
    root = data / "faces" / "orl" if data else None
    if root is None or not (root / "s1" / "1.pgm").is_file():
        pytest.skip("needs the ORL faces in ../shared/data/faces/orl (absent here)")
    return root


def face(root: Path, who: str, index: int = 1) -> np.ndarray:
    img = cv2.imread(str(root / who / f"{index}.pgm"))
    return cv2.resize(img, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_CUBIC)


def enrolment_files(root: Path) -> dict[str, list[Path]]:
    """Name -> the ORL pictures they are enrolled from (never the ones the camera shows)."""
    return {name: [root / who / "2.pgm", root / who / "3.pgm"] for who, name in PEOPLE.items()}


def crowd_frames(root: Path, frames: int = 40) -> list[np.ndarray]:
    """The frames, with who is where: see the module's docstring."""
    pics = {who: face(root, who) for who in (*PEOPLE, STRANGER)}
    fh, fw = pics["s1"].shape[:2]
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(70, 190, (480, 640, 3), dtype=np.uint8), (0, 0), 5)
    out = []
    for i in range(frames):
        img = background.copy()
        t = i / max(1, frames - 1)
        x1 = int(10 + t * (640 - fw - 20))  # s1 along the top, left to right
        x2 = int(640 - fw - 10 - t * (640 - fw - 20))  # s2 along the bottom, right to left
        spots = [("s1", x1, 8), ("s2", x2, 480 - fh - 8), (STRANGER, 470, 173)]
        if i not in AWAY:
            spots.append(("s3", 60, 173))
        for who, x, y in spots:
            img[y : y + fh, x : x + fw] = pics[who]
        out.append(img)
    return out


def crowd_video(path: Path, root: Path, frames: int = 40, fps: int = 10) -> Path:
    """The frames written with cv2.VideoWriter, for CameraSource (the fake camera) to play."""
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for img in crowd_frames(root, frames):
        out.write(img)
    out.release()
    return path


def shipped_face_encoder():
    """The shipped face model (naming people needs it), or a skip saying it is absent."""
    from siamgui import Encoder

    path = ROOT / "models" / "face.onnx"
    if not path.exists():
        pytest.skip("models/face.onnx is not in this checkout (naming people needs the trained model)")
    return Encoder.load(path, device="cpu")


def enrolled_gallery(path: Path, encoder, root: Path):
    """A gallery at ``path`` with the three crowd people enrolled from their pictures the camera never shows."""
    from siamgui.core.gallery import Gallery
    from siamgui.tasks.enrolment import enrol_files

    gallery = Gallery(path)
    for name, files in enrolment_files(root).items():
        enrol_files(gallery, encoder, name, files)
    return gallery
