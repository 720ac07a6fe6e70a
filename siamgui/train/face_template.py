"""Derive ``siamgui.media.align.TEMPLATE``: where MTCNN's five landmarks sit on dlib's face square.

dlib's face ResNet was trained on chips cut by ``get_face_chip`` from its own five points (eye
corners, nose base), which MTCNN does not give. On real faces, both landmark sets are found on
the same (identically preprocessed) picture; dlib's chip transform (the least-squares similarity
from its five points onto its fixed template, as ``get_face_chip_details`` does) maps MTCNN's
landmarks into dlib's chip, and their mean on the unit face square is the template. Half the
faces derive it, the other half check it: the mean absolute pixel difference between our chip
and dlib's chip of the same face, and the RMS distance (chip pixels) between where dlib's own
five points fall in our chip and where dlib puts them.

Needs dlib and face_recognition_models (development only, not app dependencies):

    PYTHONPATH=.:/path/to/dlib-target python -m siamgui.train.face_template ../shared/data/faces
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from siamgui.media import align
from siamgui.media.face_detect import CnnFaceDetector
from siamgui.media.faces import BORDER, DETECT_MIN_SIDE
from siamgui.media.images import load_image

SETS = ("orl", "imm", "umist", "ar", "georgia_tech")
# dlib's five points (get_face_chip_details, 5-point case) on its unit face square
DLIB5 = np.array([
    [0.8595674595992, 0.2134981538014],
    [0.6460604764104, 0.2289674387677],
    [0.1205750620789, 0.2137274526848],
    [0.3340850613712, 0.2290642403242],
    [0.4901123135679, 0.6277975316475],
])


def work_image(bgr: np.ndarray) -> np.ndarray:
    """The picture both detectors see: small crops upscaled and given a replicated border, as
    the app's detectors do, so dlib's HOG (80 px faces) finds faces in 30x40 crops too."""
    h, w = bgr.shape[:2]
    if min(h, w) >= DETECT_MIN_SIDE:
        return bgr
    s = DETECT_MIN_SIDE / min(h, w)
    big = cv2.resize(bgr, (round(w * s), round(h * s)), interpolation=cv2.INTER_LINEAR)
    pad = int(BORDER * max(big.shape[:2]))
    return cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def sample_files(root: Path, per_set: int) -> list[Path]:
    out = []
    for name in SETS:
        files = sorted(p for p in (root / name).rglob("*") if p.suffix.lower() in (".png", ".pgm", ".jpg"))
        step = max(1, len(files) // per_set)
        out += files[::step][:per_set]
    return out


def pairs(files: list[Path], size: int, padding: float):
    """(work image, dlib shape, dlib's 5 points, MTCNN's 5 points) for faces both find."""
    import importlib.util

    import dlib

    # the package's __init__ needs pkg_resources; only its data file is wanted
    spec = importlib.util.find_spec("face_recognition_models")
    models = Path(list(spec.submodule_search_locations)[0]) / "models"
    hog = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    det = CnnFaceDetector()
    for path in files:
        bgr = work_image(load_image(path))
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        rects = sorted(hog(rgb, 0), key=lambda r: r.area(), reverse=True)
        faces = det.detect(bgr)
        if not rects or not faces:
            continue
        shape = sp(rgb, rects[0])
        d5 = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float64)
        m5 = faces[0].landmarks.astype(np.float64)
        c = m5.mean(0)
        r = rects[0]
        if not (r.left() <= c[0] <= r.right() and r.top() <= c[1] <= r.bottom()):
            continue  # not the same face
        yield path, bgr, rgb, shape, d5, m5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m siamgui.train.face_template", description=__doc__.split("\n")[0])
    ap.add_argument("faces_dir", help="the shared faces folder (orl, imm, umist, ar, georgia_tech inside)")
    ap.add_argument("--per-set", type=int, default=60)
    ap.add_argument("--size", type=int, default=150)
    ap.add_argument("--padding", type=float, default=0.25)
    args = ap.parse_args(argv)
    try:
        import dlib
    except ImportError:
        print("needs dlib (pip install dlib-bin face_recognition_models into a private target)", file=sys.stderr)
        return 2
    size, pad = args.size, args.padding
    dlib_px = (DLIB5 + pad) / (1 + 2 * pad) * size
    files = sample_files(Path(args.faces_dir), args.per_set)
    rows = list(pairs(files, size, pad))
    print(f"{len(rows)} faces found by both detectors out of {len(files)} pictures")
    norm = []
    for _, _, _, _, d5, m5 in rows:
        t = align.similarity(d5, dlib_px)  # dlib's image -> chip transform
        norm.append(align.apply(t, m5) / size * (1 + 2 * pad) - pad)
    norm = np.array(norm)
    fit = norm[0::2]  # the odd half checks it below
    template = fit.mean(0)
    print("template (fit half, mean):\n" + np.array2string(template, precision=4))
    print("spread (std, unit square):\n" + np.array2string(fit.std(0), precision=4))
    print("template (all faces, mean):\n" + np.array2string(norm.mean(0), precision=4))
    diffs, rms, base, moved = [], [], [], []
    for (path, bgr, rgb, shape, d5, m5) in rows[1::2]:
        ref = np.asarray(dlib.get_face_chip(rgb, shape, size=size, padding=pad)).astype(np.float32)
        ours, m = align.warp(bgr, m5, size, pad, template)
        same, _ = align.warp(bgr, d5, size, pad, DLIB5)  # our sampler on dlib's own points
        diffs.append(np.abs(ours.astype(np.float32) - ref).mean())
        moved.append(np.abs(ref[2:, 2:] - ref[:-2, :-2]).mean())
        base.append(np.abs(same.astype(np.float32) - ref).mean())
        where = align.apply(align.chip_matrix(d5, size, pad, DLIB5), d5)  # dlib's points in dlib's chip
        rms.append(np.sqrt(((align.apply(m, d5) - where) ** 2).sum(1).mean()))
    print(f"held-out half ({len(diffs)} faces), chips {size}px padding {pad}:")
    print(f"  mean abs pixel difference, our chip vs dlib's: median {np.median(diffs):.2f}, mean {np.mean(diffs):.2f} (0-255)")
    print(f"  same, our sampler on dlib's own points (sampling floor): median {np.median(base):.2f}")
    print(f"  for scale, dlib's chip against itself moved by 2 px right and down: median {np.median(moved):.2f}")
    print(f"  dlib's 5 points in our chip vs in dlib's: RMS median {np.median(rms):.2f} px, mean {np.mean(rms):.2f} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
