"""The MNIST few-shot score of an encoder: the digit preset's held-out images, the app's own few-shot
classifiers (``siamgui fewshot --classifier centroid|svm``). The ``omniglot-mnist-svm`` recipe runs
it after training and writes the figures into the card; ``python -m studies.fewshot_digits``
compares the shipped models with it.

Both models are scored on the same images: the 20% of each class that ``siamgui-train --preset
digit`` held out for validation (``split_samples``, seed 0), so the digit model never trained on
them and the glyph model (trained on Omniglot only) never saw a digit. In every episode the
queries are a fixed half of those images (100 a class) and the k support examples of each
class are drawn (seeded) from the other half: support and query never share an image.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from siamgui.core.encoder import Encoder
from siamgui.tasks import fewshot as fs


def validation_images(root: str, seed: int = 0) -> dict[str, list]:
    """The digit preset's held-out images of each class (the same rule and seed as its training)."""
    from siamgui.train import data  # numpy only: no torch imported

    items = data.scan([root], "image")
    _, val, _ = data.split_samples(items, 0.2, seed)
    out: dict[str, list] = {}
    for i in val:
        out.setdefault(items[i].label.split("/")[-1], []).append(items[i].path)
    return out


def score(model: str, by_class: dict[str, list], shots, classifiers, episodes: int, seed: int) -> dict:
    enc = Encoder.load(model, device="cpu")
    classes = sorted(by_class)
    files = [f for c in classes for f in by_class[c]]
    labels = np.asarray([i for i, c in enumerate(classes) for _ in by_class[c]])
    emb, kept, skipped = fs.embed_files(enc, files)
    assert not skipped, skipped[:3]
    rng = np.random.default_rng(seed)
    query_mask = np.zeros(len(labels), bool)
    for i in range(len(classes)):  # a fixed half of each class answers, the other half supports
        idx = np.nonzero(labels == i)[0]
        query_mask[rng.choice(idx, size=len(idx) // 2, replace=False)] = True
    out: dict = {}
    for name in classifiers:
        for k in shots:
            accs = []
            for e in range(episodes):
                r = np.random.default_rng([seed, k, e])
                pick = np.concatenate([r.choice(np.nonzero((labels == i) & ~query_mask)[0], size=k, replace=False)
                                       for i in range(len(classes))])
                support = fs.SupportSet(classes, [files[j] for j in pick], labels[pick], emb[pick], enc.card.metric)
                clf = fs.fit(support, name)
                got, _ = clf.predict(emb[query_mask])
                accs.append(float(np.mean(np.asarray(got) == labels[query_mask])))
            out[f"{name}_{k}"] = {"mean": float(np.mean(accs)), "std": float(np.std(accs))}
    out["queries"] = int(query_mask.sum())
    return out


def into_card(model: str | Path, mnist: str | Path, shots=(1, 5, 10), episodes: int = 20, seed: int = 0,
              command: str = "") -> dict:
    """Score ``model`` on the MNIST few-shot task (both classifiers; SVM needs scikit-learn) and
    write the figures into its card as ``metrics.mnist_fewshot``, beside the seed's: what the
    ``omniglot-mnist-svm`` recipe adds after training. Returns the figures."""
    from siamgui.core.modelcard import read_card, write_card

    if not fs.svm_available():
        raise fs.FewShotError(fs.SVM_HINT)
    t0 = time.perf_counter()
    figures = score(str(model), validation_images(str(mnist), seed), tuple(shots), ("svm", "centroid"), episodes, seed)
    figures.update({
        "task": f"{len(validation_images(str(mnist), seed))}-way MNIST digits from k examples each: the digit "
                "preset's held-out images (seed 0), a fixed half as queries, support drawn from the other half",
        "data": str(mnist), "episodes": episodes, "shots": list(shots), "seconds": round(time.perf_counter() - t0, 1),
        "classifiers": {"svm": "scikit-learn LinearSVC on the embeddings", "centroid": "nearest class mean"},
        **({"command": command} if command else {}),
    })
    card = read_card(model)
    card.metrics["mnist_fewshot"] = figures
    write_card(model, card)
    return figures


def summary(figures: dict) -> str:
    """One line per classifier: ``svm  1-shot 80.4% ± 6.0  5-shot ...``."""
    return "\n".join(f"{c:8s} " + "  ".join(f"{k}-shot {figures[f'{c}_{k}']['mean']:.1%} ± "
                                            f"{100 * figures[f'{c}_{k}']['std']:.1f}" for k in figures["shots"])
                     for c in ("svm", "centroid"))
