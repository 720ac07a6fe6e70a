"""Compare face detectors: recall on the shared face sets and milliseconds per 640x480 frame.

Recall is the share of pictures in which a detector finds at least one face (every picture of
each set holds exactly one). The detectors: ``CnnFaceDetector`` (MTCNN, onnxruntime), the Haar
cascade (``faces.FaceDetector``), and, when dlib is importable, dlib's HOG detector on the
picture the other two search (small crops upscaled with a replicated border, see
``face_template.work_image``). Timings are medians on a 640x480 frame with one face pasted in.

    PYTHONPATH=.:/path/to/dlib-target nice -n 10 python -m studies.detector_bench ../shared/data/faces
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from siamgui.media.face_detect import CnnFaceDetector
from siamgui.media.faces import FaceDetector
from siamgui.media.images import load_image

SETS = ("orl", "georgia_tech", "ar", "umist", "imm")
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "face" / "same_a.jpg"


def test_frame(sample: Path = SAMPLE) -> np.ndarray:
    """A 640x480 BGR frame: the sample photo enlarged 1.5x (face about 130 px) on a blurred noise
    background, so the whole-frame search has texture to reject."""
    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (0, 0), 3)
    face = cv2.resize(load_image(sample), None, fx=1.5, fy=1.5, interpolation=cv2.INTER_LINEAR)
    h, w = face.shape[:2]
    frame[15:15 + h, 80:80 + w] = face
    return frame


def timing(fn, runs: int) -> str:
    """'median M ms (min m)' over ``runs`` calls after one warm-up (min: the figure least
    disturbed by other work on a shared machine)."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return f"median {statistics.median(times):.1f} ms (min {min(times):.1f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studies.detector_bench", description=__doc__.split("\n")[0])
    ap.add_argument("faces_dir")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--skip-recall", action="store_true")
    args = ap.parse_args(argv)
    cnn, haar = CnnFaceDetector(threads=args.threads), FaceDetector()
    try:
        import dlib

        from siamgui.train.face_template import work_image

        hog = dlib.get_frontal_face_detector()

        def hog_found(bgr: np.ndarray) -> bool:
            return len(hog(np.ascontiguousarray(work_image(bgr)[:, :, ::-1]), 0)) > 0
    except ImportError:
        hog_found = None
    if not args.skip_recall:
        print(f"{'set':14} {'n':>5} {'cnn':>7} {'haar':>7} {'dlib hog':>9}")
        for name in SETS:
            files = sorted(p for p in (Path(args.faces_dir) / name).rglob("*")
                           if p.suffix.lower() in (".png", ".pgm", ".jpg"))
            hits = np.zeros(3)
            for p in files:
                img = load_image(p)
                hits += (bool(cnn.detect(img)), bool(haar.detect(img)), bool(hog_found and hog_found(img)))
            r = hits / max(len(files), 1)
            print(f"{name:14} {len(files):5d} {r[0]:7.1%} {r[1]:7.1%} " + (f"{r[2]:9.1%}" if hog_found else "        -"),
                  flush=True)
    frame = test_frame()
    faces = cnn.detect(frame)
    boxes = haar.detect(frame)
    print(f"640x480 frame: cnn finds {len(faces)} face(s) {[f.box.as_int() for f in faces]}, "
          f"haar {len(boxes)} {[b.as_int() for b in boxes]}")
    if faces:
        print(f"cnn whole frame: {timing(lambda: cnn.detect(frame), args.runs)}; "
              f"detect_near: {timing(lambda: cnn.detect_near(frame, faces[0].box), args.runs * 2)} "
              f"(onnxruntime {args.threads} threads)")
    if boxes:
        print(f"haar whole frame: {timing(lambda: haar.detect(frame), args.runs)}; "
              f"detect_near: {timing(lambda: haar.detect_near(frame, boxes[0]), args.runs * 2)}")
    if hog_found:
        rgb = np.ascontiguousarray(frame[:, :, ::-1])
        print(f"dlib hog whole frame (no upsampling): {timing(lambda: hog(rgb, 0), args.runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
