"""``siamgui calibrate FOLDER|PAIRS.csv --model NAME``: pick a threshold on your own data, headless.

Prints the ROC AUC, the equal error rate, the threshold that keeps false accepts at or below
``--target-far`` and the false-accept / false-reject rates it gives (and those of the card's
default). ``--use`` stores the chosen threshold for that model file (the file is not changed);
every later ``compare``, ``identify`` and the app then use it.
"""

from __future__ import annotations

import sys

from siamgui import cli_values
from siamgui.cli_values import json_text, one_line
from siamgui.errors import partial_exit
from siamgui.tasks.calibration import (DEFAULT_MAX_FILES, DEFAULT_MAX_PAIRS, DEFAULT_TARGET_FAR, MAX_SEGMENT_S,
                                       MIN_SEGMENT_S)


def add_parser(subparsers) -> None:
    c = subparsers.add_parser(
        "calibrate", help="choose a threshold from a folder of class folders or a labelled pairs CSV",
        description="Embed a folder with one sub-folder per class (or the files of a pairs CSV with columns "
                    "a,b,label), build same and different pairs, and choose the threshold that keeps the "
                    "false-accept rate at or below the target.")
    c.add_argument("source", metavar="FOLDER|PAIRS.csv")
    c.add_argument("--model", default="face", help="shipped model name or path to an .onnx (default: %(default)s)")
    c.add_argument("--device", choices=("auto", "cuda", "cpu"), default=None,
                   help="execution device (default: $SIAMGUI_DEVICE or auto)")
    c.add_argument("--target-far", type=_fraction, default=DEFAULT_TARGET_FAR, metavar="RATE",
                   help="highest false-accept rate to allow, 0-1 (default: %(default)s)")
    c.add_argument("--threshold", type=cli_values.threshold, default=None,
                   help="report the rates at this threshold instead of choosing one")
    c.add_argument("--use", action="store_true",
                   help="store the chosen threshold for this model (the model file is not changed)")
    c.add_argument("--max-pairs", type=cli_values.whole(2, 2_000_000), default=DEFAULT_MAX_PAIRS,
                   help="same + different pairs from a folder, balanced (default: %(default)s)")
    c.add_argument("--max-files", type=cli_values.whole(2, 1_000_000), default=DEFAULT_MAX_FILES,
                   help="files embedded from a folder, spread over classes (default: %(default)s)")
    c.add_argument("--segment", type=cli_values.number(MIN_SEGMENT_S, MAX_SEGMENT_S, "a number of seconds"),
                   default=None, metavar="SECONDS",
                   help=f"audio: cut recordings into segments of this length, {MIN_SEGMENT_S:g}-{MAX_SEGMENT_S:g} s "
                        "(one recording per speaker then still gives same pairs; long recordings are read "
                        "a segment at a time)")
    c.add_argument("--seed", type=cli_values.seed, default=0, help="pair sampling seed (default: %(default)s)")
    c.add_argument("--plot", metavar="OUT.png", default=None,
                   help="also write the distance histograms and the ROC curve to this PNG")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    c.set_defaults(func=run)


def _fraction(text: str) -> float:
    import argparse

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError("a rate between 0 and 1 (0.01 = 1%)")
    return v


def run(args) -> int:
    from siamgui.core import thresholds
    from siamgui.tasks import calibration
    from siamgui.core.device import short_name
    from siamgui.core.encoder import Encoder

    plot = _plot_path(args.plot)
    enc = Encoder.load(args.model, device=args.device)
    if enc.provider_note and args.device == "cuda":
        print(f"siamgui: warning: {enc.provider_note}", file=sys.stderr)
    from siamgui.progress import Bar

    with Bar("embedding") as progress:  # on stderr, only when it is a terminal
        cal = calibration.calibrate(enc, args.source, max_pairs=args.max_pairs, max_files=args.max_files,
                                    seed=args.seed, segment_s=args.segment, progress=progress)
    s = cal.summary(args.target_far, threshold=args.threshold)
    if plot is not None:
        from siamgui.tasks import calibration_plot

        calibration_plot.write(cal, s["threshold"], plot)
        s["plot"] = str(plot)
    s["providers"] = enc.providers
    s["stored"] = None
    if args.use:
        path = thresholds.store(enc.model_hash, s["threshold"], model_name=enc.name, source=str(cal.source),
                                target_far=s["target_far"], auc=s["auc"], eer=s["eer"], far=s["rates"]["far"],
                                frr=s["rates"]["frr"], pairs=s["pairs"])
        s["stored"] = str(path)
    if args.json:
        s["skipped_files"] = [{"file": f, "error": why} for f, why in cal.skipped]
        print(json_text(s))
    else:
        _print_text(s, enc, [short_name(p) for p in enc.providers])
        for f, why in cal.skipped[:20]:
            print(f"siamgui: skipped {one_line(f)}: {one_line(why)}", file=sys.stderr)
        if len(cal.skipped) > 20:
            print(f"siamgui: skipped {len(cal.skipped) - 20} more file(s)", file=sys.stderr)
    if cal.skipped:
        print(f"siamgui: {s['items']} {'segments' if s.get('segments') else 'files'} used, {len(cal.skipped)} "
              "refused", file=sys.stderr)
    return partial_exit(s["items"], len(cal.skipped))


def _plot_path(text: str | None):
    """--plot's path, checked before any embedding: a .png in a folder that exists."""
    from pathlib import Path

    from siamgui.tasks.exports import ExportError

    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() != ".png":
        raise ExportError(f"--plot must end in .png (got {path.name})")
    if not path.parent.is_dir():
        raise ExportError(f"--plot: the folder {path.parent} does not exist")
    return path


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _print_text(s: dict, enc, providers: list[str]) -> None:
    unit = "segments" if s.get("segments") else "files"
    what = f"{s['items']} {unit} in {s['classes']} classes" if s["kind"] == "folder" else f"{s['items']} {unit}"
    skipped = f" ({s['skipped']} skipped)" if s["skipped"] else ""
    print(f"{enc.name} on {', '.join(providers)}: {what}{skipped}, "
          f"{s['pairs']['same']} same + {s['pairs']['different']} different pairs, {s['seconds']:.1f} s")
    from siamgui.tasks.calibration import auc_text  # never "1.0000" beside a non-zero EER

    print(f"ROC AUC {auc_text(s['auc'])}   EER {_pct(s['eer'])} at threshold {s['eer_threshold']:.4f}   "
          f"({s['metric']})")
    r = s["rates"]
    why = f"false accepts at most {_pct(s['target_far'])}" if s["target_far"] is not None else "given"
    print(f"threshold {s['threshold']:.4f} ({why}):  false accepts {_pct(r['far'])}   "
          f"false rejects {_pct(r['frr'])}   accuracy {_pct(r['accuracy'])}")
    d = s["default_rates"]
    print(f"card default {s['default_threshold']:.4f}:  false accepts {_pct(d['far'])}   "
          f"false rejects {_pct(d['frr'])}   accuracy {_pct(d['accuracy'])}")
    if s.get("plot"):
        print(f"plots -> {s['plot']}")
    if s["stored"]:
        print(f"stored: {enc.name} now uses threshold {s['threshold']:.4f} ({s['stored']})")
    else:
        print("not stored (add --use to make this model use it)")
