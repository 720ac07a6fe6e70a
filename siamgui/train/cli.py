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
    siamgui-train --list [--json]                 (presets, losses and recipes with their notes; the Train view reads it)
    siamgui-train recipe fruit --minutes 8        (run one: the model goes to the user's models folder)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from siamgui.train.config import MAX_BATCH, OneLineParser, add_options, from_args, numbers  # noqa: F401 - numbers: API


def parser() -> argparse.ArgumentParser:
    """``siamgui-train``'s options, one per Config field (siamgui/train/config.py), plus --list."""
    ap = OneLineParser(prog="siamgui-train", description=__doc__.split("\n")[0])
    add_options(ap)
    ap.add_argument("--list", action="store_true",
                    help="print the presets, losses and recipes with their notes, and exit (alone, or with --json)")
    ap.add_argument("--json", action="store_true", help="with --list: as JSON (what the Train view reads)")
    return ap


def list_main(argv: list[str]) -> int:
    """``siamgui-train --list [--json]``: what this trainer offers, for people and for the Train view."""
    from siamgui.train import catalogue

    extra = [a for a in argv if a not in ("--list", "--json")]
    if extra:
        print(f"siamgui-train: error: --list takes only --json (got {' '.join(extra)})", file=sys.stderr)
        return 2
    listing = catalogue.listing()
    print(json.dumps(listing, indent=1) if "--json" in argv else catalogue.text(listing))
    return 0


def _tidy(made: list[Path]) -> None:
    """Remove the folders this start made that are still empty (a failed start leaves no runs/<name>/)."""
    for folder in made:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["import"]:
        from siamgui.train.importers import main as import_main

        return import_main(argv[1:])
    if argv[:1] in (["recipes"], ["recipe"]):
        from siamgui.train.recipes import main as recipe_main

        return recipe_main(argv)
    if "--list" in argv:
        return list_main(argv)
    args = parser().parse_args(argv)
    from siamgui.errors import UserError
    from siamgui.train.loop import run

    out = Path(args.out)
    if out.suffix.lower() != ".onnx":
        print(f"siamgui-train: error: --out must end in .onnx (got {out.name})", file=sys.stderr)
        return 2
    from siamgui.train.presets import PRESETS

    p, k = args.p or PRESETS[args.preset]["p"], args.k or PRESETS[args.preset]["k"]
    if p * k > MAX_BATCH:  # -K 100000 took 3 GB and 73 s before a traceback
        print(f"siamgui-train: error: {p} classes x {k} samples (-P x -K) make a batch of {p * k}; at most "
              f"{MAX_BATCH} fit in memory", file=sys.stderr)
        return 2
    if args.resume and not Path(args.resume).is_file():
        print(f"siamgui-train: error: --resume {args.resume}: no such checkpoint file", file=sys.stderr)
        return 2
    cfg = from_args(args, workdir=args.workdir or str(Path("runs") / out.stem),
                    command="siamgui-train " + shlex.join(argv))
    work = Path(cfg.workdir)
    if work.exists() and not work.is_dir():
        print(f"siamgui-train: error: --workdir {work} is a file, not a folder", file=sys.stderr)
        return 2
    made = [p for p in (work, Path(cfg.cache) if cfg.cache else work.parent / "cache", work.parent)
            if not p.exists()]
    import signal

    def stop(_sig, _frame):  # the Train view's Cancel terminates the process: end as Ctrl-C does
        raise KeyboardInterrupt

    try:
        before = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (tests calling main from a worker)
        before = None
    try:
        run(cfg)
    except UserError as exc:  # TrainError, MediaError, a bad checkpoint: one sentence
        print(f"siamgui-train: error: {exc}", file=sys.stderr)
        _tidy(made)
        return 2
    except KeyboardInterrupt:
        ckpt = work / "checkpoint.pt"
        if ckpt.is_file():
            print(f"siamgui-train: interrupted; resume with --resume {ckpt}", file=sys.stderr)
        else:
            print("siamgui-train: interrupted before the first checkpoint (one is written every minute): "
                  "nothing to resume", file=sys.stderr)
            _tidy(made)
        return 130
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
