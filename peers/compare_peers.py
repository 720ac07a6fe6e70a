"""SiamGUI's models side by side with the peers, on the same seeded pairs of held-out classes.

    /tmp/peers-venv/bin/python peers/compare_peers.py [--data ../shared/data] [--pairs 2000] [--json OUT.json]

Faces: our face model vs dlib's ResNet descriptor (``face_recognition_models`` + ``dlib-bin``, the
pipeline face_recognition runs: HOG detector, 5-point shape predictor, 128-d descriptor,
tolerance 0.6). Voices: our voice model vs Resemblyzer, on 1.5-3 s segments of held-out
LibriSpeech speakers. Glyphs: our glyph model vs raw-pixel nearest neighbour, on held-out
Omniglot alphabets, with 20-way one-shot accuracy as well.

The held-out classes are the ones each model's card names (``provenance.split``, written by
``siamgui-train``); when a card names none, a fixed set is used and the table says so. Every
method is scored on the same pairs: items any method could not embed are dropped for all (and
counted), then balanced same / different pairs are drawn with one seed. Milliseconds per item
are wall time per file at batch 1 (decode, detection, features, embedding), CPU, this run.

Not part of the app: run it in its own venv (peers/requirements.txt). SiamGUI is imported from
this source tree (no Qt needed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from siamgui.core import metrics  # noqa: E402
from siamgui.tasks.calibration import folder_pairs  # noqa: E402
from siamgui.core.compare import distance as pair_distance  # noqa: E402

warnings.filterwarnings("ignore")

FALLBACK = {  # used only when a model's card names no held-out classes
    "face": ("orl", [f"s{i}" for i in range(33, 41)]),
    "voice": ("librispeech_251", None),  # last 18% of speakers, sorted
    "glyph": ("omniglot_background", ["Korean", "Bengali", "Greek", "Hebrew", "Latin", "Futurama"]),
}


@dataclass
class Item:
    key: str  # unique: path or path@start
    label: str
    path: Path
    start: float | None = None
    length: float | None = None


@dataclass
class Method:
    name: str
    embed: Callable[[Item], np.ndarray]  # one item -> one vector; raises on failure
    metric: str  # "cosine" | "euclidean" (on L2-normalised vectors: both in [0, 2])
    threshold: float | None  # its own; None = it ships none
    threshold_origin: str
    normalise: bool = True
    notes: list[str] = field(default_factory=list)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    available: bool = True
    why_unavailable: str = ""


# --- which classes were held out ----------------------------------------------------------
def model_path(name: str, models_dir: Path) -> Path | None:
    p = models_dir / f"{name}.onnx"
    return p if p.is_file() else None


def held_out(card_path: Path | None, kind: str, data: Path) -> tuple[dict[str, Path], str]:
    """{class label: folder} of held-out classes, and a sentence saying where they come from."""
    if card_path is not None:
        from siamgui.core.modelcard import read_card

        card = read_card(card_path)
        split = (card.provenance or {}).get("split") or {}
        names = split.get("val_class_names") or []
        if names:
            roots = _roots(card.provenance.get("data") or [], data)
            out = {}
            for label in names:
                root, _, rel = label.partition("/")
                base = roots.get(root)
                if base is not None and (base / rel).is_dir():
                    out[label] = base / rel
            if out:
                rule = split.get("rule", "held out")
                return out, f"{len(out)} classes held out in training ({rule}; from the model card)"
    root_name, classes = FALLBACK[kind]
    base = _find_dir(data, root_name)
    if base is None:
        return {}, f"{root_name} not found under {data}"
    if kind == "glyph":
        out = {f"{root_name}/{a}/{c.name}": c for a in classes if (base / a).is_dir()
               for c in sorted((base / a).iterdir()) if c.is_dir()}
    elif classes is None:
        speakers = sorted(d for d in base.iterdir() if d.is_dir())
        out = {f"{root_name}/{d.name}": d for d in speakers[-max(2, int(0.18 * len(speakers))):]}
    else:
        out = {f"{root_name}/{c}": base / c for c in classes if (base / c).is_dir()}
    return out, f"{len(out)} classes chosen here (the model card names no held-out split)"


def _find_dir(data: Path, name: str) -> Path | None:
    for depth in ("*", "*/*", "*/*/*"):
        for d in sorted(data.glob(depth)):
            if d.is_dir() and d.name == name:
                return d
    return None


def _roots(dirs: list[str], data: Path) -> dict[str, Path]:
    out = {}
    for d in dirs:
        p = Path(d)
        if not p.is_dir():
            p = (ROOT / d) if (ROOT / d).is_dir() else (_find_dir(data, p.name) or p)
        out[p.name] = p
    return out


# --- items --------------------------------------------------------------------------------
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".pgm", ".bmp")


def image_items(classes: dict[str, Path], per_class: int | None, rng) -> list[Item]:
    items = []
    for label, folder in sorted(classes.items()):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if per_class and len(files) > per_class:
            files = [files[i] for i in sorted(rng.choice(len(files), per_class, replace=False))]
        items += [Item(str(f), label, f) for f in files]
    return items


def voice_items(classes: dict[str, Path], rng, lo: float = 1.5, hi: float = 3.0, per_class: int = 6) -> list[Item]:
    """Consecutive segments of random length in [lo, hi] s from each speaker's recordings."""
    import soundfile as sf

    items = []
    for label, folder in sorted(classes.items()):
        segs = []
        for f in sorted(folder.glob("*.flac")) + sorted(folder.glob("*.wav")):
            total = sf.info(str(f)).duration
            t = 0.0
            while True:
                length = float(rng.uniform(lo, hi))
                if t + length > total:
                    break
                segs.append(Item(f"{f}@{t:.2f}", label, f, t, length))
                t += length
        if len(segs) > per_class:
            segs = [segs[i] for i in sorted(rng.choice(len(segs), per_class, replace=False))]
        if len(segs) >= 2:
            items += segs
    return items


_audio_cache: dict[Path, tuple[np.ndarray, int]] = {}


def segment_samples(item: Item, rate: int = 16000) -> np.ndarray:
    from siamgui.media.audio import AudioClip, load_audio, resample

    if item.path not in _audio_cache:
        _audio_cache.clear()
        clip = resample(load_audio(item.path), rate)
        _audio_cache[item.path] = (clip.samples, clip.rate)
    samples, r = _audio_cache[item.path]
    a = int(round((item.start or 0) * r))
    b = a + int(round((item.length or 0) * r)) if item.length else len(samples)
    return np.ascontiguousarray(samples[a:b])


# --- methods ------------------------------------------------------------------------------
def ours(path: Path, label: str) -> Method:
    from siamgui.core.encoder import Encoder
    from siamgui.media.audio import AudioClip

    enc = Encoder.load(path, device="cpu")
    audio = enc.card.modality == "audio"

    def embed(item: Item) -> np.ndarray:
        src = AudioClip(segment_samples(item), 16000) if audio else item.path
        return enc.embed_prepared([enc.prepare(src)])[0]

    m = Method(f"SiamGUI {label} ({path.name}, {enc.card.embedding_dim}-d)", embed, enc.card.metric,
               enc.card.threshold, "card threshold (chosen on other identities than these)")
    return m


def dlib_faces() -> Method:
    try:
        import importlib.util

        import dlib
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None:
            raise ImportError("face_recognition_models is not installed")
        models = Path(list(spec.submodule_search_locations)[0]) / "models"
        detector = dlib.get_frontal_face_detector()
        shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        net = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
    except Exception as exc:  # noqa: BLE001
        return Method("dlib ResNet (face_recognition_models)", lambda i: None, "euclidean", 0.6, "", available=False,
                      why_unavailable=f"not installed here ({exc})")
    import cv2

    fallbacks = {"n": 0}

    def embed(item: Item) -> np.ndarray:
        bgr = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError("unreadable")
        rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        found = detector(rgb, 1)  # face_recognition's default: HOG, upsample once
        if len(found):
            box = max(found, key=lambda r: r.area())
        else:  # as face_recognition with known_face_locations: the whole crop is the face
            fallbacks["n"] += 1
            box = dlib.rectangle(0, 0, rgb.shape[1] - 1, rgb.shape[0] - 1)
        return np.asarray(net.compute_face_descriptor(rgb, shapes(rgb, box), 1), np.float32)

    m = Method("dlib ResNet (face_recognition_models, 128-d)", embed, "euclidean", 0.6,
               "face_recognition's default tolerance 0.6", normalise=False)
    m.fallbacks = fallbacks  # type: ignore[attr-defined]
    return m


def resemblyzer_voices() -> Method:
    try:
        import torch
        from resemblyzer import VoiceEncoder, preprocess_wav

        torch.set_num_threads(1)  # with 2 threads its LSTM stalls for seconds whenever another process holds a core
        enc = VoiceEncoder("cpu", verbose=False)
    except Exception as exc:  # noqa: BLE001
        return Method("Resemblyzer", lambda i: None, "cosine", None, "", available=False,
                      why_unavailable=f"not installed here ({exc})")

    def embed(item: Item) -> np.ndarray:
        wav = preprocess_wav(segment_samples(item), source_sr=16000)
        if len(wav) < 1600:
            raise ValueError("too little voice after Resemblyzer's silence trimming")
        return enc.embed_utterance(wav)

    return Method("Resemblyzer (GE2E, 256-d)", embed, "cosine", None, "ships no threshold")


def raw_pixels(crop_spec: dict | None = None) -> Method:
    from siamgui.media import glyphs
    from siamgui.media.images import load_image

    def embed(item: Item) -> np.ndarray:
        img = load_image(item.path)
        if crop_spec is None:
            return glyphs.ink_image(img).ravel().astype(np.float32)
        return glyphs.glyph_tensor(img, int(crop_spec["size"]), float(crop_spec.get("margin", 0.1))).ravel()

    name = ("raw pixels, nearest neighbour (105x105 ink)" if crop_spec is None
            else f"raw pixels of our glyph crop ({crop_spec['size']}x{crop_spec['size']})")
    return Method(name, embed, "cosine", None, "none (no learning)")


# --- evaluation ---------------------------------------------------------------------------
def embed_all(method: Method, items: list[Item], log) -> None:
    for k, item in enumerate(items):
        t0 = time.perf_counter()
        try:
            v = method.embed(item)
            if v is None or not np.all(np.isfinite(v)):
                raise ValueError("no embedding")
            method.vectors[item.key] = np.asarray(v, np.float32)
        except Exception as exc:  # noqa: BLE001 - a failed item is counted, not fatal
            method.failed[item.key] = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            continue
        finally:
            method.seconds.append(time.perf_counter() - t0)
        if (k + 1) % 200 == 0:
            log(f"  {method.name}: {k + 1}/{len(items)}")


def evaluate(task: str, data_note: str, items: list[Item], methods: list[Method], max_pairs: int, seed: int,
             one_shot: bool, log) -> list[dict]:
    live = [m for m in methods if m.available]
    for m in live:
        log(f"{task}: embedding {len(items)} items with {m.name}")
        embed_all(m, items, log)
    ok = [it for it in items if all(it.key in m.vectors for m in live)]
    labels = [it.label for it in ok]
    pairs, same = folder_pairs(labels, max_pairs, seed)
    rows = []
    for m in methods:
        row = {"task": task, "method": m.name, "data": data_note, "items": len(ok),
               "classes": len(set(labels)), "pairs_same": int(same.sum()), "pairs_different": int((~same).sum())}
        if not m.available:
            row["unavailable"] = m.why_unavailable
            rows.append(row)
            continue
        emb = np.stack([m.vectors[it.key] for it in ok])
        a, b = emb[pairs[:, 0]], emb[pairs[:, 1]]
        if m.normalise or m.metric == "cosine":
            d = np.asarray(pair_distance(a, b, m.metric), np.float64)
        else:  # dlib: plain euclidean distance on its own (unnormalised) descriptors, as its 0.6 assumes
            d = np.linalg.norm(a - b, axis=1).astype(np.float64)
        auc = metrics.roc_auc(d, same)
        eer, eer_t = metrics.eer(d, same)
        if m.threshold is not None:
            thr, origin = m.threshold, m.threshold_origin
        else:
            thr, origin = eer_t, f"{m.threshold_origin}: its EER threshold on these pairs (optimistic)"
        rates = metrics.rates_at(d, same, thr)
        row.update(auc=auc, eer=eer, threshold=thr, threshold_origin=origin, accuracy=rates["accuracy"],
                   far=rates["far"], frr=rates["frr"], ms_per_item=1000 * float(np.median(m.seconds)),
                   failed_items=len(m.failed), failed_examples=list(m.failed.values())[:3])
        fb = getattr(m, "fallbacks", None)
        if fb is not None:
            row["no_face_fallbacks"] = fb["n"]
        metric = "euclidean" if not m.normalise and m.metric == "euclidean" else m.metric
        if task in ("face", "voice"):  # enrol each identity from one sample, name every other sample
            from siamgui.train.scoring import rank1

            row["rank1"] = rank1(emb, np.asarray(labels), metric, np.random.default_rng(seed))
        if one_shot:
            row["one_shot_20"] = metrics.n_way_one_shot(emb, labels, 20, trials=2000, metric=metric, seed=seed)
            row["one_shot_5"] = metrics.n_way_one_shot(emb, labels, 5, trials=2000, metric=metric, seed=seed)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| task | method | ROC AUC | EER | accuracy at own threshold | threshold | rank-1 identification "
            "| 20-way one-shot | ms per item |\n|---|---|---|---|---|---|---|---|---|")
    out = [head]
    notes: dict[str, list[str]] = {}
    for r in rows:
        task_notes = notes.setdefault(r["task"], [f"{r['data']}; {r['items']} items of {r['classes']} classes, "
                                                  f"{r['pairs_same']} same + {r['pairs_different']} different pairs"])
        if "unavailable" in r:
            out.append(f"| {r['task']} | {r['method']} | not run | | | | | | |")
            task_notes.append(f"{r['method']}: {r['unavailable']}")
            continue
        star = "" if r["threshold_origin"].startswith(("card", "face_recognition")) else "*"
        short = {"card": "card", "face_recognition": "face_recognition default"}
        origin = next((v for k, v in short.items() if r["threshold_origin"].startswith(k)), "its EER here")
        shot = f"{100 * r['one_shot_20']:.1f}%" if "one_shot_20" in r else "—"
        r1 = f"{100 * r['rank1']:.1f}%" if "rank1" in r else "—"
        out.append(f"| {r['task']} | {r['method']} | {r['auc']:.4f} | {100 * r['eer']:.1f}% | "
                   f"{100 * r['accuracy']:.1f}%{star} | {r['threshold']:.3f} ({origin}) | {r1} | {shot} | "
                   f"{r['ms_per_item']:.1f} |")
        if r.get("failed_items"):
            task_notes.append(f"{r['method']}: {r['failed_items']} items failed ({'; '.join(r['failed_examples'][:2])}), "
                              "dropped for every method")
        if r.get("no_face_fallbacks"):
            task_notes.append(f"{r['method']}: no face found by dlib's HOG detector in {r['no_face_fallbacks']} "
                              "images; the whole image was used as the face box (as face_recognition does with "
                              "known_face_locations)")
    lines = ["\n".join(out), ""]
    for task, ns in notes.items():
        lines.append(f"- {task}: " + "; ".join(ns))
    lines.append("- \\* the method ships no threshold: accuracy at its equal-error threshold on these very pairs "
                 "(flatters it)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("SIAMGUI_DATA", ROOT.parent / "shared" / "data")))
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    ap.add_argument("--pairs", type=int, default=2000, help="same + different pairs per task (default 2000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=("face", "voice", "glyph"), action="append")
    ap.add_argument("--faces-per-class", type=int, default=None)
    ap.add_argument("--glyph-classes", type=int, default=200, help="cap on held-out characters (default 200)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = ap.parse_args(argv)

    def log(s: str) -> None:
        print(s, file=sys.stderr, flush=True)

    if not args.data.is_dir():
        print(f"data folder not found: {args.data}", file=sys.stderr)
        return 2
    tasks = args.only or ["face", "voice", "glyph"]
    rows: list[dict] = []
    t_start = time.perf_counter()
    for task in tasks:
        rng = np.random.default_rng(args.seed)
        path = model_path(task, args.models)
        classes, note = held_out(path, task, args.data)
        if len(classes) < 2:
            log(f"{task}: skipped ({note})")
            continue
        if task == "face":
            items = image_items(classes, args.faces_per_class, rng)
            methods = [dlib_faces()]
        elif task == "voice":
            items = voice_items(classes, rng)
            methods = [resemblyzer_voices()]
        else:
            if len(classes) > args.glyph_classes:
                keep = sorted(rng.choice(sorted(classes), args.glyph_classes, replace=False))
                note += f"; {args.glyph_classes} of them sampled"
                classes = {k: classes[k] for k in keep}
            items = image_items(classes, None, rng)
            methods = [raw_pixels()]
            if path is not None:
                from siamgui.core.modelcard import read_card

                methods.append(raw_pixels(read_card(path).preprocess))
        if path is not None:
            methods.insert(0, ours(path, task))
        else:
            note += f"; no {task}.onnx in {args.models}: our model not run"
        rows += evaluate(task, note, items, methods, args.pairs, args.seed, one_shot=(task == "glyph"), log=log)
    print(table(rows))
    print(f"\n{time.perf_counter() - t_start:.0f} s; seed {args.seed}; CPU, {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
