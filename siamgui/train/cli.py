"""``siamgui-train``: train a Siamese encoder on class folders and export it for the app.

    siamgui-train ../shared/data/glyphs/omniglot_background --preset glyph --out models/glyph.onnx
    siamgui-train faces/orl faces/ar --preset face --out models/face.onnx --minutes 20 --seed 0
    siamgui-train faces --preset face-finetune --init dlib-face --train-layers head \
        --exclude-classes-from models/face.onnx --out runs/face-ft.onnx     (fine-tune an imported encoder)
    siamgui-train voices/librispeech_251 voices/fsdd --name-class '^\\d+_([a-z]+)_\\d+' --preset voice ...
    siamgui-train import dlib-face --out models/face.onnx        (pretrained encoders, converted here;
    siamgui-train import resemblyzer --out models/voice.onnx      see siamgui/train/importers/)
    siamgui-train import mtcnn --out-dir models/detectors
    siamgui-train recipes                         (the seeds' experiments; see siamgui/train/recipes.py)
    siamgui-train recipe fruit --minutes 8        (run one: the model goes to the user's models folder)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from siamgui.train.losses import LOSSES
from siamgui.train.presets import PRESETS

def numbers(text: str) -> tuple[float, ...]:
    """``0.9,1.1`` -> (0.9, 1.1), for the class-variant options; a clear sentence otherwise."""
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, such as 0.9,1.1 (got {text!r})")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="siamgui-train", description=__doc__.split("\n")[0])
    ap.add_argument("data_dirs", nargs="+", metavar="DATA_DIR", help="folder(s) with one sub-folder per class")
    ap.add_argument("--preset", required=True, choices=sorted(PRESETS))
    ap.add_argument("--out", required=True, help="the .onnx to write (the card goes inside it)")
    ap.add_argument("--workdir", help="checkpoints, curve, report (default runs/<out name>)")
    ap.add_argument("--loss", choices=LOSSES, help="default: the preset's (proto)")
    ap.add_argument("--margin", type=float, help="margin of the contrastive / triplet losses")
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="train for this long (default: the preset's)")
    budget.add_argument("--steps", type=int, help="train this many steps (deterministic with --seed)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (workdir/checkpoint.pt)")
    ap.add_argument("--val-fraction", type=float, help="share of classes (or groups) held out for validation")
    ap.add_argument("--split-by", choices=("class", "sample"),
                    help="validate on held-out classes (default; one-shot over unseen classes) or on held-out "
                         "samples of every class (closed sets such as the ten digits; the digit preset's default)")
    ap.add_argument("--val-groups", nargs="+", metavar="GROUP", help="hold out these groups (e.g. alphabets)")
    ap.add_argument("--name-class", metavar="REGEX",
                    help="class from the file name for files not in class folders (first regex group)")
    ap.add_argument("-P", "--classes-per-batch", dest="p", type=int)
    ap.add_argument("-K", "--samples-per-class", dest="k", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--size", type=int, help="input size (image side, or log-mel frames per window)")
    ap.add_argument("--dim", type=int, help="embedding size")
    ap.add_argument("--rotations", type=int, choices=(1, 2, 4),
                    help="glyphs: rotated copies (90 degrees) of each training class as extra classes")
    ap.add_argument("--speed-classes", type=numbers, metavar="S,S",
                    help="audio: each training speaker played at these speeds (e.g. 0.9,1.1) as extra speakers")
    ap.add_argument("--hue-classes", type=numbers, metavar="D,D",
                    help="photos: each training class with its hue turned by these degrees as extra classes (write "
                         "--hue-classes=-50,50: a value starting with a minus needs the =)")
    ap.add_argument("--groups-per-batch", type=int, metavar="G",
                    help="draw each batch's classes from G groups (alphabets) only: same-alphabet negatives")
    ap.add_argument("--eval-every", type=float, default=120.0, help="seconds between validation checks")
    ap.add_argument("--cache", help="folder for cached detections / decoded data (default: <workdir>/../cache)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--log-every", type=float, default=0.0, metavar="S",
                    help="print a plain 'step N (x min) loss L' line every S seconds (what the Train view reads)")
    ap.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto",
                    help="where to train (auto: CUDA when torch sees a GPU); several GPUs or machines: run under "
                         "torchrun --nproc_per_node N -m siamgui.train.cli ...")
    ap.add_argument("--workers", type=int, default=0, metavar="N",
                    help="processes preparing batches (keeps a GPU fed; 0 = reproducible, in-process)")
    ap.add_argument("--init", metavar="NAME|MODEL.onnx|CKPT",
                    help="start from an imported encoder (dlib-face, resemblyzer, or the .onnx an import wrote) "
                         "or an earlier run's checkpoint, instead of random weights")
    ap.add_argument("--train-layers", metavar="all|head|top:N",
                    help="with --init: which layers learn (default all); the rest keep their pretrained weights")
    ap.add_argument("--exclude-classes-from", metavar="MODEL.onnx",
                    help="never use the classes this model's card holds out as its test identities "
                         "(provenance.split.val_class_names), so both are scored on the same unseen people")
    ap.add_argument("--reported", type=json.loads, help=argparse.SUPPRESS)  # a recipe's seed figure (JSON)
    ap.add_argument("--data-licence", help=argparse.SUPPRESS)  # a recipe's data licence, for the card
    ap.add_argument("--samples-note", help=argparse.SUPPRESS)  # "none: WHY" when no sample pair may ship
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["import"]:
        from siamgui.train.importers import main as import_main

        return import_main(argv[1:])
    if argv[:1] in (["recipes"], ["recipe"]):
        from siamgui.train.recipes import main as recipe_main

        return recipe_main(argv)
    args = parser().parse_args(argv)
    from siamgui.media.errors import MediaError
    from siamgui.train.data import TrainError
    from siamgui.train.loop import Config, run

    out = Path(args.out)
    if out.suffix.lower() != ".onnx":
        print(f"siamgui-train: error: --out must end in .onnx (got {out.name})", file=sys.stderr)
        return 2
    if args.k is not None and args.k < 2:
        print("siamgui-train: error: -K must be at least 2 (pairs need two samples of a class)", file=sys.stderr)
        return 2
    cfg = Config(
        data_dirs=args.data_dirs, preset=args.preset, out=str(out),
        workdir=args.workdir or str(Path("runs") / out.stem), loss=args.loss, minutes=args.minutes,
        steps=args.steps, seed=args.seed, resume=args.resume, val_fraction=args.val_fraction,
        val_groups=args.val_groups, name_class=args.name_class, p=args.p, k=args.k, lr=args.lr, size=args.size,
        dim=args.dim, margin=args.margin, eval_every=args.eval_every, progress=not args.no_progress,
        cache=args.cache, rotations=args.rotations, speed_classes=args.speed_classes, hue_classes=args.hue_classes,
        groups_per_batch=args.groups_per_batch, device=args.device, workers=args.workers, init=args.init,
        train_layers=args.train_layers, exclude_classes_from=args.exclude_classes_from, split_by=args.split_by,
        command="siamgui-train " + shlex.join(argv), reported=args.reported, log_every=args.log_every,
        data_licence=args.data_licence, samples_note=args.samples_note,
    )
    import signal

    def stop(_sig, _frame):  # the Train view's Cancel terminates the process: end as Ctrl-C does
        raise KeyboardInterrupt

    try:
        before = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (tests calling main from a worker)
        before = None
    try:
        run(cfg)
    except (TrainError, MediaError) as exc:
        print(f"siamgui-train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"siamgui-train: interrupted; resume with --resume {Path(cfg.workdir) / 'checkpoint.pt'}",
              file=sys.stderr)
        return 130
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
