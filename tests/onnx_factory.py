"""Tiny ONNX encoders built by the tests themselves (random projections, never shipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def projection_model(path: Path, shape: tuple[int, int, int], dim: int = 16, seed: int = 0,
                     card: dict | None = None, batch_dim: str | int = "N", pool_width: bool = False) -> Path:
    """(N, C, H, W) -> [max over W] -> Flatten -> MatMul(random) -> (N, dim), with an optional card.

    ``pool_width`` takes the maximum over the last axis first (time, for audio), making the model
    indifferent to where in a window a sound falls, as a trained voice model is.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    c, h, w = shape
    rng = np.random.default_rng(seed)
    n_in = c * h * (1 if pool_width else w)
    weight = (rng.normal(size=(n_in, dim)) / np.sqrt(n_in)).astype(np.float32)
    nodes = [helper.make_node("ReduceMax", ["input"], ["pooled"], axes=[3], keepdims=0)] if pool_width else []
    nodes += [
        helper.make_node("Flatten", ["pooled" if pool_width else "input"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "projection",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch_dim, c, h, w])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch_dim, dim])],
        initializer=[numpy_helper.from_array(weight, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in (card or {}).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def carded_model(path: Path, preprocess: dict, threshold: float = 0.5, metric: str = "cosine",
                 name: str | None = None, seed: int = 0, shape: tuple[int, int, int] | None = None,
                 provenance: dict | None = None) -> Path:
    from siamgui.core.modelcard import ModelCard
    from siamgui.kinds.preprocess import input_shape, modality

    card = ModelCard(name=name or path.stem, modality=modality(preprocess), preprocess=preprocess,
                     metric=metric, threshold=threshold, embedding_dim=16,
                     description="test projection (untrained)", provenance={"trained": False, **(provenance or {})})
    return projection_model(path, shape or input_shape(preprocess), seed=seed, card=card.to_props(),
                            pool_width=preprocess.get("kind") in ("logmel", "sound"))
