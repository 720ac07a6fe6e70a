"""A shipped model's figures on its own held-out classes, per data set (group).

    python -m studies.per_group models/face.onnx ../shared/data/faces [--name-class REGEX]

The held-out classes are the ones the card's ``provenance.split`` names, so nothing the model
trained on is scored. Pairs are formed within each group, which is harder to flatter than the
pooled figure (a different data set is an easy impostor).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from siamgui.core.modelcard import read_card
from siamgui.train import data, evaluate, export
from siamgui.train.modalities import SOURCES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studies.per_group", description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("data_dirs", nargs="+")
    ap.add_argument("--name-class", help="as given to siamgui-train")
    ap.add_argument("--cache", help="cache folder of siamgui-train (face detections, decoded audio)")
    args = ap.parse_args(argv)
    card = read_card(args.model)
    val = set(card.provenance.get("split", {}).get("val_class_names") or [])
    if not val:
        print(f"{args.model}: the card names no held-out classes (provenance.split.val_class_names)", file=sys.stderr)
        return 2
    skipped = data.Skipped()
    items = [it for it in data.scan(args.data_dirs, card.modality, args.name_class, skipped) if it.label in val]
    src = SOURCES[card.preprocess["kind"]](items, card.preprocess, skipped, Path(args.cache) if args.cache else None,
                                           progress=False)
    inputs, labels = src.eval_inputs(list(range(len(src.items))), np.random.default_rng(0))
    label_group = {it.label: it.group for it in src.items}
    groups = [label_group[lab] for lab in labels]
    emb = evaluate.embed(export.ort_run(args.model), inputs)

    def line(name: str, mask: np.ndarray) -> str:
        lab = [lab for lab, keep in zip(labels, mask) if keep]
        r = evaluate.evaluate(emb[mask], lab, quick=True)
        return (f"{name:<28} {len(set(lab)):>4} classes {len(lab):>5} samples   AUC {r['auc']:.4f}   "
                f"EER {100 * r['eer']:5.2f}%")

    print(line("all held-out classes", np.ones(len(labels), bool)))
    for g in sorted(set(groups)):
        mask = np.array([x == g for x in groups])
        if len(set(lab for lab, keep in zip(labels, mask) if keep)) >= 2:
            print(line(g, mask))
    if skipped.total:
        print(skipped.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
