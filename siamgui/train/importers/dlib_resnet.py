"""dlib's face recognition ResNet (``dlib_face_recognition_resnet_model_v1``) as a torch module.

The network, as dlib's ``dnn_face_recognition_ex.cpp`` declares it (input to output):

* input: a 150x150 RGB chip; dlib feeds ``(pixel - mean_rgb) / 256`` with the means stored in
  the file (122.782, 117.001, 104.298);
* stem: con 32 7x7 /2 (no padding), affine, relu, max_pool 3x3 /2 (no padding);
* 14 residual blocks in stages of (32 x3), (64 x4), (128 x3), (256 x3), (256 x1); the first
  block of every stage but the first goes down: its first con has stride 2 and no padding, and
  its shortcut is a 2x2 /2 average pool of the block's input;
  a block is ``con3x3 -> affine -> relu -> con3x3 -> affine``, then ``relu(shortcut + block)``;
* dlib adds tensors of different shapes by padding the smaller one with zeros at the end of
  each dimension (more channels than the shortcut; at 8->4 and 4->2 the pooled shortcut is one
  pixel larger than the strided block): :func:`pad_to` does the same;
* head: the mean over what is left (2x2x256), then a 256->128 linear map without bias.

``affine`` is dlib's frozen batch norm: ``x * gamma + beta`` per channel.
This module takes RGB in 0..255 (float) and does dlib's normalisation itself, so the exported
ONNX file needs nothing but the aligned chip.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from siamgui.train.importers.dlib_serial import DlibFormatError, DlibNet, Layer

# (channels, blocks, first block goes down)
STAGES: tuple[tuple[int, int, bool], ...] = ((32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True),
                                              (256, 1, True))
SIZE = 150


def expected_signature() -> list[str]:
    """The op kinds the file must hold, input to output (``wrap``: a tag or skip layer)."""
    ops = ["con", "affine", "relu", "max_pool"]
    block = ["wrap", "con", "affine", "relu", "con", "affine"]
    for _, count, down in STAGES:
        for i in range(count):
            if down and i == 0:
                ops += block + ["wrap", "wrap", "avg_pool", "add_prev", "relu"]
            else:
                ops += block + ["add_prev", "relu"]
    return ops + ["avg_pool", "fc"]


def check_architecture(net: DlibNet) -> None:
    """Raise DlibFormatError unless ``net`` is the face ResNet this module reproduces."""
    got, want = net.signature(), expected_signature()
    if got != want:
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        raise DlibFormatError(f"this is not dlib's face recognition ResNet: op {at} is "
                              f"{got[at] if at < len(got) else 'missing'!r}, expected "
                              f"{want[at] if at < len(want) else 'nothing'!r}")
    if net.input.get("rows") != SIZE or net.input.get("cols") != SIZE:
        raise DlibFormatError(f"the input layer is {net.input.get('rows')}x{net.input.get('cols')}, expected 150x150")


def _out(n: int, k: int, s: int, p: int) -> int:
    return 1 + (n + 2 * p - k) // s


class Affine(nn.Module):
    """dlib's affine_ layer: x * gamma + beta per channel (batch norm frozen at export)."""

    def __init__(self, channels: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma + self.beta


class Block(nn.Module):
    """One residual block; ``down``: stride-2 first conv and an average-pooled shortcut."""

    def __init__(self, cin: int, cout: int, down: bool, in_hw: int):
        super().__init__()
        stride, pad = (2, 0) if down else (1, 1)
        self.down = down
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, pad)
        self.aff1 = Affine(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.aff2 = Affine(cout)
        body_hw = _out(in_hw, 3, stride, pad)
        short_hw = _out(in_hw, 2, 2, 0) if down else in_hw
        self.body_shape = (cout, body_hw, body_hw)
        self.short_shape = (cin, short_hw, short_hw)
        self.out_shape = (max(cout, cin), max(body_hw, short_hw), max(body_hw, short_hw))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.aff2(self.conv2(F.relu(self.aff1(self.conv1(x)))))
        s = F.avg_pool2d(x, 2, 2) if self.down else x
        return F.relu(pad_to(s, self.short_shape, self.out_shape) + pad_to(y, self.body_shape, self.out_shape))


def pad_to(t: torch.Tensor, have: tuple[int, int, int], want: tuple[int, int, int]) -> torch.Tensor:
    """``t`` (shape ``have``) zero-padded at the end of C, H, W up to ``want``: dlib's add_prev rule."""
    if have == want:
        return t
    return F.pad(t, (0, want[2] - have[2], 0, want[1] - have[1], 0, want[0] - have[0]))


class DlibFaceNet(nn.Module):
    """(N, 3, 150, 150) RGB in 0..255 -> (N, 128) dlib face descriptors (not normalised)."""

    def __init__(self, mean_rgb: tuple[float, float, float] = (122.782, 117.001, 104.298)):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean_rgb, dtype=torch.float32).view(1, 3, 1, 1))
        self.conv = nn.Conv2d(3, 32, 7, 2, 0)
        self.aff = Affine(32)
        hw = _out(_out(SIZE, 7, 2, 0), 3, 2, 0)
        blocks, cin = [], 32
        for cout, count, down in STAGES:
            for i in range(count):
                blocks.append(Block(cin, cout, down and i == 0, hw))
                cin, hw = blocks[-1].out_shape[0], blocks[-1].out_shape[1]
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, 128, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / 256.0
        x = F.max_pool2d(F.relu(self.aff(self.conv(x))), 3, 2)
        x = self.blocks(x)
        return self.fc(x.mean(dim=(2, 3)))


def _assign(param: torch.Tensor, value: np.ndarray, what: str) -> None:
    if tuple(param.shape) != tuple(value.shape):
        value = value.reshape(tuple(param.shape)) if value.size == param.numel() else value
    if tuple(param.shape) != tuple(value.shape):
        raise DlibFormatError(f"{what}: the file has shape {value.shape}, the network wants {tuple(param.shape)}")
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.ascontiguousarray(value, np.float32)))


def from_dlib(net: DlibNet) -> DlibFaceNet:
    """The torch module with ``net``'s weights (checked against the known architecture first)."""
    check_architecture(net)
    model = DlibFaceNet(tuple(float(v) for v in net.input["avg_rgb"]))  # type: ignore[arg-type]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    affines = [m for m in model.modules() if isinstance(m, Affine)]
    layers: list[Layer] = net.layers
    con_layers = [l for l in layers if l.kind == "con"]
    aff_layers = [l for l in layers if l.kind == "affine"]
    if len(con_layers) != len(convs) or len(aff_layers) != len(affines):
        raise DlibFormatError("the file's conv / affine layer counts do not match the network")
    for i, (m, l) in enumerate(zip(convs, con_layers)):
        if (l.attrs["stride_y"], l.attrs["padding_y"]) != (m.stride[0], m.padding[0]):
            raise DlibFormatError(f"conv {i}: stride/padding {l.attrs['stride_y']}/{l.attrs['padding_y']} "
                                  f"in the file, {m.stride[0]}/{m.padding[0]} in the network")
        _assign(m.weight, l.arrays["weight"], f"conv {i} weights")
        _assign(m.bias, l.arrays["bias"], f"conv {i} bias")
    for i, (m, l) in enumerate(zip(affines, aff_layers)):
        _assign(m.gamma, l.arrays["gamma"], f"affine {i} gamma")
        _assign(m.beta, l.arrays["beta"], f"affine {i} beta")
    fc = layers[-1]
    if "bias" in fc.arrays:
        raise DlibFormatError("the final fc layer has a bias; dlib's face ResNet has none")
    _assign(model.fc.weight, fc.arrays["weight"].T, "fc weights")
    return model.eval()
