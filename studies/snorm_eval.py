"""Does score normalisation help a speaker encoder? Plain cosine vs S-norm on held-out speakers.

    python -m studies.snorm_eval models/voice.onnx [runs/ft.onnx ...] --data ../shared/data/voices/librispeech_251 \
        --fsdd ../shared/data/voices/fsdd/recordings --out snorm.json

S-norm (symmetric score normalisation): the score of a pair (a, b) is measured against how each
side scores against a cohort of other speakers,
``0.5 * ((s - mu_a) / sd_a + (s - mu_b) / sd_b)``, with mu and sd the mean and spread of the side's
cosine similarities to the cohort (adaptive S-norm: its ``top_k`` closest cohort members only).
The cohort is the *tune* half of the LibriSpeech speakers (the half the import's threshold was
chosen on; never the test half), one mean embedding per speaker or a few segments each; FSDD
speakers split the same seeded way, and the tune ones may join the cohort. The pairs are those
of :func:`siamgui.train.importers.resemblyzer.figures` (the import's published figures), every
model through the app's own Encoder and card preprocessing. Measurement only: the app does not
normalise scores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from siamgui.core import metrics
from siamgui.train import evaluate
from siamgui.train.importers import resemblyzer as imp


def embed_sets(model: str | Path, sets: dict[str, list[imp.Item]], cache: Path | None = None) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Each set's kept items through the model's Encoder: (embeddings, labels); cached as npz by model."""
    from siamgui.core.encoder import Encoder

    out: dict[str, tuple[np.ndarray, list[str]]] = {}
    f = None
    if cache is not None:
        st = Path(model).stat()
        f = cache / f"{Path(model).stem}-{st.st_size}-{st.st_mtime_ns}.npz"
        if f.is_file():
            z = np.load(f, allow_pickle=False)
            out = {k: (z[f"{k}__e"], [str(x) for x in z[f"{k}__y"]]) for k in sets if f"{k}__e" in z.files}
    enc = Encoder.load(model, device="cpu")
    for name, items in sets.items():
        if name in out:
            continue
        prepared, kept, _, _ = imp.prepare_all(lambda c: enc.prepare(c), items)
        out[name] = (enc.embed_prepared(prepared), [i.label for i in kept])
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.savez(f, **{f"{k}__e": e for k, (e, _) in out.items()}, **{f"{k}__y": np.asarray(y) for k, (_, y) in out.items()})
    return out


def cohort(emb: np.ndarray, labels: Sequence[str], per_speaker: int) -> np.ndarray:
    """Cohort embeddings: ``per_speaker`` 0 = each speaker's mean embedding (normalised), else up to
    that many of each speaker's segments."""
    y = np.asarray(labels)
    rows = []
    for s in sorted(set(labels)):
        e = emb[y == s]
        if per_speaker <= 0:
            m = e.mean(0)
            rows.append((m / max(float(np.linalg.norm(m)), 1e-12))[None])
        else:
            rows.append(e[:per_speaker])
    return np.concatenate(rows).astype(np.float32)


def cohort_stats(emb: np.ndarray, coh: np.ndarray, top_k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each embedding's cosine similarities to the cohort (its ``top_k`` highest when > 0)."""
    s = emb @ coh.T
    if 0 < top_k < s.shape[1]:
        s = -np.sort(-s, axis=1)[:, :top_k]
    return s.mean(1), s.std(1) + 1e-6


def snorm_scores(emb: np.ndarray, i: np.ndarray, j: np.ndarray, coh: np.ndarray, top_k: int = 0) -> np.ndarray:
    """S-norm score of each pair (i, j): higher = more alike."""
    mu, sd = cohort_stats(emb, coh, top_k)
    s = np.sum(emb[i] * emb[j], axis=1)
    return 0.5 * ((s - mu[i]) / sd[i] + (s - mu[j]) / sd[j])


def compare(emb: np.ndarray, labels: Sequence[str], cohorts: dict[str, np.ndarray], top_ks: Sequence[int],
            seed: int = 0, threshold: float | None = None) -> dict[str, Any]:
    """Plain cosine figures (``resemblyzer.figures``, the same pairs) and S-norm AUC / EER per cohort and top_k."""
    out: dict[str, Any] = {"plain": imp.figures(emb, labels, seed, threshold)}
    i, j, same = evaluate.pairs(list(labels), np.random.default_rng(seed))
    for cname, coh in cohorts.items():
        for k in top_ks:
            if k > len(coh):
                continue
            d = -snorm_scores(emb, i, j, coh, k)  # distances: genuine pairs low
            eer, _ = metrics.eer(d, same)
            out[f"snorm[{cname}, top {k or 'all'}]"] = {"auc": round(metrics.roc_auc(d, same), 4), "eer": round(eer, 4)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studies.snorm_eval", description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", metavar="MODEL.onnx")
    ap.add_argument("--data", required=True, help="LibriSpeech speaker folders (halved with --seed: tune / test)")
    ap.add_argument("--fsdd", help="FSDD recordings folder (speakers halved with --seed the same way)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top-k", type=int, nargs="+", default=[0, 50, 100], help="adaptive S-norm sizes (0: whole cohort)")
    ap.add_argument("--per-speaker", type=int, nargs="+", default=[0, 3],
                    help="cohort entries per tune speaker (0: one mean embedding each)")
    ap.add_argument("--cache", help="folder for cached embeddings")
    ap.add_argument("--out", help="write the figures here as JSON")
    args = ap.parse_args(argv)

    sets = dict(zip(("ls_tune", "ls_test"), imp.split_speakers(imp.speaker_segments(args.data), args.seed)))
    fsdd_tune: set[str] = set()
    if args.fsdd:
        tune, test = imp.split_speakers(imp.fsdd_items(args.fsdd), args.seed)
        sets.update({"fsdd_tune": tune, "fsdd_test": test})
        fsdd_tune = {i.label for i in tune}
    report: dict[str, Any] = {"seed": args.seed, "command": "python -m studies.snorm_eval " + " ".join(argv or sys.argv[1:]),
                              "fsdd_tune_speakers": sorted(fsdd_tune), "models": {}}
    for model in args.models:
        from siamgui.core.modelcard import read_card

        t0 = time.time()
        emb = embed_sets(model, sets, Path(args.cache) if args.cache else None)
        thr = read_card(model).threshold
        cohorts = {}
        for n in args.per_speaker:
            tag = "mean" if n <= 0 else f"{n}/spk"
            cohorts[f"LS tune {tag}"] = cohort(*emb["ls_tune"], n)
            if args.fsdd:
                cohorts[f"LS+FSDD tune {tag}"] = np.concatenate([cohorts[f"LS tune {tag}"], cohort(*emb["fsdd_tune"], n)])
        ls_only = {k: v for k, v in cohorts.items() if k.startswith("LS tune")}
        res = {"ls_test": compare(*emb["ls_test"], ls_only, args.top_k, args.seed, thr)}
        if args.fsdd:
            res["fsdd_test"] = compare(*emb["fsdd_test"], cohorts, args.top_k, args.seed, thr)
            both = (np.concatenate([emb["fsdd_tune"][0], emb["fsdd_test"][0]]), emb["fsdd_tune"][1] + emb["fsdd_test"][1])
            res["fsdd_all"] = compare(*both, ls_only, args.top_k, args.seed, thr)
        res["cohort_sizes"] = {k: int(len(v)) for k, v in cohorts.items()}
        res["seconds"] = round(time.time() - t0, 1)
        report["models"][str(model)] = res
        for set_name in ("ls_test", "fsdd_test", "fsdd_all"):
            if set_name in res:
                line = ", ".join(f"{k}: EER {v['eer']:.2%}" for k, v in res[set_name].items())
                print(f"[snorm] {Path(model).name} {set_name}: {line}", flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
