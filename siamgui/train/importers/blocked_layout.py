"""Channel counts rounded up for onnxruntime's blocked convolutions: the same network, faster on a CPU.

onnxruntime runs convolutions on x86 in a blocked layout (NCHWc: channels in groups of 8 or 16).
A feature map whose channel count is not a multiple of the block, and every op the layout does not
cover (``Pad``, among others), is reordered into plain NCHW and back around it. BlazeFace has
both in every residual block: 24, 28, 36, 42 ... channels, and a ``Pad`` that adds the block's
new channels to its skip path. Profiled on the short-range model, the reorders, pads and the adds
and ReLUs they keep from fusing into the convolutions took 30% of a frame.

:func:`widen` gives every such feature map the next multiple of ``block`` channels, the new ones
all zero (zero filters and biases make them, and the next convolution gives them zero weights),
so a channel padding between two maps of the same rounded width is the identity and goes; where
the widths still differ, the padding becomes a 1x1 convolution with identity weights, which the
layout covers. The outputs are the original network's to float32 rounding; the importer checks
both that and the time a frame takes each way (:func:`speeds`), and records them.
"""

from __future__ import annotations

import numpy as np

BLOCK = 16  # AVX-512's NCHWc block; a multiple of AVX2's 8
MIN_CHANNELS = 8  # maps narrower than this (the RGB input) are left as they are
WIDTH_PRESERVING = {"Conv", "Relu", "Add", "Pad", "MaxPool", "Identity", "Resize"}


class LayoutError(ValueError):
    """The graph holds something :func:`widen` does not know how to widen (message for the user)."""


def _channels(model) -> dict[str, int]:
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    out = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[1].dim_value > 0:
            out[vi.name] = int(dims[1].dim_value)
    return out


def _attr(node, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return a
    return default


def widen(model, block: int = BLOCK):
    """``model`` (an ONNX ModelProto of 4-d feature maps: Conv, Relu, Add, channel Pad, MaxPool,
    Resize, then heads read through Transpose/Reshape) with each map's channels rounded up to
    ``block``; returns a new ModelProto. Maps read by anything but those ops keep their width."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    arrays = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    channels = _channels(model)
    readers: dict[str, list] = {}
    for n in g.node:
        for name in n.input:
            readers.setdefault(name, []).append(n)
    outputs = {o.name for o in g.output}

    def fixed(name: str) -> bool:  # read by an op that sees channels as data (a head's Transpose)
        return name in outputs or any(r.op_type not in WIDTH_PRESERVING for r in readers.get(name, []))

    up = lambda c: -(-c // block) * block  # noqa: E731
    width = {t: (c if c < MIN_CHANNELS or fixed(t) else up(c)) for t, c in channels.items()}
    for n in g.node:
        if n.op_type not in WIDTH_PRESERVING and n.op_type not in ("Transpose", "Reshape", "Concat"):
            raise LayoutError(f"{n.name or n.op_type}: {n.op_type} is not an op the widening knows")
        if n.op_type in WIDTH_PRESERVING - {"Conv", "Pad"}:
            maps = {width[t] for t in list(n.input) + list(n.output) if t in width and t not in arrays}
            if len(maps) > 1:  # e.g. an Add of a widened map and one a head reads
                raise LayoutError(f"{n.name or n.op_type}: its maps would not keep one width ({sorted(maps)})")

    renamed: dict[str, str] = {}
    nodes = []
    for n in g.node:
        n.input[:] = [renamed.get(i, i) for i in n.input]
        if n.op_type == "Pad":
            x, y = n.input[0], n.output[0]
            pads = arrays[n.input[1]].reshape(-1)
            if len(pads) != 8 or np.any(np.delete(pads, [1, 5]) != 0) or pads[1] != 0:
                raise LayoutError(f"{n.name}: only a channel padding at the end is known")
            if width[x] == width[y]:
                renamed[y] = x  # the rounded maps already hold the zero channels the pad added
                continue
            eye = np.zeros((width[y], width[x], 1, 1), np.float32)
            eye[np.arange(channels[x]), np.arange(channels[x])] = 1.0
            name = f"{y}_identity_w"
            g.initializer.append(numpy_helper.from_array(eye, name))
            nodes.append(helper.make_node("Conv", [x, name], [y], name=f"{n.name}_as_conv", kernel_shape=[1, 1]))
            continue
        if n.op_type == "Conv":
            w = arrays[n.input[1]]
            group = _attr(n, "group", None)
            groups = group.i if group is not None else 1
            out_w = width.get(n.output[0], w.shape[0])
            in_w = width.get(n.input[0], w.shape[1] * groups)
            if groups == 1:
                new = np.zeros((out_w, in_w) + w.shape[2:], w.dtype)
                new[: w.shape[0], : w.shape[1]] = w
            elif groups == w.shape[0] and w.shape[1] == 1 and out_w == in_w:  # depthwise
                new = np.zeros((out_w, 1) + w.shape[2:], w.dtype)
                new[: w.shape[0]] = w
                group.i = out_w
            else:
                raise LayoutError(f"{n.name}: a grouped convolution that is not depthwise")
            arrays[n.input[1]] = new
            if len(n.input) > 2 and n.input[2]:
                b = arrays[n.input[2]]
                arrays[n.input[2]] = np.concatenate([b, np.zeros(out_w - len(b), b.dtype)])
        if n.op_type == "Resize" and len(n.input) > 3 and n.input[3] in arrays:
            sizes = arrays[n.input[3]].copy()
            sizes[1] = width.get(n.output[0], sizes[1])
            arrays[n.input[3]] = sizes
        nodes.append(n)
    if any(o.name in renamed for o in g.output):
        raise LayoutError("a graph output is a channel padding")
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    kept = [numpy_helper.from_array(arrays.get(i.name, numpy_helper.to_array(i)), i.name)
            for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    del g.value_info[:]
    onnx.checker.check_model(model)
    return model


def max_difference(before, after, inputs: list[np.ndarray]) -> float:
    """The largest |before - after| over every output and input: what :func:`widen` changed."""
    import onnxruntime as ort

    a = ort.InferenceSession(before.SerializeToString(), providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(after.SerializeToString(), providers=["CPUExecutionProvider"])
    name = a.get_inputs()[0].name
    worst = 0.0
    for x in inputs:
        for p, q in zip(a.run(None, {name: x}), b.run(None, {name: x})):
            worst = max(worst, float(np.max(np.abs(p - q))))
    return worst


def speeds(before, after, x: np.ndarray, turns: int = 10, calls: int = 20) -> dict[str, float]:
    """Median milliseconds a call of each model on one onnxruntime thread, timed side by side in
    alternating turns (a drifting machine moves both alike): what the rounding buys, measured on
    the machine that imports."""
    import time

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sessions = {k: ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
                for k, m in (("as_converted", before), ("rounded", after))}
    name = sessions["as_converted"].get_inputs()[0].name
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for _ in range(turns):
        for k, sess in sessions.items():
            sess.run(None, {name: x})  # one warm-up call a turn
            for _ in range(calls):
                t0 = time.perf_counter()
                sess.run(None, {name: x})
                times[k].append(time.perf_counter() - t0)
    return {k: round(float(np.median(v)) * 1000, 3) for k, v in times.items()}
