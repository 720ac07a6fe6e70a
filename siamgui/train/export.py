"""ONNX export with a dynamic batch, the model card in metadata_props, and a parity check."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from siamgui.core.modelcard import ModelCard, write_card

OPSET = 17


def to_onnx(model: torch.nn.Module, input_shape: tuple[int, int, int], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    dummy = torch.zeros(2, *input_shape)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (dummy,), str(path), input_names=["input"], output_names=["embedding"],
                          dynamic_axes={"input": {0: "N"}, "embedding": {0: "N"}}, opset_version=OPSET,
                          dynamo=False, do_constant_folding=True)
    return path


def ort_run(path: str | Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return lambda x: sess.run(None, {"input": np.ascontiguousarray(x, np.float32)})[0]


def parity(model: torch.nn.Module, path: str | Path, inputs: np.ndarray) -> float:
    """Max |torch - onnxruntime| over the embeddings of ``inputs`` (real, preprocessed samples)."""
    model = model.eval()
    with torch.no_grad():
        ref = model(torch.from_numpy(np.ascontiguousarray(inputs, np.float32))).numpy()
    got = ort_run(path)(inputs)
    return float(np.max(np.abs(ref - got)))


def export(model: torch.nn.Module, input_shape: tuple[int, int, int], path: str | Path, card: ModelCard,
           parity_inputs: np.ndarray) -> tuple[Path, float]:
    """Export, check parity on real inputs, then write ``card`` (with the parity figure) into the file."""
    path = to_onnx(model, input_shape, path)
    diff = parity(model, path, parity_inputs)
    card.provenance["parity_max_abs_diff"] = diff
    card.provenance["parity_inputs"] = int(len(parity_inputs))
    write_card(path, card)
    return path, diff
