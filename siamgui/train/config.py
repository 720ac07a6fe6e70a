"""One training run's options, each declared once: a ``Config`` field whose metadata gives its
``siamgui-train`` flag, help and checks. ``parser()`` is built from these fields, so adding an
option is one field here (and its use in the Trainer). No torch here: ``--list`` and ``--help``
answer without loading the network code.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Callable

from siamgui.train.loss_names import LOSSES
from siamgui.train.presets import PRESETS


# --- value checks: each returns the value or raises ArgumentTypeError with one sentence ----------------
def _number(text: str, kind: Callable[[str], Any]) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def at_least(low: float, kind: Callable[[str], Any] = int, why: str = "") -> Callable[[str], Any]:
    """A type for argparse: a number of ``kind`` no smaller than ``low`` (finite)."""
    def check(text: str) -> Any:
        value = _number(text, kind)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:g}{why} (got {text})")
        return value
    check.__name__ = kind.__name__
    return check


def above(low: float) -> Callable[[str], float]:
    """A type for argparse: a finite float strictly greater than ``low``."""
    def check(text: str) -> float:
        value = _number(text, float)
        if value <= low:
            raise argparse.ArgumentTypeError(f"must be more than {low:g} (got {text})")
        return value
    check.__name__ = "float"
    return check


def between(low: float, high: float, kind: Callable[[str], Any] = int, low_open: bool = False,
            why: str = "") -> Callable[[str], Any]:
    """A type for argparse: a finite number of ``kind`` from ``low`` (excluded when ``low_open``) to
    ``high``. The upper bound keeps a typo from asking for 256 GB (``--dim 1e9``), forking 100000
    workers or overflowing the optimiser (``--lr 1e308``)."""
    def check(text: str) -> Any:
        value = _number(text, kind)
        if (value <= low if low_open else value < low) or value > high:
            lo = f"more than {low:g}" if low_open else f"at least {low:g}"
            hi = f"{high:,}" if isinstance(high, int) else f"{high:g}"
            raise argparse.ArgumentTypeError(f"must be {lo} and at most {hi}{why} (got {text})")
        return value
    check.__name__ = kind.__name__
    return check


def fraction(text: str) -> float:
    """A share strictly between 0 and 1."""
    value = _number(text, float)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, such as 0.2 (got {text})")
    return value


def numbers(text: str) -> tuple[float, ...]:
    """``0.9,1.1`` -> (0.9, 1.1), for the class-variant options; a clear sentence otherwise."""
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, such as 0.9,1.1 (got {text!r})")
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers separated by commas (got {text!r})")
    return values


def numbers_between(low: float, high: float, what: str) -> Callable[[str], tuple[float, ...]]:
    """:func:`numbers`, each from ``low`` to ``high`` (a speed of 0 divided by zero in the trainer)."""
    def check(text: str) -> tuple[float, ...]:
        values = numbers(text)
        if not all(low <= v <= high for v in values):
            raise argparse.ArgumentTypeError(f"{what} must be from {low:g} to {high:g} (got {text!r})")
        return values
    check.__name__ = "numbers"
    return check


def regex(text: str) -> str:
    """A regular expression with at least one group (the class is its first group)."""
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression ({exc})") from None
    if compiled.groups < 1:
        raise argparse.ArgumentTypeError(f"{text!r} needs a group in brackets: the class is what its first group "
                                         "matches")
    return text


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def option(default: Any = None, *flags: str, help: str, overrides_preset: bool = False, **argparse_kw: Any) -> Any:
    """A Config field that is also a ``siamgui-train`` option (``flags`` empty: a positional);
    ``overrides_preset``: when given, it replaces the preset's value of the same name."""
    kw = {"default": default} if not callable(default) else {"default_factory": default}
    return field(**kw, metadata={"flags": flags, "help": help, "overrides_preset": overrides_preset, **argparse_kw})


def preset_overrides(cfg: "Config") -> dict[str, Any]:
    """The options given that replace the preset's value of the same name (loss, batch shape, ...)."""
    return {f.name: getattr(cfg, f.name) for f in fields(cfg)
            if f.metadata.get("overrides_preset") and getattr(cfg, f.name) is not None}


MAX_P, MAX_K = 512, 128  # classes and samples of a class in a batch (the presets use up to 64 and 24)
MAX_BATCH = 2048  # P x K: the presets' largest is 256; checked in cli.main
BUDGET = "budget"  # --minutes and --steps: one or the other


@dataclass
class Config:
    """Everything one run needs; the command line fills the fields that have flags."""

    data_dirs: list[str] = option(list, help="folder(s) with one sub-folder per class", nargs="+",
                                  metavar="DATA_DIR", positional=True)
    preset: str = option("", "--preset", help="the kind of data and the network for it", required=True,
                         choices=sorted(PRESETS))
    out: str = option("", "--out", help="the .onnx to write (the card goes inside it)", required=True)
    workdir: str = option("", "--workdir", help="checkpoints, curve, report (default runs/<out name>)")
    loss: str | None = option(None, "--loss", overrides_preset=True, help="default: the preset's (see --list)", choices=LOSSES)
    margin: float | None = option(None, "--margin", help="margin of the contrastive / triplet losses",
                                  type=between(0.0, 10.0, float))
    minutes: float | None = option(None, "--minutes", help="train for this long (default: the preset's)",
                                   type=between(0.0, 7 * 24 * 60.0, float, low_open=True, why=" (a week)"), group=BUDGET)
    steps: int | None = option(None, "--steps", help="train this many steps (deterministic with --seed)",
                               type=between(1, 10**9), group=BUDGET)
    seed: int = option(0, "--seed", help="seed of the split, the batches and the weights", type=at_least(0))
    resume: str | None = option(None, "--resume", help="continue from a checkpoint (workdir/checkpoint.pt)",
                                metavar="CKPT")
    val_fraction: float | None = option(None, "--val-fraction", overrides_preset=True, type=fraction,
                                        help="share of classes (or groups) held out for validation")
    split_by: str | None = option(None, "--split-by", overrides_preset=True, choices=("class", "sample"),
                                  help="validate on held-out classes (default; one-shot over unseen classes) or on "
                                       "held-out samples of every class (closed sets such as the ten digits; the "
                                       "digit preset's default)")
    val_groups: list[str] | None = option(None, "--val-groups", nargs="+", metavar="GROUP",
                                          help="hold out these groups (e.g. alphabets)")
    name_class: str | None = option(None, "--name-class", metavar="REGEX", type=regex,
                                    help="class from the file name for files not in class folders (first regex "
                                         "group)")
    p: int | None = option(None, "-P", "--classes-per-batch", overrides_preset=True, help="classes in a batch",
                           type=between(2, MAX_P, why=": a batch needs two classes to tell apart"))
    k: int | None = option(None, "-K", "--samples-per-class", overrides_preset=True, type=between(2, MAX_K, why=
                           ": pairs need two samples of a class"), help="samples of each class in a batch (at least 2)")
    lr: float | None = option(None, "--lr", overrides_preset=True, help="learning rate",
                            type=between(0.0, 10.0, float, low_open=True))
    size: int | None = option(None, "--size", help="input size (image side, or log-mel frames per window)",
                              type=at_least(8))
    dim: int | None = option(None, "--dim", help="embedding size", type=between(2, 4096))
    rotations: int | None = option(None, "--rotations", overrides_preset=True, type=int, choices=(1, 2, 4),
                                   help="glyphs: rotated copies (90 degrees) of each training class as extra "
                                        "classes")
    speed_classes: tuple[float, ...] | None = option(
        None, "--speed-classes", overrides_preset=True, type=numbers_between(0.25, 4.0, "speeds"), metavar="S,S",
        help="audio: each training speaker played at these speeds (e.g. 0.9,1.1) as extra speakers")
    hue_classes: tuple[float, ...] | None = option(
        None, "--hue-classes", overrides_preset=True, type=numbers_between(-180.0, 180.0, "hue turns"), metavar="D,D",
        help="photos: each training class with its hue turned by these degrees as extra classes (write "
             "--hue-classes=-50,50: a value starting with a minus needs the =)")
    groups_per_batch: int | None = option(None, "--groups-per-batch", overrides_preset=True, metavar="G", type=at_least(1),
                                          help="draw each batch's classes from G groups (alphabets) only: "
                                               "same-alphabet negatives")
    eval_every: float = option(120.0, "--eval-every", type=above(0.0), help="seconds between validation checks")
    cache: str | None = option(None, "--cache",
                               help="folder for cached detections / decoded data (default: <workdir>/../cache)")
    progress: bool = option(True, "--no-progress", action="store_false", help="no progress bar")
    log_every: float = option(0.0, "--log-every", metavar="S", type=at_least(0.0, float),
                              help="print a plain 'step N (x min) loss L' line every S seconds (what the Train "
                                   "view reads)")
    device: str = option("auto", "--device", choices=("auto", "cuda", "cpu"),
                         help="where to train (auto: CUDA when torch sees a GPU); several GPUs or machines: run "
                              "under torchrun --nproc_per_node N -m siamgui.train.cli ...")
    workers: int = option(0, "--workers", metavar="N", type=between(0, 64),
                          help="processes preparing batches (keeps a GPU fed; 0 = reproducible, in-process)")
    init: str | None = option(None, "--init", metavar="NAME|MODEL.onnx|CKPT",
                              help="start from an imported encoder (dlib-face, resemblyzer, or the .onnx an import "
                                   "wrote) or an earlier run's checkpoint, instead of random weights")
    train_layers: str | None = option(None, "--train-layers", metavar="all|head|top:N",
                                      help="with --init: which layers learn (default all); the rest keep their "
                                           "pretrained weights")
    exclude_classes_from: str | None = option(
        None, "--exclude-classes-from", metavar="MODEL.onnx",
        help="never use the classes this model's card holds out as its test identities "
             "(provenance.split.val_class_names), so both are scored on the same unseen people")
    reported: dict | None = option(None, "--reported", type=json_object, help=argparse.SUPPRESS)  # a recipe's seed figure
    data_licence: str | None = option(None, "--data-licence", help=argparse.SUPPRESS)  # for the card's provenance
    samples_note: str | None = option(None, "--samples-note", help=argparse.SUPPRESS)  # "none: WHY": no samples ship
    # not options: set by the program
    checkpoint_every: float = 60.0  # seconds
    name: str | None = None
    command: str = ""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes end in one sentence on stderr and exit 2 (no usage block)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def add_options(ap: argparse.ArgumentParser, cls: type = Config) -> argparse.ArgumentParser:
    """Add one argument per Config field that has flags (its metadata is the argparse keywords)."""
    groups: dict[str, Any] = {}
    for f in fields(cls):
        meta = dict(f.metadata)
        if "help" not in meta:
            continue
        flags = meta.pop("flags")
        meta.pop("overrides_preset", None)
        group = meta.pop("group", None)
        positional = meta.pop("positional", False)
        target = ap
        if group is not None:  # not setdefault: its default would make an empty group that breaks --help
            if group not in groups:
                groups[group] = ap.add_mutually_exclusive_group()
            target = groups[group]
        if positional:
            target.add_argument(f.name, **meta)
            continue
        if meta.get("action") not in ("store_false", "store_true"):
            meta["default"] = None if f.default is MISSING else f.default
        target.add_argument(*flags, dest=f.name, **meta)
    return ap


def from_args(args: argparse.Namespace, **extra: Any) -> Config:
    """The Config the parsed arguments stand for (``extra``: fields the program fills)."""
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)}
    return Config(**{**given, **extra})
