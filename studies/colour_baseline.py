"""What a colour histogram alone scores on the held-out kinds of a photo training run: the bar a
learned encoder for photos of things must clear (for fruit varieties it is a high one).

    python -m studies.colour_baseline ../shared/data/objects/fruits360_3body --seeds 0 1 2 3 4

For each seed, the classes ``siamgui-train --preset image --seed S`` holds out (the same split
rule), embedded by the image preset's fixed histogram branch alone; prints EER and N-way one-shot
figures per seed and their mean.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def baseline(data_dirs: list[str], seeds: list[int], preset_name: str = "image") -> list[dict]:
    """Per seed: the held-out classes' figures with the histogram branch of ``preset_name``."""
    import torch

    from siamgui import kinds as modalities
    from siamgui.train import backbones, data, evaluate, presets
    from siamgui.train.modalities import PhotoSource

    preset = presets.get(preset_name)
    cfg = preset["backbone"].get("colour_hist")
    if not cfg:
        raise data.TrainError(f"the {preset_name} preset has no colour histogram")
    skipped = data.Skipped()
    items = data.scan(data_dirs, preset["modality"], None, skipped)
    source = PhotoSource(items, preset["spec"], skipped, None, progress=False)
    spec = modalities.get(preset["spec"]).spec
    hist = backbones.ColourHistogram.from_config({**cfg, "mean": spec["mean"], "std": spec["std"]})
    inputs, labels = source.eval_inputs(list(range(len(source.items))), np.random.default_rng(0))
    with torch.no_grad():
        emb = np.concatenate([hist(torch.from_numpy(np.ascontiguousarray(x, np.float32))).numpy() for x in inputs])
    out = []
    for seed in seeds:
        _, val, _ = data.split_classes(source.items, preset["val_fraction"], seed,
                                       by_group=preset["split_by_group"])  # the split siamgui-train makes
        keep = [i for i, lab in enumerate(labels) if lab in set(val)]
        figs = evaluate.evaluate(emb[keep], [labels[i] for i in keep], seed=seed)
        out.append({"seed": seed, "val_classes": len(val), **{k: figs[k] for k in ("eer", "way_10_shot_1") if k in figs}})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studies.colour_baseline", description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dirs", nargs="+")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--preset", default="image")
    args = ap.parse_args(argv)
    from siamgui.train.data import TrainError

    try:
        rows = baseline(args.data_dirs, args.seeds, args.preset)
    except TrainError as exc:
        print(f"colour_baseline: error: {exc}", file=sys.stderr)
        return 1
    for r in rows:
        print(json.dumps(r))
    for key in ("eer", "way_10_shot_1"):
        vals = [r[key] for r in rows if key in r]
        if vals:
            print(f"mean {key} over {len(vals)} seeds: {np.mean(vals):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
