"""Omniglot-to-MNIST and the digit model, measured with the app's few-shot task (a study).

    python -m studies.fewshot_digits ../shared/data/glyphs/mnist_train [--episodes 20] [--json]

The scoring itself (images, episodes, classifiers) is ``siamgui.train.mnist_fewshot``, the same
code the ``omniglot-mnist-svm`` recipe runs after training; see its docstring for the protocol.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from siamgui.tasks import fewshot as fs
from siamgui.train.mnist_fewshot import score, validation_images


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m studies.fewshot_digits", description=__doc__.split("\n")[0])
    ap.add_argument("mnist", help="folder of digit class folders (../shared/data/glyphs/mnist_train)")
    ap.add_argument("--models", nargs="+", default=["glyph", "digit"])
    ap.add_argument("--episodes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    images = validation_images(args.mnist)
    classifiers = ["centroid"] + (["svm"] if fs.svm_available() else [])
    if "svm" not in classifiers:
        print(f"note: {fs.SVM_HINT}", file=sys.stderr)
    results = {}
    for m in args.models:
        t0 = time.perf_counter()
        results[m] = score(m, images, (1, 5, 10), classifiers, args.episodes, args.seed)
        results[m]["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"10-way, {results[args.models[0]]['queries']} queries, {args.episodes} episodes per cell (mean ± sd)")
    for m, r in results.items():
        for c in classifiers:
            print(f"{m:6s} {c:8s} " + "  ".join(f"{k}-shot {r[f'{c}_{k}']['mean']:.1%} ± {r[f'{c}_{k}']['std']:.1%}"
                                                for k in (1, 5, 10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
