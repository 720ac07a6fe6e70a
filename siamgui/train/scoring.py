"""A model's threshold chosen on validation identities of every data set together, and its
figures on test identities it was never tuned on, per data set.

    python -m siamgui.train.scoring MODEL.onnx DATA_DIR... [--write] [--json OUT.json]

Identities (classes) are split per data set, seeded: **test** is the 20% that ``siamgui-train``
holds out with seed 0 (the identities of the peers table), **tune** is the rest, less any class the
card says the model trained on. The card threshold is the equal-error point of the tune pairs of all
sets pooled (pairs within each set: another data set is an easy impostor), so a user who never
calibrates gets one threshold that works on every kind of photo. On the test identities, per set:
ROC AUC, EER, accuracy at the card threshold and at the best threshold for that set, and rank-1
one-shot identification (one enrolment sample per identity, every other sample a query).

Every file goes through the app's own ``Encoder`` (detection, alignment, features), so these are
the figures a user gets. ``--write`` stores the threshold, the figures and the split in the card.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from siamgui.core import metrics
from siamgui.core.compare import distance, pairwise
from siamgui.errors import UserError
from siamgui.train import data

TEST_FRACTION = 0.2
SEED = 0


def embed_items(enc, items: list[data.Item], log=print) -> tuple[np.ndarray, list[int], dict[str, int]]:
    """Embeddings of the items the encoder can use, their indices, and why the others were left out."""
    vecs, kept, why = [], [], {}
    for n, it in enumerate(items):
        try:
            vecs.append(enc.embed_one(it.path))
            kept.append(n)
        except UserError as exc:
            key = str(exc).split(": ", 1)[-1][:60]
            why[key] = why.get(key, 0) + 1
        if log and (n + 1) % 500 == 0:
            log(f"  embedded {n + 1}/{len(items)}")
    return np.asarray(vecs, np.float32), kept, why


def within_group_pairs(labels: np.ndarray, groups: np.ndarray, rng: np.random.Generator,
                       max_impostors: int = 100_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, same): every genuine pair, and impostor pairs drawn within the same data set."""
    iu, ju = np.triu_indices(len(labels), k=1)
    keep = groups[iu] == groups[ju]
    iu, ju = iu[keep], ju[keep]
    same = labels[iu] == labels[ju]
    ni, nj = iu[~same], ju[~same]
    if len(ni) > max_impostors:
        pick = rng.choice(len(ni), size=max_impostors, replace=False)
        ni, nj = ni[pick], nj[pick]
    return np.r_[iu[same], ni], np.r_[ju[same], nj], np.r_[np.ones(same.sum(), bool), np.zeros(len(ni), bool)]


def rank1(emb: np.ndarray, labels: np.ndarray, metric: str, rng: np.random.Generator) -> float:
    """One-shot identification: each identity enrolled from one random sample; every other sample
    must be nearest to its own identity's enrolment sample."""
    classes = [c for c in np.unique(labels) if (labels == c).sum() >= 2]
    enrol = {c: rng.choice(np.nonzero(labels == c)[0]) for c in classes}
    gallery = np.array([enrol[c] for c in classes])
    queries = np.array([i for i in range(len(labels)) if labels[i] in enrol and i != enrol[labels[i]]])
    d = pairwise(emb[queries], emb[gallery], metric)
    return float(np.mean(np.asarray(classes)[np.argmin(d, axis=1)] == labels[queries]))


def figures(emb: np.ndarray, labels: np.ndarray, groups: np.ndarray, metric: str, threshold: float,
            seed: int = SEED) -> dict[str, Any]:
    """Per data set (and all together): AUC, EER, accuracy at ``threshold`` and at the set's best
    threshold, rank-1 one-shot identification."""
    out: dict[str, Any] = {}
    for g in [*sorted(set(groups)), "all"]:
        m = np.ones(len(labels), bool) if g == "all" else groups == g
        if len(set(labels[m])) < 2:
            continue
        rng = np.random.default_rng(seed)
        i, j, same = within_group_pairs(labels[m], groups[m], rng)
        e = emb[m]
        d = distance(e[i], e[j], metric)
        rate, _ = metrics.eer(d, same)
        at = metrics.rates_at(d, same, threshold)
        cands = np.unique(np.quantile(d, np.linspace(0, 1, 801)))
        best = max(((d[same] <= t).mean() + (d[~same] > t).mean()) / 2 for t in cands)
        out[g] = {"identities": int(len(set(labels[m]))), "samples": int(m.sum()), "auc": metrics.roc_auc(d, same),
                  "eer": rate, "accuracy_at_threshold": (1 - at["frr"] + 1 - at["far"]) / 2,
                  "far": at["far"], "frr": at["frr"], "best_accuracy": float(best),
                  "rank1": rank1(e, labels[m], metric, np.random.default_rng(seed))}
    return out


def split(items: list[data.Item], trained: set[str], test: list[str] | None = None) -> tuple[set[str], set[str]]:
    """(tune classes, test classes): test is siamgui-train's seed-0 20% hold-out (or the given
    list); tune the rest minus what the model trained on."""
    if test is None:
        _, test, _ = data.split_classes(items, TEST_FRACTION, SEED)
    test_set = set(test) & {it.label for it in items}
    tune = {it.label for it in items} - test_set - trained
    return tune, test_set


def write(model: str | Path, report: dict[str, Any], test: list[str], data_dirs: list[str]) -> None:
    """Store the chosen threshold, the test figures and the split in the model's card."""
    from siamgui.core.modelcard import read_card, write_card

    card = read_card(model)
    figs = report["test"]
    card.threshold = float(report["threshold"])
    card.metrics = {**card.metrics, "threshold_rule": "EER point of within-set pairs of tune identities, all "
                    "sets pooled (python -m siamgui.train.scoring)", "tune_eer": report["tune_eer"],
                    "test": figs, "auc": figs["all"]["auc"], "eer": figs["all"]["eer"], "rank1": figs["all"]["rank1"],
                    "accuracy": figs["all"]["accuracy_at_threshold"]}
    prov = dict(card.provenance)
    prov["split"] = {**(prov.get("split") or {}), "rule": "test: 20% of the identities of every set, seed 0 "
                     "(siamgui-train's hold-out); tune: the rest", "val_class_names": list(test),
                     "tune_classes": report["tune_identities"]}
    prov["data"] = [str(Path(d)) for d in data_dirs]
    card.provenance = prov
    write_card(model, card)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m siamgui.train.scoring", description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("data_dirs", nargs="+")
    ap.add_argument("--write", action="store_true", help="store the threshold, figures and split in the card")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--name-class", help="as given to siamgui-train")
    ap.add_argument("--test-from", metavar="MODEL.onnx",
                    help="test on the classes another model's card held out (same identities, side by side)")
    args = ap.parse_args(argv)
    from siamgui.core.encoder import Encoder
    from siamgui.core.modelcard import read_card

    enc = Encoder.load(args.model, device="cpu")
    items = data.scan(args.data_dirs, enc.modality.medium, args.name_class)
    trained = set((enc.card.provenance.get("split") or {}).get("train_class_names") or [])
    given = None
    if args.test_from:
        given = (read_card(args.test_from).provenance.get("split") or {}).get("val_class_names")
        if not given:
            print(f"{args.test_from}: its card names no held-out classes", file=sys.stderr)
            return 2
    tune, test = split(items, trained, given)
    print(f"{len(items)} files; {len(tune)} tune identities, {len(test)} test identities "
          f"({len(trained)} trained on, left out)", flush=True)
    use = [it for it in items if it.label in tune or it.label in test]
    emb, kept, why = embed_items(enc, use)
    labels = np.array([use[k].label for k in kept])
    groups = np.array([use[k].group for k in kept])
    is_test = np.array([lab in test for lab in labels])
    metric = enc.card.metric
    rng = np.random.default_rng(SEED)
    i, j, same = within_group_pairs(labels[~is_test], groups[~is_test], rng)
    tuned = emb[~is_test]
    d = distance(tuned[i], tuned[j], metric)
    tune_eer, threshold = metrics.eer(d, same)
    print(f"tune: {same.sum()} genuine + {(~same).sum()} impostor pairs, EER {tune_eer:.2%} at {threshold:.4f}")
    test_figs = figures(emb[is_test], labels[is_test], groups[is_test], metric, threshold)
    report = {"model": str(args.model), "threshold": threshold, "test_classes": sorted(test), "tune_eer": tune_eer, "left_out": why,
              "tune_identities": len(tune), "test_identities": len(test), "test": test_figs}
    print(f"{'set':<16}{'ids':>5}{'files':>7}{'AUC':>9}{'EER':>8}{'acc@card':>10}{'best acc':>10}{'rank-1':>9}")
    for g, f in test_figs.items():
        print(f"{g:<16}{f['identities']:>5}{f['samples']:>7}{f['auc']:>9.4f}{f['eer']:>8.2%}"
              f"{f['accuracy_at_threshold']:>10.2%}{f['best_accuracy']:>10.2%}{f['rank1']:>9.2%}")
    if why:
        print("left out: " + "; ".join(f"{n} {k}" for k, n in why.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    if args.write:
        write(args.model, report, sorted(test), args.data_dirs)
        print(f"card of {args.model} updated: threshold {threshold:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
