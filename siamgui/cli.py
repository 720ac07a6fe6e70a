"""Command line: ``siamgui`` opens the window; ``siamgui compare|embed|fewshot|models|card`` work headless.

The headless commands never import Qt, and every user error ends as one line on stderr with a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from siamgui import cli_values
from siamgui.cli_values import json_text, one_line
from siamgui.errors import EXIT_BUG, EXIT_USER_ERROR, UserError, is_expected, partial_exit, user_message


def _output(path: str, default_name: str, inputs: Sequence[str] = ()) -> Path:
    """Where to write ``--out``: exactly the path given, or ``default_name`` inside a folder given;
    never one of ``inputs`` (the files the command reads) nor a database."""
    out = Path(path).expanduser()
    if out.is_dir():
        out = out / default_name
    elif path.endswith(("/", "\\")):
        raise UserError(f"the folder {out} does not exist")
    elif not out.parent.is_dir():
        raise UserError(f"cannot write {out}: the folder {out.parent} does not exist")
    problem = cli_values.overwrite_problem(out, inputs)
    if problem:
        raise UserError(f"--out: {problem}")
    return out


def _error_line(exc: BaseException) -> str:
    """The first line of an error, with an OSError's file name (``Permission denied: out.csv``)."""
    if isinstance(exc, OSError) and exc.strerror and not isinstance(exc, FileNotFoundError):
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    msg = str(exc).strip().splitlines()
    return msg[0] if msg else type(exc).__name__


class _Parser(argparse.ArgumentParser):
    """argparse with the usage error on one line, like every other error here."""

    def error(self, message: str):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _load(args) -> "Encoder":  # noqa: F821
    from siamgui.core.encoder import Encoder

    enc = Encoder.load(args.model, device=args.device)
    if enc.provider_note and args.device == "cuda":
        print(f"siamgui: warning: {enc.provider_note}", file=sys.stderr)
    return enc


def _short(providers: list[str]) -> str:
    from siamgui.core.device import short_name

    return ", ".join(short_name(p) for p in providers)


# --- compare -------------------------------------------------------------------------------
def cmd_compare(args) -> int:
    if args.pairs:
        if args.files:
            raise UserError("give either two files or --pairs PAIRS.csv, not both")
        return _compare_pairs(args)
    if len(args.files) != 2:
        raise UserError("compare needs two files (or --pairs PAIRS.csv)")
    enc = _load(args)
    verdict = enc.compare(args.files[0], args.files[1], threshold=args.threshold)
    if args.json:
        out = {"a": args.files[0], "b": args.files[1], **verdict.as_dict(), "metric": enc.card.metric,
               "model": enc.name, "model_path": str(enc.path), "providers": enc.providers,
               "provider_note": enc.provider_note}
        print(json_text(out))
    else:
        side = "below" if verdict.same else "above"
        print(f"{verdict.words().upper()}  distance {verdict.distance:.4f}  threshold {verdict.threshold:.4f}  "
              f"({abs(verdict.margin):.4f} {side} threshold, {enc.card.metric})")
        print(f"model {enc.name} on {_short(enc.providers)}")
    return 0


def cmd_explain(args) -> int:
    """Occlusion maps of a pair: which regions moved the distance (siamgui/tasks/explain.py)."""
    import cv2

    from siamgui.tasks import explain

    if not args.out.lower().endswith(".png"):
        raise UserError(f"--out must end in .png (got {Path(args.out).name})")
    out = _output(args.out, "map.png", [args.a, args.b])
    enc = _load(args)
    maps = explain.explain_pair(enc, args.a, args.b)
    if not cv2.imwrite(str(out), explain.render(maps)):
        raise UserError(f"cannot write {out}")
    info = explain.summary(maps)
    print(f"wrote {out}: distance {info['distance']:.4f}, {info['occlusions']} occlusions in "
          f"{info['seconds']:.2f} s on {_short(enc.providers)}; red regions made the pair alike, blue set them apart")
    return 0


def _compare_pairs(args) -> int:
    """Distances for every row of a pairs CSV, read and written row by row (memory stays flat
    however many rows); exit 3 when some pairs were refused, saying how many."""
    from array import array

    from siamgui.core import metrics
    from siamgui.core.pairs import resolve, scan_pairs

    if not args.out:
        raise UserError("--pairs needs --out OUT.csv")
    parsed = scan_pairs(args.pairs)
    src, fields = parsed.path, parsed.columns
    unique = dict.fromkeys(p for r in parsed for p in (r.a, r.b))  # reads (and checks) every row first
    enc = _load(args)
    threshold = enc.threshold if args.threshold is None else args.threshold
    from siamgui.progress import Bar

    embeddings, errors = {}, {}
    with Bar("embedding") as progress:  # on stderr, only when it is a terminal
        for i, path in enumerate(unique):
            try:
                embeddings[path] = enc.embed(resolve(path, src.parent))[0]
            except (UserError, FileNotFoundError) as exc:
                errors[path] = one_line(str(exc))
            progress(i + 1, len(unique))
    del unique
    has_label = parsed.has_label
    dists, labels, failed, total = array("d"), array("b"), 0, 0
    out_fields = fields + [c for c in ("distance", "same", "error") if c not in fields]
    out = _output(args.out, "distances.csv", [args.pairs])
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=out_fields)
        w.writeheader()
        for pair in parsed:
            total += 1
            r = dict(pair.values)
            err = errors.get(pair.a) or errors.get(pair.b)
            if err:
                failed += 1
                r.update(distance="", same="", error=err)
            else:
                d = enc.distance(embeddings[pair.a], embeddings[pair.b])
                r.update(distance=f"{d:.6f}", same=str(int(d <= threshold)), error="")
                if pair.label is not None:
                    dists.append(d)
                    labels.append(int(pair.label))
            w.writerow(r)
    report = {"pairs": total, "failed": failed, "out": str(out), "threshold": threshold, "model": enc.name,
              "providers": enc.providers}
    if has_label and dists and 0 < sum(labels) < len(labels):
        s = metrics.summary(list(dists), list(labels), threshold)
        report.update(accuracy=s["accuracy"], auc=s["auc"], eer=s["eer"], eer_threshold=s["eer_threshold"])
    if args.json:
        print(json_text(report))
    else:
        print(f"{total - failed} of {total} pairs compared with {enc.name} on {_short(enc.providers)} "
              f"-> {out}")
        if "auc" in report:
            print(f"accuracy at threshold {threshold:.4f}: {report['accuracy']:.2%}   "
                  f"ROC AUC {report['auc']:.4f}   EER {report['eer']:.2%} (at {report['eer_threshold']:.4f})")
        elif has_label:
            print("labels need both same (1) and different (0) pairs for accuracy, AUC and EER")
    for path, err in errors.items():
        print(f"siamgui: skipped {one_line(path)}: {err}", file=sys.stderr)
    if failed:
        print(f"siamgui: {total - failed} of {total} pairs compared, {failed} refused "
              f"({len(errors)} file(s) could not be used; see the error column of {out.name})", file=sys.stderr)
    return partial_exit(total - failed, failed)


# --- embed ---------------------------------------------------------------------------------
def cmd_embed(args) -> int:
    import numpy as np

    from siamgui.progress import Bar

    enc = _load(args)
    vectors = {}
    with Bar("embedding") as progress:  # on stderr, only when it is a terminal
        for i, path in enumerate(args.files):
            vectors[path] = enc.embed(path)[0]
            progress(i + 1, len(args.files))
    out = _output(args.out, "embeddings.npz", args.files)
    with open(out, "wb") as f:  # exactly this path (np.savez would add .npz to a bare name)
        np.savez(f, **vectors)
    print(f"{len(vectors)} embeddings ({enc.card.embedding_dim or len(next(iter(vectors.values())))}-d, "
          f"{enc.name}) -> {out}")
    return 0


# --- gallery -------------------------------------------------------------------------------
def cmd_enrol(args) -> int:
    from siamgui.gallery_cmd import open_gallery
    from siamgui.tasks.enrolment import enrol_files

    with open_gallery(args) as g:
        if g.read_only:  # before embedding anything
            raise UserError(g.read_only)
        enc = _load(args)
        pid = enrol_files(g, enc, args.name, args.files)
        person = next(p for p in g.people(enc.modality.gallery_scope) if p.id == pid)  # this kind's samples
        print(f"enrolled {person.name}: {person.samples} sample(s) with {enc.name} in {g.path}")
    return 0


def cmd_identify(args) -> int:
    from siamgui.gallery_cmd import open_gallery
    from siamgui.tasks.enrolment import identify, nobody_here, sync_embeddings

    enc = _load(args)
    results, failed = [], 0
    with open_gallery(args, reads_only=True) as g:
        added, problems = sync_embeddings(g, enc)
        if added:
            print(f"siamgui: embedded {added} stored sample(s) with {enc.name} first", file=sys.stderr)
        for p in problems:
            print(f"siamgui: warning: {p}", file=sys.stderr)
        why = nobody_here(g, enc)  # a face gallery names nobody under a fruit model, and says so
        if why:
            raise UserError(why)
        for f in args.files:
            try:
                ident = identify(g, enc, enc.embed(f)[0], args.threshold, args.top)
            except (UserError, FileNotFoundError) as exc:
                failed += 1
                print(f"siamgui: error: {one_line(str(exc))}", file=sys.stderr)
                results.append({"file": f, "error": str(exc)})
                continue
            results.append({"file": f, "identity": ident.label, "known": ident.known, "threshold": ident.threshold,
                            "matches": [{"name": m.name, "distance": m.distance} for m in ident.matches]})
    if args.json:
        print(json_text({"model": enc.name, "providers": enc.providers, "results": results}))
    else:
        for r in results:  # one line a file, whatever its name or the people's names hold
            if "error" in r:
                continue
            best = ", ".join(f"{one_line(m['name'])} {m['distance']:.4f}" for m in r["matches"][:3])
            who = r["identity"].upper() if not r["known"] else r["identity"]
            print(f"{one_line(r['file'])}: {one_line(who)}   ({best})")
    if failed:
        print(f"siamgui: {len(results) - failed} of {len(results)} files identified, {failed} refused",
              file=sys.stderr)
    return partial_exit(len(results) - failed, failed)


# --- fewshot -------------------------------------------------------------------------------
def cmd_fewshot(args) -> int:
    from siamgui.tasks import fewshot as fs

    from siamgui.progress import Bar
    from siamgui.tasks.exports import write_predictions_csv

    fs.make_classifier(args.classifier)  # scikit-learn missing: say so before embedding anything
    out_csv = _output(args.out, "predictions.csv") if getattr(args, "out", None) else None
    enc = _load(args)
    with Bar("support") as progress:  # progress bars on stderr, only when it is a terminal
        support = fs.embed_support(enc, args.support, progress=progress)
    queries = fs.plan_queries(args.query, enc.modality.suffixes, enc.name)
    with Bar("queries") as progress:
        result = fs.classify(enc, support, queries, args.classifier, progress=progress)
    if out_csv is not None:
        write_predictions_csv(result, out_csv)
        print(f"{len(result.predictions)} predictions -> {out_csv}", file=sys.stderr if args.json else sys.stdout)
    curve = fs.k_shot_curve(support, episodes=args.episodes, classifier=args.classifier, seed=args.seed) \
        if args.curve else None
    skipped = support.skipped + result.skipped
    for f, why in skipped:
        print(f"siamgui: skipped {one_line(str(f))}: {one_line(str(why))}", file=sys.stderr)
    if skipped:
        used = sum(support.counts.values()) + len(result.predictions)
        print(f"siamgui: {used} files used, {len(skipped)} refused", file=sys.stderr)
    code = partial_exit(1, len(skipped))  # a result came out: some files were used
    if args.json:
        out = {"model": enc.name, "support": {"folder": args.support, "counts": support.counts},
               **result.as_dict()}
        if curve is not None:
            out["curve"] = {"n_way": curve[0], "episodes": args.episodes, "seed": args.seed,
                            "points": [{"k": p.k, "accuracy": p.accuracy} for p in curve[1]]}
        print(json_text(out))
        return code
    shots = sorted(set(support.counts.values()))
    print(f"{len(support.classes)} classes, {'-'.join(map(str, shots[:: max(1, len(shots) - 1)]))} examples each; "
          f"classifier {args.classifier}; {len(result.predictions)} queries in {result.seconds:.2f} s")
    if result.labelled:
        n = int(result.confusion.sum())
        print(f"accuracy {result.accuracy:.1%} ({int(result.confusion.trace())} of {n})")
        width = max(5, *(len(c) for c in result.classes))
        print("confusion (rows: true class, columns: predicted)")
        print(" " * width + " " + " ".join(f"{c[:width]:>{width}}" for c in result.classes) + "  accuracy")
        for i, c in enumerate(result.classes):
            acc = result.per_class[c]
            print(f"{c[:width]:>{width}} " + " ".join(f"{v:>{width}d}" for v in result.confusion[i])
                  + (f"  {acc:.1%}" if acc is not None else "  -"))
    else:
        for pr in result.predictions:
            print(f"{one_line(str(pr.file))}: {one_line(pr.predicted)}   ({result.score_kind} {pr.score:.4f})")
    if curve is not None:
        print(f"{curve[0]}-way k-shot curve ({args.episodes} episodes per k from the support set, seed {args.seed}): "
              + ", ".join(f"k={p.k} {p.accuracy:.1%}" for p in curve[1]))
    return code


# --- models / card -------------------------------------------------------------------------
def _model_row(name: str, path: Path, calibrated: dict[str, dict]) -> dict:
    """One installed model; ``threshold`` is the card's, ``threshold_in_use`` the one verdicts use."""
    from siamgui.core.encoder import file_sha256
    from siamgui.core.modelcard import CardError, read_card
    from siamgui.kinds.preprocess import input_shape

    try:
        card = read_card(path)
    except CardError as exc:
        return {"name": name, "path": str(path), "error": str(exc)}
    mine = calibrated.get(file_sha256(path)) if calibrated else None
    return {"name": card.name, "path": str(path), "modality": card.modality,
            "input": {"kind": card.preprocess.get("kind"), "shape": list(input_shape(card.preprocess))},
            "metric": card.metric, "threshold": card.threshold,
            "calibrated_threshold": float(mine["threshold"]) if mine else None,
            "threshold_in_use": float(mine["threshold"]) if mine else card.threshold,
            "embedding_dim": card.embedding_dim, "metrics": card.metrics, "description": card.description}


def cmd_models(args) -> int:
    from siamgui.core import registry, thresholds

    calibrated = thresholds.all_entries()
    rows = [_model_row(n, p, calibrated) for n, p in registry.available().items()]
    if args.json:
        print(json_text(rows))
        return 0
    if not rows:
        print("no models installed (looked in: " + ", ".join(str(d) for d in registry.search_dirs()) + ")")
        return 0
    for r in rows:
        if "error" in r:
            print(f"{r['name']:<10} unusable: {r['error']}")
            continue
        shape = "x".join(map(str, r["input"]["shape"]))
        figs = "  ".join(f"{k} {v:.4g}" for k, v in r["metrics"].items()
                         if isinstance(v, (int, float)) and k != "threshold")  # the threshold is shown once
        if r["calibrated_threshold"] is None:
            used = f"threshold {r['threshold']:.4f} (card)"
        else:
            used = f"threshold {r['calibrated_threshold']:.4f} (calibrated; card {r['threshold']:.4f})"
        print(f"{r['name']:<10} {r['modality']:<6} {r['input']['kind']} {shape:<10} {r['metric']:<9} "
              f"{used}  {figs}")
    return 0


def cmd_card(args) -> int:
    """Show or set the card; keys may be set one at a time, and what is still missing is said."""
    from dataclasses import asdict

    from siamgui.core.modelcard import (JSON_FIELDS, PREFIX, ModelCard, check_value, missing_keys, read_props,
                                        write_card, write_props)

    path = Path(args.model)
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a model file (give MODEL.onnx)")
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    problem = cli_values.overwrite_problem(Path(args.out).expanduser()) if args.out else None
    if problem:  # --out onto a gallery replaced it with a model
        raise UserError(f"--out: {problem}")
    props = {k: v for k, v in read_props(path).items() if k.startswith(PREFIX)}
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set takes KEY=VALUE, got {item!r}")
        key = key.strip().removeprefix(PREFIX)
        check_value(key, value)
        props[PREFIX + key] = value
    missing = missing_keys(props)
    still = (f"still missing before {path.name} can be used: {', '.join(missing)} "
             "(set them with --set KEY=VALUE)")
    if missing and props:
        partial = {k.removeprefix(PREFIX): json.loads(v) if k.removeprefix(PREFIX) in JSON_FIELDS else v
                   for k, v in props.items()}
        if not args.set:
            print(json_text(partial))
            raise UserError(f"the card is incomplete: {still}")
        target = write_props(path, props, args.out)
        print(f"part of a card written to {target}; {still}")
        print(json_text(partial))
        return 0
    card = ModelCard.from_props(props, fallback_name=path.stem)  # no card at all: says what to set
    if args.set:
        target = write_card(path, card, args.out)
        print(f"card written to {target}")
    print(json_text(asdict(card)))
    return 0


# --- entry ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="siamgui", description="See how a Siamese network judges similarity. "
                                "With no command, opens the window.")
    from siamgui import __version__

    p.add_argument("--version", action="version", version=f"siamgui {__version__}")
    p.add_argument("--self-test", action="store_true",
                   help="load every shipped model, compare its sample pairs, check Qt and PortAudio, exit")
    p.add_argument("--device", dest="self_test_device", choices=("auto", "cuda", "cpu"), default=None,
                   help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")

    def model_opts(sp, default="face"):
        sp.add_argument("--model", default=default, help="shipped model name or path to an .onnx (default: %(default)s)")
        sp.add_argument("--device", choices=("auto", "cuda", "cpu"), default=None,
                        help="execution device (default: $SIAMGUI_DEVICE or auto)")

    c = sub.add_parser("compare", help="distance and same/different verdict for two files or a pairs CSV")
    c.add_argument("files", nargs="*", metavar="FILE")
    c.add_argument("--pairs", metavar="PAIRS.csv", help="CSV with columns a,b and optional label (1 = same)")
    c.add_argument("--out", metavar="OUT.csv", help="with --pairs: where to write rows plus distance,same "
                   "(a folder: distances.csv inside it)")
    c.add_argument("--threshold", type=cli_values.threshold, default=None,
                   help="override the model's threshold (a distance)")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    model_opts(c)
    c.set_defaults(func=cmd_compare)

    x = sub.add_parser("explain", help="occlusion maps of a pair: which regions moved the distance (a PNG)")
    x.add_argument("a", metavar="A")
    x.add_argument("b", metavar="B")
    x.add_argument("--out", required=True, metavar="MAP.png", help="the side-by-side picture to write")
    model_opts(x)
    x.set_defaults(func=cmd_explain)

    e = sub.add_parser("embed", help="save embeddings of files to an .npz keyed by path")
    e.add_argument("files", nargs="+", metavar="FILE")
    e.add_argument("--out", required=True, metavar="EMB.npz",
                   help="the .npz to write, exactly this name (a folder: embeddings.npz inside it)")
    model_opts(e)
    e.set_defaults(func=cmd_embed)

    en = sub.add_parser("enrol", help="enrol a person from 1-5 files (no retraining)")
    en.add_argument("name")
    en.add_argument("files", nargs="+", metavar="FILE")
    en.add_argument("--gallery", metavar="PATH", help="gallery file, or a folder holding gallery.sqlite3 "
                    "(default: the user's data folder)")
    model_opts(en)
    en.set_defaults(func=cmd_enrol)

    ident = sub.add_parser("identify", help="who is in each file, from the enrolled gallery")
    ident.add_argument("files", nargs="+", metavar="FILE")
    ident.add_argument("--gallery", metavar="PATH", help="gallery file, or a folder holding gallery.sqlite3")
    ident.add_argument("--threshold", type=cli_values.threshold, default=None,
                       help="override the model's threshold (a distance)")
    ident.add_argument("--top", type=cli_values.whole(1, 1000), default=5, metavar="N",
                       help="how many nearest people to list (default: %(default)s)")
    ident.add_argument("--json", action="store_true")
    model_opts(ident)
    ident.set_defaults(func=cmd_identify)

    fsp = sub.add_parser("fewshot", help="classify files from a few examples per class (no retraining)",
                         description="SUPPORT is a folder with one sub-folder per class holding a few examples; "
                                     "QUERY is a folder of class folders (accuracy, confusion matrix) or files "
                                     "(predictions).")
    fsp.add_argument("support", metavar="SUPPORT")
    fsp.add_argument("query", nargs="+", metavar="QUERY")
    fsp.add_argument("--model", required=True, help="shipped model name or path to an .onnx")
    fsp.add_argument("--device", choices=("auto", "cuda", "cpu"), default=None,
                     help="execution device (default: $SIAMGUI_DEVICE or auto)")
    fsp.add_argument("--classifier", choices=("centroid", "knn", "svm"), default="centroid",
                     help="nearest class mean, nearest example, or a linear SVM (scikit-learn: "
                          "pip install \"siamgui[fewshot]\") (default: %(default)s)")
    fsp.add_argument("--curve", action="store_true",
                     help="also the N-way k-shot curve: accuracy for k = 1..10 on episodes drawn from SUPPORT")
    fsp.add_argument("--episodes", type=cli_values.whole(1, 10000), default=200,
                     help="episodes per k for --curve, 1-10000 (default: %(default)s)")
    fsp.add_argument("--seed", type=cli_values.seed, default=0, help="seed of the --curve episodes (default: %(default)s)")
    fsp.add_argument("--out", metavar="OUT.csv", default=None,
                     help="also write one row per query (file, predicted, distance or score, truth) to this CSV")
    fsp.add_argument("--json", action="store_true", help="print a JSON object")
    fsp.set_defaults(func=cmd_fewshot)

    m = sub.add_parser("models", help="list installed models")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)

    k = sub.add_parser("card", help="show or set the SiamGUI card stored in an .onnx")
    k.add_argument("model", metavar="MODEL.onnx")
    k.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="preprocess (JSON), metric, threshold, name, description, ... (modality follows from the kind)")
    k.add_argument("--out", metavar="OUT.onnx", help="write to a new file instead of in place")
    k.set_defaults(func=cmd_card)
    from siamgui import bench, calibrate_cmd  # noqa: PLC0415 - their own modules (issue 5)
    calibrate_cmd.add_parser(sub), bench.add_parser(sub)
    from siamgui import gallery_cmd  # noqa: PLC0415 - gallery list/export/import/rename/remove (issue 19)
    gallery_cmd.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # no command opens the window: no parser then, since it imports every command's module (issue 21)
    args = build_parser().parse_args(argv) if argv else argparse.Namespace(self_test=False, command=None)
    if args.self_test:
        from siamgui.selftest import run as self_test

        return self_test(args.self_test_device)
    if not args.command:
        from siamgui.ui.display import missing_display

        problem = missing_display()
        if problem:  # Qt would abort (exit 134) with advice to reinstall xcb libraries
            print(f"siamgui: error: {problem}", file=sys.stderr)
            return EXIT_USER_ERROR
        from siamgui.ui.app import run

        return run([sys.argv[0], *argv])
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback (SIAMGUI_DEBUG=1 shows it)
        if os.environ.get("SIAMGUI_DEBUG"):
            raise
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):  # permission denied, disk full
            print(f"siamgui: error: {_error_line(exc)}", file=sys.stderr)
            return EXIT_USER_ERROR
        if is_expected(exc):  # one sentence on one line, even when it quotes a name holding a newline
            print(f"siamgui: error: {one_line(user_message(exc))}", file=sys.stderr)
            return EXIT_USER_ERROR
        msg = (user_message(exc).splitlines() or [type(exc).__name__])[0]
        print(f"siamgui: {msg[0].lower() + msg[1:]}; this is a bug (SIAMGUI_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
