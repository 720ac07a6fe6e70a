"""The seeds' experiments as recipes: one name runs one training with the seed's data, preset and
loss, and writes the seed's own reported figure into the card beside ours.

    siamgui-train recipes                                  (list them)
    siamgui-train recipe mnist-contrastive --minutes 5     (run one; the model goes to the user's models folder)
    siamgui-train recipe omniglot-mnist-svm --shots 1 5 10 --episodes 20
                                                           (trains on Omniglot, then scores MNIST few-shot with
                                                            an SVM: a recipe's ``then`` step, after training)

Data folders are named relative to the shared data root: ``$SIAMGUI_DATA`` when set, else
``../shared/data`` beside the working folder or beside the project checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from siamgui.train.data import TrainError


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    data: tuple[str, ...]  # folders under the data root
    preset: str
    model: str  # the model file's name (models folder / <model>.onnx)
    reported: dict  # the seed's own figure: {"figure": ..., "value": ..., "source": ...}
    args: tuple[str, ...] = ()  # extra siamgui-train options (loss, margin, split)
    note: str = ""  # what a learner should know (how it is split, licences)
    minutes: float = 5.0
    licence: str = ""  # the data's licence, as the card states it
    samples: str = ""  # "none: WHY" when no sample pair may ship with the model (the card says so)
    then: str = ""  # a step after training (a key of AFTER), e.g. scoring the model on another task
    then_data: tuple[str, ...] = ()  # folders under the data root that step reads (not trained on)

    def describe(self) -> str:
        then = f" (then {', '.join(self.then_data)})" if self.then_data else ""
        return (f"{self.name}: {self.title}\n    data {', '.join(self.data)}{then}; preset {self.preset} "
                f"{' '.join(self.args)}\n    seed reports {self.reported['figure']}"
                + (f"\n    {self.note}" if self.note else ""))


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("mnist-contrastive", "MNIST digit pairs, contrastive loss, margin 1", ("glyphs/mnist_train",), "digit",
           "digit-recipe",
           {"figure": "98.9% pair accuracy on MNIST pairs", "metric": "pair_accuracy", "value": 0.989,
            "source": "seed: Siamese network on MNIST pairs, contrastive loss, margin 1"},
           ("--loss", "contrastive", "--margin", "1", "--split-by", "sample"),
           "split by sample: held-out images of the same ten digits (the seed's set-up), not unseen classes",
           licence="MNIST (LeCun, Cortes & Burges), CC BY-SA 3.0"),
    Recipe("omniglot-oneshot", "Omniglot one-shot over alphabets never trained on", ("glyphs/omniglot_background",),
           "glyph", "glyph-recipe",
           {"figure": "one-shot classification of unseen Omniglot characters (20-way)", "metric": "one_shot_20",
            "value": None, "source": "seed: feature extractor (Omniglot one-shot, then Omniglot-to-MNIST with an SVM)"},
           (), "split by alphabet: validation characters come from alphabets the model never saw", 8.0,
           licence="Omniglot (Lake et al.), MIT"),
    Recipe("omniglot-mnist-svm", "Omniglot-trained features name MNIST digits with an SVM",
           ("glyphs/omniglot_background",), "glyph", "glyph-mnist",
           {"figure": "an encoder trained on Omniglot only, used as a feature extractor: an SVM on its "
                      "embeddings classifies MNIST digits (no number stated)", "metric": "mnist_fewshot",
            "value": None, "source": "seed: feature extractor (Omniglot one-shot, then Omniglot-to-MNIST with an SVM)"},
           (), "trains on Omniglot (split by alphabet), never on a digit; then scores 10-way MNIST from 1, 5 and 10 "
               "examples a digit with an SVM (scikit-learn: the fewshot extra) and the nearest class mean, written "
               "into the card", 5.0,
           licence="Omniglot (Lake et al.), MIT; scored on MNIST (LeCun, Cortes & Burges), CC BY-SA 3.0",
           then="mnist-fewshot", then_data=("glyphs/mnist_train",)),
    Recipe("orl-contrastive", "ORL faces with a contrastive loss (small network from scratch)", ("faces/orl",),
           "face", "orl-recipe",
           {"figure": "face verification on ORL with a contrastive loss (no number stated)", "metric": None,
            "value": None, "source": "seed: face and audio recognition"},
           ("--loss", "contrastive", "--margin", "1"),
           "split by person: 8 of the 40 people are held out; data: AT&T / ORL, research use, credit AT&T",
           licence="AT&T Laboratories Cambridge ORL faces: research use, credit AT&T"),
    Recipe("cats-dogs", "Cat or dog? sounds with a contrastive loss", ("sounds/audio_cats_dogs",), "sound", "sound",
           {"figure": "cat / dog sound verification (the seed's audio part; no number stated)", "metric": None,
            "value": None, "source": "seed: face and audio recognition"},
           (), "only 2 kinds of sound: split by clip (a quarter of each kind's clips held out), so the figures "
               "are for new recordings of known kinds; the clips state no licence: a demo model only",
           licence="Kaggle audio cats and dogs: the copy used states no licence (a demo model only)",
           samples="none: the training clips (Kaggle audio cats and dogs) state no licence, so none of them may ship"),
    Recipe("fruit", "Fruit varieties, N-way one-shot on held-out varieties", ("objects/fruits360_3body",), "image",
           "fruit",
           {"figure": "90% N-way one-shot accuracy on its validation episodes", "metric": "one_shot", "value": 0.90,
            "source": "seed: Fruits-360 one-shot"},
           (), "split by variety: a fifth of the 49 varieties held out; Fruits-360 is CC BY-SA 4.0 (Mihai Oltean): "
               "the model is shared under the same licence; the shipped fruit model is this recipe at --size 96 "
               "--steps 3000 (4.8 min of training on an H100)", 8.0,
           licence="Fruits-360 (Mihai Oltean), CC BY-SA 4.0: this model is shared under CC BY-SA 4.0"),
)}


def data_root() -> Path | None:
    """``$SIAMGUI_DATA``, else ``../shared/data`` beside the working folder or the project checkout."""
    env = os.environ.get("SIAMGUI_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        path = base.parent / "shared" / "data"
        if path.is_dir():
            return path
    return None


def resolve_data(recipe: Recipe) -> list[Path]:
    """The recipe's folders; TrainError in one sentence when they are absent."""
    root = data_root()
    if root is None:
        raise TrainError(f"recipe {recipe.name} needs the shared data sets: set SIAMGUI_DATA to the folder that "
                         f"holds {recipe.data[0]} (or put it at ../shared/data)")
    paths = [root / d for d in recipe.data]
    missing = [str(p) for p in paths if not p.is_dir()]
    if missing:
        raise TrainError(f"recipe {recipe.name} needs {', '.join(missing)}, which is not there")
    return paths


def resolve_then(recipe: Recipe) -> list[Path]:
    """The folders the after-training step reads; TrainError in one sentence when absent."""
    if not recipe.then_data:
        return []
    root = data_root()
    paths = [root / d for d in recipe.then_data] if root else []
    missing = [d for d, p in zip(recipe.then_data, paths) if not p.is_dir()] if root else list(recipe.then_data)
    if missing:
        raise TrainError(f"recipe {recipe.name} also needs {', '.join(missing)} under the shared data root "
                         f"({root if root else 'not found: set SIAMGUI_DATA'}), which is not there")
    return paths


def _mnist_fewshot(recipe: Recipe, out: Path, folders: list[Path], opts: argparse.Namespace) -> None:
    from siamgui.train import mnist_fewshot

    print(f"[siamgui-train] scoring {out.name} on MNIST few-shot ({opts.episodes} episodes a cell, shots "
          f"{' '.join(map(str, opts.shots))}): SVM and nearest class mean", flush=True)
    figures = mnist_fewshot.into_card(out, folders[0], tuple(opts.shots), opts.episodes,
                                       command=f"siamgui-train recipe {recipe.name}")
    print(mnist_fewshot.summary(figures), flush=True)
    print(f"[siamgui-train] MNIST few-shot figures written into {out.name}'s card (metrics.mnist_fewshot) beside "
          f"the seed's (metrics.seed_reported)", flush=True)


def _needs_svm(recipe: Recipe) -> str:
    """'' when the recipe can run here, else one sentence on what to install."""
    if recipe.then != "mnist-fewshot":
        return ""
    from siamgui.tasks import fewshot

    return "" if fewshot.svm_installed() else f"recipe {recipe.name}: {fewshot.SVM_HINT}"


# steps a recipe runs after training (Recipe.then)
AFTER = {"mnist-fewshot": _mnist_fewshot}


def get(name: str) -> Recipe:
    if name not in RECIPES:
        raise TrainError(f"no recipe named {name!r} (recipes: {', '.join(RECIPES)})")
    return RECIPES[name]


def default_out(recipe: Recipe) -> Path:
    """The user's models folder, where the app's model picker finds it."""
    from siamgui.core import registry

    return registry.user_dir() / f"{recipe.model}.onnx"


def train_argv(recipe: Recipe, out: Path, rest: list[str]) -> list[str]:
    """The ``siamgui-train`` arguments the recipe stands for (``rest``: the user's extra options)."""
    has_budget = any(a in ("--minutes", "--steps") for a in rest)
    return [*map(str, resolve_data(recipe)), "--preset", recipe.preset, "--out", str(out), *recipe.args,
            *([] if has_budget else ["--minutes", str(recipe.minutes)]),
            "--reported", json.dumps(recipe.reported),
            *(["--data-licence", recipe.licence] if recipe.licence else []),
            *(["--samples-note", recipe.samples] if recipe.samples else []), *rest]


def parser() -> argparse.ArgumentParser:
    """``siamgui-train recipe NAME``'s own options; the rest are siamgui-train's (cli.parser)."""
    from siamgui.train.config import OneLineParser, at_least

    ap = OneLineParser(prog="siamgui-train recipe", description="run one of the seeds' experiments")
    ap.add_argument("name", choices=sorted(RECIPES))
    ap.add_argument("--out", help="the .onnx to write (default: the user's models folder, <model>.onnx)")
    ap.add_argument("--episodes", type=at_least(1), default=20, help="after-training few-shot scoring: episodes a cell")
    ap.add_argument("--shots", type=at_least(1), nargs="+", default=[1, 5, 10],
                    help="after-training few-shot scoring: k")
    return ap


def main(argv: list[str]) -> int:
    """``recipes`` (list) and ``recipe NAME [--out X.onnx] [training options]``."""
    from siamgui.train import cli

    if argv[:1] == ["recipes"]:
        for r in RECIPES.values():
            print(r.describe())
        root = data_root()
        print(f"data root: {root if root else 'not found (set SIAMGUI_DATA or put the data at ../shared/data)'}")
        return 0
    args, rest = parser().parse_known_args(argv[1:])
    recipe = RECIPES[args.name]
    out = Path(args.out) if args.out else default_out(recipe)
    missing = _needs_svm(recipe)
    if missing:  # before minutes of training, not after
        print(f"siamgui-train: error: {missing}", file=sys.stderr)
        return 2
    try:
        full = train_argv(recipe, out, rest)
        then = resolve_then(recipe)
    except TrainError as exc:
        print(f"siamgui-train: error: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"[siamgui-train] recipe {recipe.name}: {recipe.title}; seed reports {recipe.reported['figure']}"
          + (f"; {recipe.note}" if recipe.note else ""), flush=True)
    if "--workdir" not in rest:
        from siamgui.core import registry

        full += ["--workdir", str(registry.user_dir().parent / "runs" / f"recipe-{recipe.name}")]
    code = cli.main(full)
    if code != 0 or not recipe.then:
        return code
    from siamgui.tasks.fewshot import FewShotError

    try:
        AFTER[recipe.then](recipe, out, then, args)
    except (TrainError, FewShotError) as exc:
        print(f"siamgui-train: error: {exc}", file=sys.stderr)
        return 2
    return 0


__all__ = ["AFTER", "RECIPES", "Recipe", "data_root", "default_out", "get", "main", "parser", "resolve_data",
           "resolve_then", "train_argv"]
