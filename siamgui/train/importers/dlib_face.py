"""Import dlib's face recognition ResNet as a SiamGUI encoder: ``siamgui-train import dlib-face``.

The weights are Davis King's ``dlib_face_recognition_resnet_model_v1.dat`` (public domain, CC0),
as shipped inside the PyPI package ``face_recognition_models`` 0.3.0. This module finds the file
(an installed package, a file or archive the user names, or -- only when the user runs the import
command -- ``pip download`` of that sdist into the user cache), parses it with our own reader
(:mod:`dlib_serial`), rebuilds the net in torch (:mod:`dlib_resnet`), exports ONNX and writes the
model card. Nothing here runs when the app starts.

The exported model takes aligned 150x150 RGB chips as float32 0..255, shape (N, 3, 150, 150)
(dlib's ``get_face_chip(img, shape, size=150, padding=0.25)`` alignment), and returns dlib's raw
128-d descriptors (N, 128); the mean subtraction and /256 scaling happen inside the graph.

:func:`embed_chips` runs such a file on chips without torch; :func:`parity_vs_dlib` compares it
with dlib itself (when ``dlib`` is importable).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

PACKAGE = "face_recognition_models"
VERSION = "0.3.0"
DAT_NAME = "dlib_face_recognition_resnet_model_v1.dat"
SP5_NAME = "shape_predictor_5_face_landmarks.dat"
DAT_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
SIZE, PADDING = 150, 0.25
DLIB_THRESHOLD = 0.6  # dlib's decision distance on raw descriptors
NORMALISED_THRESHOLD = 0.4125  # matches dlib's 0.6 best on 200 shared faces (see import report)
PREPROCESS = {"kind": "face_aligned", "size": SIZE, "padding": PADDING, "channels": 3, "input": "rgb_0_255"}
CREDIT = ("dlib_face_recognition_resnet_model_v1 was created and trained by Davis E. King (dlib, "
          "http://dlib.net, github.com/davisking/dlib-models), who released it into the public domain; "
          "packaged as face_recognition_models 0.3.0 by Adam Geitgey under CC0 1.0 Universal")

Log = Callable[[str], None]


class DlibImportError(Exception):
    """A problem the user can fix (no network, a wrong file), said in one sentence."""


# --- getting the .dat ------------------------------------------------------------------------

def cache_dir() -> Path:
    """Where downloaded archives are kept: the user cache, never the app's data."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("siamgui")) / "importers"


def installed_models_dir() -> Path | None:
    """``face_recognition_models/models`` of an installed package (found without importing it:
    its ``__init__`` needs pkg_resources, which new Pythons lack)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        d = Path(loc) / "models"
        if (d / DAT_NAME).is_file():
            return d
    return None


def _archive_member(archive: Path, name: str) -> bytes:
    try:
        with tarfile.open(archive) as tar:
            for m in tar:
                if m.isfile() and m.name.endswith("/models/" + name):
                    f = tar.extractfile(m)
                    if f is not None:
                        return f.read()
    except (tarfile.TarError, OSError) as exc:
        raise DlibImportError(f"{archive.name}: not a readable tar archive ({exc})") from None
    raise DlibImportError(f"{archive.name}: has no models/{name} (is it {PACKAGE} {VERSION}?)")


def cached_archive() -> Path | None:
    hits = sorted(cache_dir().glob(f"{PACKAGE}-{VERSION}.tar.gz")) if cache_dir().is_dir() else []
    return hits[0] if hits else None


def download_archive(log: Log = print) -> Path:
    """``pip download`` the sdist (PyPI serves only the .tar.gz, ~100 MB) into the user cache."""
    dest = cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    log(f"downloading {PACKAGE}=={VERSION} (about 100 MB) into {dest} ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", f"{PACKAGE}=={VERSION}", "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    found = cached_archive()
    if proc.returncode != 0 or found is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DlibImportError(f"could not download {PACKAGE}=={VERSION} with pip ({tail[0][:200]}); "
                              f"install it (pip install {PACKAGE}) or pass --dat / --archive")
    return found


@dataclass
class Source:
    """The .dat bytes and where they came from (for the card)."""

    data: bytes
    origin: str


def obtain(dat: str | Path | None = None, archive: str | Path | None = None, download: bool = True,
           log: Log = print) -> Source:
    """The ResNet .dat: a named file or archive, else the installed package, else the cached or
    (when ``download``) freshly downloaded sdist. Checked against the known SHA-256 unless the
    user named a file."""
    if dat is not None:
        p = Path(dat)
        if not p.is_file():
            raise DlibImportError(f"{p}: no such file")
        return Source(p.read_bytes(), f"file {p.name}")
    if archive is not None:
        p = Path(archive)
        if not p.is_file():
            raise DlibImportError(f"{p}: no such file")
        return _checked(Source(_archive_member(p, DAT_NAME), f"archive {p.name}"))
    models = installed_models_dir()
    if models is not None:
        return _checked(Source((models / DAT_NAME).read_bytes(), f"installed {PACKAGE}"))
    arch = cached_archive()
    if arch is None:
        if not download:
            raise DlibImportError(f"{PACKAGE} is not installed and not in {cache_dir()}; "
                                  "run without --no-download, or pass --dat / --archive")
        arch = download_archive(log)
    return _checked(Source(_archive_member(arch, DAT_NAME), f"downloaded {arch.name}"))


def _checked(src: Source) -> Source:
    digest = hashlib.sha256(src.data).hexdigest()
    if digest != DAT_SHA256:
        raise DlibImportError(f"{DAT_NAME} from {src.origin} has SHA-256 {digest[:12]}..., expected "
                              f"{DAT_SHA256[:12]}... (a different or damaged file; pass it with --dat to force)")
    return src


def shape_predictor_path(log: Log = print) -> Path | None:
    """The 5-point landmark model dlib's alignment needs (installed, or extracted from the cache)."""
    models = installed_models_dir()
    if models is not None and (models / SP5_NAME).is_file():
        return models / SP5_NAME
    arch = cached_archive()
    if arch is None:
        return None
    out = cache_dir() / f"{PACKAGE}-{VERSION}" / SP5_NAME
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(_archive_member(arch, SP5_NAME))
    return out


# --- conversion ------------------------------------------------------------------------------

def convert(data: bytes):
    """The torch module (eval mode) holding the weights of the dlib file ``data``."""
    from siamgui.train.importers.dlib_resnet import from_dlib
    from siamgui.train.importers.dlib_serial import parse_net

    return from_dlib(parse_net(data))


def export_onnx(model, path: str | Path) -> Path:
    """fp32 ONNX, opset 17, input ``input`` (N, 3, 150, 150) RGB 0..255, output ``embedding`` (N, 128)."""
    from siamgui.train.export import to_onnx

    return to_onnx(model, (3, SIZE, SIZE), path)


def to_fp16_weights(src: str | Path, dst: str | Path, min_size: int = 1024) -> Path:
    """A copy of ``src`` whose large weights are stored as float16 and cast back to float32 in the
    graph: half the file, arithmetic still fp32 (so any CPU runs it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    casts = []
    for init in g.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_size:
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT, name=name + "_cast"))
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return Path(dst)


# --- using the exported file -------------------------------------------------------------------

def session(path: str | Path, threads: int = 2):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def chips_to_input(chips: Sequence[np.ndarray]) -> np.ndarray:
    """Aligned uint8 RGB chips (150, 150, 3) -> the model's (N, 3, 150, 150) float32 0..255."""
    arr = np.stack([np.asarray(c) for c in chips])
    if arr.ndim != 4 or arr.shape[1:] != (SIZE, SIZE, 3):
        raise DlibImportError(f"expected aligned RGB chips of shape (150, 150, 3), got {arr.shape[1:]}")
    return np.ascontiguousarray(arr.transpose(0, 3, 1, 2), dtype=np.float32)


def embed_chips(model: str | Path | Any, chips: Sequence[np.ndarray], batch: int = 32,
                threads: int = 2) -> np.ndarray:
    """dlib descriptors (N, 128), raw (not normalised), for aligned 150x150 RGB uint8 chips.

    ``model``: the exported .onnx path or an onnxruntime session. For the integrator: chips must
    be aligned as ``dlib.get_face_chip(img, shape, size=150, padding=0.25)`` aligns them, in RGB.
    """
    sess = session(model, threads) if isinstance(model, (str, Path)) else model
    name = sess.get_inputs()[0].name
    out = [sess.run(None, {name: chips_to_input(chips[i:i + batch])})[0] for i in range(0, len(chips), batch)]
    return np.concatenate(out) if out else np.zeros((0, 128), np.float32)


# --- checking against dlib ----------------------------------------------------------------------

def dlib_available() -> bool:
    return importlib.util.find_spec("dlib") is not None


def face_files(roots: Iterable[str | Path], per_class: int = 5) -> list[tuple[Path, str]]:
    """Up to ``per_class`` image files of every class folder under each root (evenly spaced in
    name order, so pose series are sampled across), with their ``root/class`` labels,
    interleaved across roots so any prefix mixes the data sets."""
    lists = []
    for root in map(Path, roots):
        classes = sorted(d for d in root.iterdir() if d.is_dir()) if root.is_dir() else []
        items = []
        for c in classes:
            fs = [f for f in sorted(c.iterdir()) if f.suffix.lower() in (".png", ".pgm", ".jpg", ".jpeg")]
            step = max(1, len(fs) // per_class)
            items += [(f, f"{root.name}/{c.name}") for f in fs[::step][:per_class]]
        lists.append(items)
    out = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out


def dlib_chips(files: Sequence[tuple[Path, str]], sp_path: str | Path, limit: int = 200
               ) -> tuple[list[np.ndarray], list[str]]:
    """Aligned chips made by dlib itself: HOG detector (upsampled once, twice if that finds
    nothing), 5 landmarks, ``get_face_chip(size=150, padding=0.25)``. Grey images become RGB."""
    import cv2
    import dlib

    det = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(str(sp_path))
    chips, labels = [], []
    for path, label in files:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            continue
        rgb = np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        dets = det(rgb, 1) or det(rgb, 2)
        if not dets:
            continue
        box = max(dets, key=lambda r: r.area())
        chips.append(np.asarray(dlib.get_face_chip(rgb, sp(rgb, box), size=SIZE, padding=PADDING)))
        labels.append(label)
        if len(chips) >= limit:
            break
    return chips, labels


def dlib_descriptors(chips: Sequence[np.ndarray], dat_path: str | Path) -> np.ndarray:
    """dlib's own ``compute_face_descriptor`` on already aligned chips (its chip overload)."""
    import dlib

    rec = dlib.face_recognition_model_v1(str(dat_path))
    return np.array([np.asarray(rec.compute_face_descriptor(np.ascontiguousarray(c))) for c in chips], np.float32)


def parity_vs_dlib(onnx_path: str | Path, chips: Sequence[np.ndarray], dat_path: str | Path) -> dict[str, float]:
    """Max and mean |dlib - ours| over the descriptors of ``chips`` (dlib must be importable)."""
    ref = dlib_descriptors(chips, dat_path)
    got = embed_chips(onnx_path, chips)
    diff = np.abs(ref - got)
    return {"max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()), "chips": len(chips)}


def pair_report(emb: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Same / different pairs judged on raw euclidean (dlib's 0.6) and on L2-normalised euclidean
    (what SiamGUI's Encoder measures): accuracies, and the normalised threshold that agrees best
    with dlib's own 0.6 decisions."""
    lab = np.asarray(labels)
    iu = np.triu_indices(len(lab), 1)
    same = (lab[:, None] == lab[None, :])[iu]
    raw = np.linalg.norm(emb[:, None] - emb[None], axis=-1)[iu]
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    nrm = np.linalg.norm(unit[:, None] - unit[None], axis=-1)[iu]

    def acc(d: np.ndarray, t: float) -> float:  # balanced: mean of same-recall and different-recall
        return float(((d[same] <= t).mean() + (d[~same] > t).mean()) / 2)

    def best(d: np.ndarray) -> tuple[float, float]:
        cands = np.unique(np.round(d, 4))
        scores = [acc(d, t) for t in cands]
        i = int(np.argmax(scores))
        return float(cands[i]), float(scores[i])

    dlib_says = raw <= DLIB_THRESHOLD
    cands = np.round(np.arange(0.2, 0.8, 0.0025), 4)
    agree = [float(((nrm <= t) == dlib_says).mean()) for t in cands]
    k = int(np.argmax(agree))
    norms = np.linalg.norm(emb, axis=1)
    return {
        "faces": int(len(lab)), "identities": int(len(set(labels))),
        "pairs_same": int(same.sum()), "pairs_different": int((~same).sum()),
        "descriptor_norm_mean": float(norms.mean()), "descriptor_norm_min": float(norms.min()),
        "descriptor_norm_max": float(norms.max()),
        "raw_balanced_accuracy_at_0.6": acc(raw, DLIB_THRESHOLD),
        "raw_best": best(raw),
        "normalised_threshold_matching_dlib_0.6": float(cands[k]),
        "normalised_agreement_with_dlib_0.6": agree[k],
        "normalised_balanced_accuracy_at_that": acc(nrm, float(cands[k])),
        "normalised_best": best(nrm),
    }


# --- speed ------------------------------------------------------------------------------------

def time_ms(fn: Callable[[], Any], runs: int = 30, warmup: int = 3) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def bench(onnx_path: str | Path, chip: np.ndarray, dat_path: str | Path | None = None, runs: int = 30,
          threads: int = 2) -> dict[str, float]:
    """ms per face: onnxruntime CPU (``threads``) at batch 1 and 8; dlib's descriptor on the chip."""
    sess = session(onnx_path, threads)
    out = {"ort_batch1_ms_per_face": time_ms(lambda: embed_chips(sess, [chip]), runs),
           "ort_batch8_ms_per_face": time_ms(lambda: embed_chips(sess, [chip] * 8), runs) / 8}
    if dat_path is not None and dlib_available():
        import dlib

        rec = dlib.face_recognition_model_v1(str(dat_path))
        c = np.ascontiguousarray(chip)
        out["dlib_ms_per_face"] = time_ms(lambda: rec.compute_face_descriptor(c), runs)
        out["dlib_batch8_ms_per_face"] = time_ms(lambda: rec.compute_face_descriptor([c] * 8), runs) / 8
    return out


# --- the card -----------------------------------------------------------------------------------

def make_card(threshold: float, provenance: dict[str, Any], metrics: dict[str, Any]):
    from siamgui.core.modelcard import ModelCard

    return ModelCard(
        name="dlib_face_resnet_v1", modality="image", preprocess=dict(PREPROCESS), metric="euclidean",
        threshold=float(threshold), embedding_dim=128, metrics=metrics, provenance=provenance,
        description=("dlib's face recognition ResNet (29 conv layers, 128-d), converted by siamgui-train import "
                     "dlib-face. Input: a face chip aligned like dlib.get_face_chip(size=150, padding=0.25), RGB "
                     "0..255 float32 (N, 3, 150, 150). dlib's own rule is raw euclidean <= 0.6; SiamGUI "
                     "L2-normalises first, so the threshold here is on normalised embeddings."),
    )


def write_card_any_kind(path: str | Path, card) -> tuple[Path, bool]:
    """Write the card; if this SiamGUI does not know ``face_aligned`` yet, write it unvalidated.
    Returns (path, validated)."""
    import onnx

    from siamgui.core.modelcard import PREFIX, CardError, write_card

    try:
        return write_card(path, card), True
    except CardError as exc:
        if "face_aligned" not in str(exc):
            raise
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props if not p.key.startswith(PREFIX)}
    props.update(card.to_props())
    del model.metadata_props[:]
    for k, v in props.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return Path(path), False


def default_face_roots() -> list[Path]:
    env = os.environ.get("SIAMGUI_DATA")
    bases = [Path(env)] if env else []
    bases += [Path.cwd().parent / "shared" / "data", Path.cwd() / "shared" / "data"]
    for b in bases:
        roots = [b / "faces" / n for n in ("orl", "imm", "umist")]
        if any(r.is_dir() for r in roots):
            return [r for r in roots if r.is_dir()]
    return []


# --- the import command ---------------------------------------------------------------------------

def import_dlib_face(out: str | Path, dat: str | Path | None = None, archive: str | Path | None = None,
                     download: bool = True, fp16: bool = False, parity_roots: Sequence[str | Path] | None = None,
                     parity_limit: int = 200, log: Log = print) -> dict[str, Any]:
    """Obtain, convert, export, check and card the model; returns what it measured.

    With ``fp16`` the written file stores its weights as float16 (half the size). Parity against
    dlib runs when dlib and face data are at hand; otherwise parity is torch vs onnxruntime on
    synthetic chips, and the card says so.
    """
    import tempfile

    import torch

    out = Path(out)
    src = obtain(dat, archive, download, log)
    log(f"read {DAT_NAME} from {src.origin} ({len(src.data) / 1e6:.1f} MB)")
    model = convert(src.data)
    out.parent.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        export_onnx(model, fp32)
        written = to_fp16_weights(fp32, out) if fp16 else Path(shutil.move(str(fp32), str(out)))
    report["file_mb"] = round(out.stat().st_size / 1e6, 2)

    rng = np.random.default_rng(0)
    synth = [rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8) for _ in range(4)]
    with torch.no_grad():
        ref = model(torch.from_numpy(chips_to_input(synth))).numpy()
    report["parity_vs_torch_synthetic"] = float(np.abs(ref - embed_chips(written, synth)).max())

    chips: list[np.ndarray] = []
    labels: list[str] = []
    roots = list(parity_roots) if parity_roots is not None else default_face_roots()
    sp = shape_predictor_path(log) if dlib_available() else None
    if sp is not None and roots:
        files = face_files(roots)
        chips, labels = dlib_chips(files, sp, parity_limit)
    if chips:
        with tempfile.TemporaryDirectory() as tmp:
            dat_path = Path(tmp) / DAT_NAME
            dat_path.write_bytes(src.data)
            report["parity_vs_dlib"] = parity_vs_dlib(written, chips, dat_path)
        emb = embed_chips(written, chips)
        report["pairs"] = pair_report(emb, labels)
        report["pairs"]["faces_by_set"] = {k: sum(l.startswith(k + "/") for l in labels)
                                            for k in sorted({l.split("/")[0] for l in labels})}
        log(f"parity vs dlib on {len(chips)} real aligned faces: max |diff| = "
            f"{report['parity_vs_dlib']['max_abs_diff']:.2e}")
    else:
        why = "dlib is not importable" if not dlib_available() else "no face data or landmark model found"
        report["parity_vs_dlib"] = {"not_measured": why}
        log(f"parity vs dlib not measured ({why}); torch vs onnxruntime: "
            f"{report['parity_vs_torch_synthetic']:.2e}")

    pairs = report.get("pairs", {})
    threshold = pairs.get("normalised_threshold_matching_dlib_0.6", NORMALISED_THRESHOLD)
    provenance = {
        "source_package": PACKAGE, "source_version": VERSION, "source_file": DAT_NAME,
        "source_sha256": DAT_SHA256 if src.origin.startswith(("installed", "archive", "downloaded")) else
        hashlib.sha256(src.data).hexdigest(),
        "licence": "CC0 1.0 Universal (public domain)", "credit": CREDIT,
        "converted_by": "siamgui-train import dlib-face", "weights": "float16" if fp16 else "float32",
        "input": "aligned face chip, RGB 0..255 float32 (N, 3, 150, 150); normalisation inside the graph",
        "output": "raw dlib descriptor (N, 128); dlib judges raw euclidean <= 0.6",
        "parity_vs_dlib": report["parity_vs_dlib"],
        "parity_vs_torch_synthetic": report["parity_vs_torch_synthetic"],
        "date": time.strftime("%Y-%m-%d"),
    }
    metrics = {"lfw_accuracy_reported_by_author": 0.9938, "dlib_raw_threshold": DLIB_THRESHOLD}
    if pairs:
        metrics["pairs_on_shared_faces"] = pairs
    _, validated = write_card_any_kind(out, make_card(threshold, provenance, metrics))
    report["card_validated"] = validated
    report["threshold"] = threshold
    if not validated:
        log("note: this SiamGUI does not know preprocess kind 'face_aligned' yet; the card was written unvalidated")
    log(f"wrote {out} ({report['file_mb']} MB, {'fp16' if fp16 else 'fp32'} weights)")
    return report


def parser():
    """Options of ``siamgui-train import dlib-face``."""
    import argparse

    ap = argparse.ArgumentParser(prog="siamgui-train import dlib-face",
                                 description="dlib's face recognition ResNet (face_recognition_models 0.3.0, CC0), "
                                             "128-d, converted to ONNX with a SiamGUI card")
    ap.add_argument("--out", required=True, help="the .onnx to write (the card goes inside it)")
    ap.add_argument("--dat", help="use this dlib_face_recognition_resnet_model_v1.dat")
    ap.add_argument("--archive", help="use this face_recognition_models-0.3.0.tar.gz")
    ap.add_argument("--no-download", action="store_true", help="never run pip download")
    ap.add_argument("--fp16", action="store_true", help="store weights as float16 (half the file)")
    ap.add_argument("--parity-data", nargs="+", metavar="DIR",
                    help="face class folders for the parity check (default: shared faces orl/imm/umist if found)")
    ap.add_argument("--parity-limit", type=int, default=200, help="aligned faces used for parity (default 200)")
    ap.add_argument("--report", help="also write what was measured to this JSON file")
    return ap


def main(argv: list[str]) -> int:
    """``siamgui-train import dlib-face ...``: convert, check, write the carded .onnx."""
    import json
    import sys

    from siamgui.train.importers.dlib_serial import DlibFormatError

    args = parser().parse_args(argv)
    if not args.out.lower().endswith(".onnx"):
        print(f"siamgui-train import: error: --out must end in .onnx (got {args.out})", file=sys.stderr)
        return 2
    try:
        report = import_dlib_face(args.out, dat=args.dat, archive=args.archive, download=not args.no_download,
                                  fp16=args.fp16, parity_roots=args.parity_data, parity_limit=args.parity_limit)
    except (DlibImportError, DlibFormatError) as exc:
        print(f"siamgui-train import: error: {exc}", file=sys.stderr)
        return 2
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)
    return 0


def torch_encoder():
    """``--init dlib-face``: the converted network as a torch module that, like the exported model,
    takes RGB 0..255 chips and returns unit-length 128-d embeddings (fine-tuning starts here)."""
    import torch

    from siamgui.train.importers import Init

    src = obtain()

    class _Unit(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return torch.nn.functional.normalize(self.net(x), dim=1)

    return Init(_Unit(convert(src.data)), dict(PREPROCESS), "image", 128, "dlib-face")
