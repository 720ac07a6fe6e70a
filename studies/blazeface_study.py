"""BlazeFace against MTCNN on the shared face sets: recall, the keypoint template, and which landmarks align better.

Three measurements, each printed with what it counted:

``recall``: the share of pictures (one face each) in which BlazeFace alone finds a face, and in
which the shipped detector (BlazeFace, then MTCNN's whole search when BlazeFace finds none) does,
next to MTCNN alone (run only where BlazeFace finds nothing: the union is then exact).

``template``: where BlazeFace's eyes, nose tip and mouth centre land on dlib's unit face square
when each face is aligned by MTCNN's five landmarks onto ``align.TEMPLATE`` (faces both find;
the mean of every other face, checked on the rest) -> ``blazeface.KEYPOINT_TEMPLATE``.

``align``: face verification with the face model on one set (default ORL): every same-person
pair and as many different-person pairs, embedded from chips aligned on (a) MTCNN's own
detection, (b) MTCNN's O-net landmarks on BlazeFace's box, (c) the same with O-net run twice
(the second time on its own box), (d) R-net then O-net on BlazeFace's box (MTCNN's cascade with
BlazeFace for P-net), (e) BlazeFace's keypoints; EER and AUC of each, on the
pictures where all of them found the face.

    PYTHONPATH=. nice -n 10 python -m studies.blazeface_study ../shared/data/faces recall template align
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from siamgui.media import align
from siamgui.media.blazeface import BlazeFaceDetector, KEYPOINT_TEMPLATE
from siamgui.media.face_detect import CnnFaceDetector
from siamgui.media.images import load_image

SETS = ("orl", "georgia_tech", "ar", "umist", "imm")
SUFFIXES = (".png", ".pgm", ".jpg")


def pictures(root: Path, name: str) -> list[Path]:
    return sorted(p for p in (root / name).rglob("*") if p.suffix.lower() in SUFFIXES)


def recall(root: Path, det: BlazeFaceDetector, mtcnn: CnnFaceDetector) -> None:
    print(f"{'set':14} {'n':>5} {'blazeface':>10} {'shipped':>9} {'mtcnn (on misses)':>18}")
    for name in SETS:
        files = pictures(root, name)
        alone = union = mt_on_miss = 0
        for p in files:
            img = load_image(p)
            if det.detect_own(img):
                alone += 1
                union += 1
            elif mtcnn.detect(img):
                union += 1
                mt_on_miss += 1
        n = max(len(files), 1)
        print(f"{name:14} {len(files):5d} {alone / n:10.1%} {union / n:9.1%} {mt_on_miss:18d}", flush=True)


def template(root: Path, det: BlazeFaceDetector, mtcnn: CnnFaceDetector, per_set: int) -> None:
    rows = []
    for name in SETS:
        files = pictures(root, name)
        for p in files[:: max(1, len(files) // per_set)][:per_set]:
            img = load_image(p)
            mine, theirs = det.keypoints(img), mtcnn.detect(img)
            if not mine or not theirs:
                continue
            box, _, kp = mine[0]
            c = theirs[0].landmarks.mean(0)
            if not (box.x <= c[0] <= box.x + box.w and box.y <= c[1] <= box.y + box.h):
                continue  # not the same face
            m = align.similarity(theirs[0].landmarks.astype(np.float64), align.TEMPLATE)  # image -> unit square
            k = kp[:4].astype(np.float64)
            if k[0, 0] > k[1, 0]:
                k = k[[1, 0, 2, 3]]
            rows.append(k @ m[:, :2].T + m[:, 2])
    rows = np.array(rows)
    fit, check = rows[0::2], rows[1::2]
    t = fit.mean(0)
    print(f"{len(rows)} faces found by both; template from every other face (mean), spread (std):")
    for label, (x, y), (sx, sy) in zip(("eye (left in image)", "eye (right in image)", "nose tip", "mouth centre"),
                                         t, fit.std(0)):
        print(f"  {label:22} {x:.4f} {y:.4f}   std {sx:.3f} {sy:.3f}")
    err = np.sqrt(((check - t) ** 2).sum(2)).mean()
    now = np.sqrt(((check - KEYPOINT_TEMPLATE) ** 2).sum(2)).mean()
    print(f"  held-out half ({len(check)} faces): mean distance to this template {err:.4f} "
          f"(to the shipped KEYPOINT_TEMPLATE {now:.4f}) of the unit square")


def verification(root: Path, set_name: str, mtcnn: CnnFaceDetector, model: str, seed: int = 0) -> None:
    from siamgui.core import metrics
    from siamgui.core.encoder import Encoder

    enc = Encoder.load(model, device="cpu")
    mod = enc.modality
    onet = BlazeFaceDetector(fallback=mtcnn, landmarks="onet")
    onet2 = BlazeFaceDetector(fallback=mtcnn, landmarks="onet", onet_passes=2)
    rnet = BlazeFaceDetector(fallback=mtcnn, landmarks="onet", rnet=True)
    keyp = BlazeFaceDetector(fallback=mtcnn, landmarks="keypoints")
    ways = {"mtcnn": [], "blazeface + O-net": [], "blazeface + O-net x2": [], "blazeface + R-net + O-net": [],
            "blazeface keypoints": []}
    labels = []
    skipped = 0
    for p in pictures(root, set_name):
        img = load_image(p)
        found = (mtcnn.detect(img), onet.detect_own(img), onet2.detect_own(img), rnet.detect_own(img),
                 keyp.detect_own(img))
        if not all(found):
            skipped += 1
            continue
        for key, faces in zip(ways, found):
            ways[key].append(enc.embed_prepared([mod.prepare_at(img, faces[0])])[0])
        labels.append(p.parent.name)
    labels = np.array(labels)
    rng = np.random.default_rng(seed)
    same = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels)) if labels[i] == labels[j]]
    diff = []
    while len(diff) < len(same):
        i, j = rng.integers(0, len(labels), 2)
        if labels[i] != labels[j]:
            diff.append((int(i), int(j)))
    pairs = same + diff
    truth = np.array([1] * len(same) + [0] * len(diff))
    print(f"{set_name}: {len(labels)} pictures where all found the face ({skipped} left out), "
          f"{len(same)} same + {len(diff)} different pairs; model {Path(model).name} ({enc.card.metric}):")
    for key, emb in ways.items():
        e = np.array(emb)
        d = np.array([enc.distance(e[i], e[j]) for i, j in pairs])
        rate, thr = metrics.eer(d, truth)
        print(f"  {key:22} EER {rate:.2%}  AUC {metrics.roc_auc(d, truth):.4f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studies.blazeface_study", description=__doc__.split("\n")[0])
    ap.add_argument("faces_dir")
    ap.add_argument("what", nargs="+", choices=("recall", "template", "align"))
    ap.add_argument("--per-set", type=int, default=60, help="pictures per set for the template")
    ap.add_argument("--set", default="orl", help="the set for the alignment comparison")
    ap.add_argument("--model", default="face", help="the face model for the alignment comparison")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    root = Path(args.faces_dir)
    mtcnn = CnnFaceDetector(threads=args.threads)
    det = BlazeFaceDetector(fallback=mtcnn, threads=args.threads)
    if "recall" in args.what:
        recall(root, det, mtcnn)
    if "template" in args.what:
        template(root, det, mtcnn, args.per_set)
    if "align" in args.what:
        verification(root, args.set, mtcnn, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
