"""Import Resemblyzer's GE2E speaker encoder as a SiamGUI .onnx with its model card.

    siamgui-train import resemblyzer --out voice_ge2e.onnx [--val-data DIR] [--fsdd DIR] [--compare OTHER.onnx]

Resemblyzer (https://github.com/resemble-ai/Resemblyzer, Copyright 2019 Resemble.AI,
Apache-2.0) ships a 3-layer LSTM speaker encoder trained with the GE2E loss as
``resemblyzer/pretrained.pt`` in its PyPI wheel. This module takes the weights from an
installed ``resemblyzer`` or from the wheel (``pip download``, once, into the user's cache),
rebuilds the network in torch, exports it to ONNX with the app's input layout (N, 1, 40, 160:
mel bands x frames, from :mod:`siamgui.media.ge2e`), chooses the threshold at the EER point of
a seeded validation half of the LibriSpeech speakers and, when ``resemblyzer`` is importable,
checks the app's embeddings against Resemblyzer's own ``embed_utterance``.
"""

from __future__ import annotations

import datetime as _dt
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from siamgui.core import metrics
from siamgui.core.modelcard import ModelCard, write_card
from siamgui.media import audio, ge2e
from siamgui.media.errors import MediaError
from siamgui.train import evaluate, export

VERSION = "0.1.4"
NOTICE = ("Resemblyzer voice encoder, Copyright 2019 Resemble.AI, licensed under the Apache License, "
          "Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Modified by SiamGUI: the weights of "
          f"resemblyzer {VERSION}'s pretrained.pt converted from PyTorch to ONNX, the input transposed to "
          "(N, 1, 40, 160) mel bands x frames inside the graph; features recomputed in NumPy "
          "(siamgui.media.ge2e).")
SPEC: dict[str, Any] = {"kind": "ge2e", **ge2e.DEFAULTS}
Run = Callable[[np.ndarray], np.ndarray]


class WeightsError(RuntimeError):
    """The weights could not be obtained; the message says why in one sentence."""


# --- weights ------------------------------------------------------------------------------
def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("siamgui", appauthor=False)) / "importers"


def weights_path(cache: Path | None = None) -> Path:
    """pretrained.pt of an installed resemblyzer, else of its wheel, fetched once with pip into ``cache``."""
    try:
        import resemblyzer  # noqa: F401 (only its folder is used)

        found = Path(resemblyzer.__file__).resolve().parent / "pretrained.pt"
        if found.is_file():
            return found
    except ImportError:
        pass
    cache = Path(cache or cache_dir())
    target = cache / f"resemblyzer-{VERSION}-pretrained.pt"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob(f"[Rr]esemblyzer-{VERSION}-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", f"resemblyzer=={VERSION}", "-d", str(cache)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(cache.glob(f"[Rr]esemblyzer-{VERSION}-*.whl"))
        if done.returncode != 0 or not wheels:
            raise WeightsError(f"could not download the resemblyzer {VERSION} wheel with pip "
                               f"({(done.stderr or done.stdout).strip().splitlines()[-1:] or 'no output'})")
    with zipfile.ZipFile(wheels[-1]) as zf:
        target.write_bytes(zf.read("resemblyzer/pretrained.pt"))
    return target


class GE2E(nn.Module):
    """Resemblyzer's VoiceEncoder network: LSTM(40 -> 256, 3 layers), last hidden state of the top
    layer -> Linear(256, 256) -> ReLU -> L2-normalised. Takes (N, 1, n_mels, frames)."""

    def __init__(self, n_mels: int = 40, hidden: int = 256, layers: int = 3, dim: int = 256):
        super().__init__()
        self.lstm = nn.LSTM(n_mels, hidden, layers, batch_first=True)
        self.linear = nn.Linear(hidden, dim)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mels = x[:, 0].transpose(1, 2)  # (N, frames, n_mels), what the LSTM was trained on
        _, (hidden, _) = self.lstm(mels)
        e = self.relu(self.linear(hidden[-1]))
        return e / torch.linalg.vector_norm(e, dim=1, keepdim=True).clamp_min(1e-12)


def load_model(path: str | Path) -> GE2E:
    """The network with Resemblyzer's weights (its GE2E similarity scale and bias are not needed)."""
    state = torch.load(str(path), map_location="cpu", weights_only=True)["model_state"]
    model = GE2E()
    model.load_state_dict({k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))})
    return model.eval()


# --- data and figures ---------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    label: str
    clip: audio.AudioClip
    name: str


def speaker_segments(root: str | Path, seconds: float = 3.0, min_s: float = 1.5) -> list[Item]:
    """Each speaker folder's clips cut into ``seconds`` pieces (a tail shorter than ``min_s`` dropped)."""
    items = []
    for spk in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        for f in sorted(p for p in spk.iterdir() if audio.is_audio_path(p)):
            clip = audio.load_audio(f)
            n = int(seconds * clip.rate)
            for k, a in enumerate(range(0, len(clip.samples), n)):
                piece = clip.samples[a:a + n]
                if len(piece) >= min_s * clip.rate:
                    items.append(Item(spk.name, audio.AudioClip(piece, clip.rate), f"{f.name}#{k}"))
    return items


def fsdd_items(root: str | Path) -> list[Item]:
    """Free Spoken Digit Dataset recordings (D_SPEAKER_N.wav), labelled by speaker."""
    files = sorted(Path(root).rglob("*.wav"))
    return [Item(f.stem.split("_")[1], audio.load_audio(f), f.name) for f in files]


def split_speakers(items: Sequence[Item], seed: int = 0) -> tuple[list[Item], list[Item]]:
    """(validation, test): the speakers shuffled with ``seed`` and halved."""
    speakers = sorted({i.label for i in items})
    order = np.random.default_rng(seed).permutation(len(speakers))
    val = {speakers[k] for k in order[: len(speakers) // 2]}
    return [i for i in items if i.label in val], [i for i in items if i.label not in val]


def prepare_all(prepare: Callable[[audio.AudioClip], np.ndarray], items: Sequence[Item]):
    """(windows per kept item, kept items, refused count, seconds spent)."""
    t0 = time.perf_counter()
    wins, kept, refused = [], [], 0
    for it in items:
        try:
            wins.append(prepare(it.clip))
            kept.append(it)
        except MediaError:
            refused += 1
    return wins, kept, refused, time.perf_counter() - t0


def figures(emb: np.ndarray, labels: Sequence[str], seed: int = 0, threshold: float | None = None) -> dict[str, Any]:
    """AUC, EER (and its threshold) over every genuine pair and up to 200k impostor pairs."""
    i, j, same = evaluate.pairs(list(labels), np.random.default_rng(seed))
    d = 1.0 - np.sum(emb[i] * emb[j], axis=1)  # cosine distance of unit vectors
    eer, thr = metrics.eer(d, same)
    out = {"auc": round(metrics.roc_auc(d, same), 4), "eer": round(eer, 4), "eer_threshold": round(thr, 4),
           "genuine_pairs": int(same.sum()), "impostor_pairs": int((~same).sum())}
    if threshold is not None:
        out.update({k: round(v, 4) for k, v in metrics.rates_at(d, same, threshold).items()})
    return out


def ge2e_prepare(spec: dict[str, Any]) -> Callable[[audio.AudioClip], np.ndarray]:
    return lambda clip: ge2e.prepare(clip.samples, clip.rate, spec)[0]


# --- parity with Resemblyzer itself -------------------------------------------------------
def resemblyzer_parity(run: Run, paths: Iterable[str | Path], spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """Max |Resemblyzer's embed_utterance(preprocess_wav(path)) - the app's embedding| per file.

    The app's embedding: ``siamgui.media.ge2e`` windows, ``run`` (the ONNX encoder), window
    embeddings L2-normalised, averaged and re-normalised (``Encoder.embed_prepared``). Needs
    ``resemblyzer`` (and librosa, webrtcvad) importable. ``spec`` defaults to the card's, but
    with the short-clip VAD fallback off, so the pipelines are the same on every clip.
    """
    from resemblyzer import VoiceEncoder, preprocess_wav

    s = {**SPEC, "vad_min_kept_s": 0.0, "min_voiced_s": 0.0, **(spec or {})}
    ref_enc = VoiceEncoder("cpu", verbose=False)
    diffs = {}
    for p in paths:
        ref = ref_enc.embed_utterance(preprocess_wav(str(p)))
        clip = audio.load_audio(p)
        got = evaluate.embed(run, [ge2e.prepare(clip.samples, clip.rate, s)[0]])[0]
        diffs[Path(p).name] = float(np.max(np.abs(ref - got)))
    values = list(diffs.values())
    return {"files": len(values), "max_abs_diff": max(values), "median_abs_diff": float(np.median(values)),
            "per_file": diffs}


def _resemblyzer_available() -> bool:
    try:
        import librosa  # noqa: F401
        import resemblyzer  # noqa: F401
    except ImportError:
        return False
    return True


# --- the import ---------------------------------------------------------------------------
def import_resemblyzer(out: str | Path, val_data: str | Path, seed: int = 0, fsdd: str | Path | None = None,
                       log: Callable[[str], None] = print, command: str = "") -> tuple[Path, ModelCard]:
    """Convert, check, choose the threshold on the validation speakers, write the card; returns (path, card)."""
    weights = weights_path()
    log(f"[import] weights: {weights}")
    model = load_model(weights)
    out = export.to_onnx(model, (1, int(SPEC["n_mels"]), int(SPEC["frames"])), out)
    run = export.ort_run(out)

    segs = speaker_segments(val_data)
    val, test = split_speakers(segs, seed)
    prep = ge2e_prepare(SPEC)
    val_w, val_kept, val_refused, _ = prepare_all(prep, val)
    flat = np.concatenate(val_w)
    torch_diff = export.parity(model, out, flat[:64])
    log(f"[import] torch vs onnxruntime on {min(64, len(flat))} real windows: max abs diff {torch_diff:.2e}")
    val_fig = figures(evaluate.embed(run, val_w), [i.label for i in val_kept], seed)
    threshold = val_fig["eer_threshold"]
    test_w, test_kept, test_refused, _ = prepare_all(prep, test)
    test_fig = figures(evaluate.embed(run, test_w), [i.label for i in test_kept], seed, threshold)
    log(f"[import] validation ({len({i.label for i in val})} speakers, {len(val_kept)} segments): {val_fig}")
    log(f"[import] test ({len({i.label for i in test})} speakers, {len(test_kept)} segments): {test_fig}")
    figs: dict[str, Any] = {"threshold_rule": "EER point on the validation speakers",
                            "validation": {**val_fig, "refused": val_refused}, "test": {**test_fig, "refused": test_refused}}
    if fsdd:
        fw, fkept, frefused, _ = prepare_all(prep, fsdd_items(fsdd))
        figs["fsdd"] = {**figures(evaluate.embed(run, fw), [i.label for i in fkept], seed, threshold),
                        "refused": frefused, "clips": len(fkept) + frefused}
        log(f"[import] FSDD: {figs['fsdd']}")

    provenance: dict[str, Any] = {
        "source": f"resemblyzer {VERSION} (PyPI wheel), resemblyzer/pretrained.pt",
        "license": "Apache-2.0", "notice": NOTICE, "modified": True,
        "architecture": "LSTM(40, 256, 3 layers) -> last hidden -> Linear(256, 256) -> ReLU -> L2",
        "parity_torch_vs_onnxruntime": torch_diff, "parity_inputs": int(min(64, len(flat))),
        "threshold_data": {"dir": str(val_data), "segments_s": 3.0, "split_seed": seed,
                           "validation_speakers": sorted({i.label for i in val})},
        "command": command, "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "torch": torch.__version__,
    }
    if _resemblyzer_available():
        files = sorted(Path(val_data).rglob("*.flac"))[:20]
        if fsdd:
            files += sorted(Path(fsdd).rglob("*.wav"))[:: max(1, len(list(Path(fsdd).rglob("*.wav"))) // 10)][:10]
        par = resemblyzer_parity(run, files)
        on16 = [v for k, v in par["per_file"].items() if k.endswith(".flac")]
        provenance["parity_vs_resemblyzer"] = {
            "files": par["files"], "max_abs_diff": par["max_abs_diff"],
            "max_abs_diff_16k": max(on16) if on16 else None,
            "note": "embed_utterance(preprocess_wav(path)) vs the app's pipeline with vad_min_kept_s 0; "
                    "8 kHz clips also differ by the resampler (soxr vs the app's FFT resampler)"}
        log(f"[import] vs Resemblyzer on {par['files']} files: max abs diff {par['max_abs_diff']:.2e} "
            f"(16 kHz files: {provenance['parity_vs_resemblyzer']['max_abs_diff_16k']:.2e})")
    else:
        log("[import] resemblyzer not importable: parity with it not checked")

    card = ModelCard(
        name=Path(out).stem, modality="audio", preprocess=dict(SPEC), metric="cosine", threshold=float(threshold),
        description="Resemblyzer's GE2E speaker encoder (LSTM, 256-d), trained by Resemble.AI on thousands of "
                    "speakers; imported, not trained here",
        embedding_dim=256, metrics=figs, provenance=provenance,
    )
    write_card(out, card)
    return Path(out), card


# --- comparison on the same pairs ---------------------------------------------------------
def compare_models(paths: Sequence[str | Path], val_data: str | Path, fsdd: str | Path | None = None,
                   seed: int = 0, log: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    """Each model through the app's Encoder (its own card's preprocessing and threshold) on the same
    test-half LibriSpeech segments and FSDD clips: figures, refusals, and speed (x real time)."""
    from siamgui.core.encoder import Encoder

    sets = {"librispeech_test": split_speakers(speaker_segments(val_data), seed)[1]}
    if fsdd:
        sets["fsdd"] = fsdd_items(fsdd)
    report: dict[str, dict[str, Any]] = {}
    for path in paths:
        enc = Encoder.load(path, device="cpu")
        for name, items in sets.items():
            prepared, kept, refused, t_prep = prepare_all(lambda c: enc.prepare(c), items)
            t0 = time.perf_counter()
            emb = enc.embed_prepared(prepared)
            t_emb = time.perf_counter() - t0
            audio_s = sum(i.clip.duration for i in kept)
            fig = figures(emb, [i.label for i in kept], seed, enc.threshold)
            fig.update({"refused": refused, "clips": len(items), "windows": int(sum(len(p.tensors) for p in prepared)),
                        "x_realtime_features": round(audio_s / t_prep, 1), "x_realtime_embedding": round(audio_s / t_emb, 1),
                        "x_realtime": round(audio_s / (t_prep + t_emb), 1)})
            report.setdefault(Path(path).name, {})[name] = fig
            log(f"[compare] {Path(path).name} on {name}: {fig}")
    return report


def _default_data(sub: str) -> Path | None:
    import os

    roots = [Path(os.environ["SIAMGUI_DATA"])] if os.environ.get("SIAMGUI_DATA") else []
    roots.append(Path.cwd().parent / "shared" / "data")
    return next((r / sub for r in roots if (r / sub).is_dir()), None)


def main(argv: list[str]) -> int:
    """``siamgui-train import resemblyzer ...``"""
    import argparse
    import json
    import shlex

    ap = argparse.ArgumentParser(prog="siamgui-train import resemblyzer", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the .onnx to write (the card goes inside it)")
    ap.add_argument("--val-data", help="speaker folders to choose the threshold on (half of them, seeded) "
                                       "(default: ../shared/data/voices/librispeech_251 or $SIAMGUI_DATA/...)")
    ap.add_argument("--fsdd", help="FSDD recordings folder: its figures go into the card too")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare", nargs="*", metavar="ONNX",
                    help="afterwards, evaluate these models and the new one on the same test pairs")
    args = ap.parse_args(argv)
    if Path(args.out).suffix.lower() != ".onnx":
        print(f"siamgui-train: error: --out must end in .onnx (got {Path(args.out).name})", file=sys.stderr)
        return 2
    val = Path(args.val_data) if args.val_data else _default_data("voices/librispeech_251")
    if val is None or not val.is_dir():
        print("siamgui-train: error: no speaker folders to choose the threshold on: pass --val-data DIR",
              file=sys.stderr)
        return 2
    try:
        out, card = import_resemblyzer(args.out, val, args.seed, args.fsdd,
                                       command="siamgui-train import resemblyzer " + shlex.join(argv))
    except (WeightsError, MediaError) as exc:
        print(f"siamgui-train: error: {exc}", file=sys.stderr)
        return 2
    print(f"[import] wrote {out} ({out.stat().st_size / 1e6:.1f} MB), threshold {card.threshold:.4f}")
    if args.compare is not None:
        report = compare_models([*args.compare, out], val, args.fsdd, args.seed)
        print(json.dumps(report, indent=1))
    return 0


def torch_encoder():
    """``--init resemblyzer``: the GE2E network as a torch module taking the card's (N, 1, 40, 160)
    windows and returning unit-length 256-d embeddings (fine-tuning starts here)."""
    from siamgui.train.importers import Init

    return Init(load_model(weights_path()), dict(SPEC), "audio", 256, "resemblyzer")
