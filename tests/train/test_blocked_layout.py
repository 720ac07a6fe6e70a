"""Rounding channel counts up for onnxruntime's blocked convolutions: the same outputs, no pads."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from siamgui.train.importers.blocked_layout import LayoutError, max_difference, speeds, widen


def _residual_net(rng) -> onnx.ModelProto:
    """A BlazeFace-like net: conv 3->24, a residual block 24->28 with a channel-padded skip, one
    28->36 (its padding is still needed after rounding: 32 -> 48), a max pool, and a head read
    through Transpose as the detector's are."""
    inits, nodes = {}, []

    def conv(x, y, cin, cout, k=1, group=1, stride=1):
        w = rng.normal(0, 0.3, (cout, cin // group, k, k)).astype(np.float32)
        inits[f"{y}_w"], inits[f"{y}_b"] = w, rng.normal(0, 0.1, cout).astype(np.float32)
        nodes.append(helper.make_node("Conv", [x, f"{y}_w", f"{y}_b"], [y], kernel_shape=[k, k], group=group,
                                      pads=[k // 2] * 4, strides=[stride, stride]))

    def block(x, y, cin, cout):
        conv(x, f"{y}_dw", cin, cin, k=3, group=cin)
        conv(f"{y}_dw", f"{y}_pw", cin, cout)
        inits[f"{y}_pads"] = np.array([0, 0, 0, 0, 0, cout - cin, 0, 0], np.int64)
        nodes.append(helper.make_node("Pad", [x, f"{y}_pads"], [f"{y}_skip"]))
        nodes.append(helper.make_node("Add", [f"{y}_skip", f"{y}_pw"], [f"{y}_sum"]))
        nodes.append(helper.make_node("Relu", [f"{y}_sum"], [y]))

    conv("input", "c0", 3, 24, k=3, stride=2)
    nodes.append(helper.make_node("Relu", ["c0"], ["r0"]))
    block("r0", "b1", 24, 28)
    block("b1", "b2", 28, 36)
    nodes.append(helper.make_node("MaxPool", ["b2"], ["p"], kernel_shape=[2, 2], strides=[2, 2]))
    conv("p", "head", 36, 6)
    nodes.append(helper.make_node("Transpose", ["head"], ["out"], perm=[0, 2, 3, 1]))
    graph = helper.make_graph(nodes, "residual", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 8, 8, 6])],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_widening_keeps_the_outputs_and_drops_the_pads():
    rng = np.random.default_rng(0)
    plain = _residual_net(rng)
    wide = widen(plain)
    xs = [rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32) for _ in range(3)]
    assert max_difference(plain, wide, xs) < 1e-4
    ops = [n.op_type for n in wide.graph.node]
    assert "Pad" not in ops  # 24 -> 28 both round to 32: gone; 28 -> 36 (32 -> 48): a 1x1 identity conv
    weights = {i.name: numpy_helper.to_array(i) for i in wide.graph.initializer}
    convs = [weights[n.input[1]].shape for n in wide.graph.node if n.op_type == "Conv"]
    assert all(s[0] % 16 == 0 or s[0] == 6 for s in convs)  # the head read through Transpose keeps its 6
    assert convs[0][1] == 3  # the RGB input is not widened


def test_an_op_it_does_not_know_is_refused_in_words():
    rng = np.random.default_rng(1)
    model = _residual_net(rng)
    relu = next(n for n in model.graph.node if n.op_type == "Relu")
    relu.op_type = "Sigmoid"
    with pytest.raises(LayoutError, match="Sigmoid is not an op the widening knows"):
        widen(model)


def test_the_two_layouts_are_timed_side_by_side():
    rng = np.random.default_rng(2)
    plain = _residual_net(rng)
    ms = speeds(plain, widen(plain), rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32), turns=2, calls=3)
    assert set(ms) == {"as_converted", "rounded"} and all(v > 0 for v in ms.values())
