"""A reader of dlib's binary serialization, enough for its DNN files (no dlib needed).

Written from dlib's documented format (``dlib/serialize.h``) and the ``serialize`` functions of
its DNN layers (``dlib/dnn/*.h``); the facts it relies on:

* integers: one control byte (bit 7: negative, low 4 bits: how many bytes follow), then the
  absolute value, little endian;
* floats and doubles: an integer mantissa, then an integer exponent: ``mantissa * 2**exponent``;
* bools: the ASCII byte ``'1'`` or ``'0'``; strings: an integer length, then the bytes;
* tensors (version 2): n, k, nr, nc, then n*k*nr*nc raw little-endian float32 values;
  alias tensors (version 1): n, k, nr, nc only (a view into the layer's ``params``);
* a network is written outside-in: ``add_loss_layer`` (version 1, loss details, subnetwork),
  then each ``add_layer`` writes its version, *its subnetwork*, its details, then its own
  bookkeeping; ``add_tag_layer`` / ``add_skip_layer`` write only a version (1) and their
  subnetwork. So the file holds every wrapper's version first (output to input), then the input
  layer, then each computational layer's details from the input upwards.

The file says which wrappers are tags or skips only through the C++ type, which is not stored:
:func:`parse_net` returns them as ``"wrap"`` markers in place, and the importer checks them
against the architecture it knows.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class DlibFormatError(ValueError):
    """The bytes are not the dlib network this reader expected, with a sentence saying where."""


class Reader:
    """A cursor over dlib-serialized bytes."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data = memoryview(data)
        self.pos = pos

    def _take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise DlibFormatError(f"the file ends early (wanted {n} bytes at offset {self.pos})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if size > 8:
            raise DlibFormatError(f"bad integer control byte 0x{control:02x} at offset {self.pos - 1}")
        value = int.from_bytes(bytes(self._take(size)), "little") if size else 0
        return -value if control & 0x80 else value

    def float(self) -> float:
        mantissa, exponent = self.int(), self.int()
        try:
            return math.ldexp(mantissa, exponent)
        except OverflowError:
            return math.copysign(math.inf, mantissa)

    def bool(self) -> bool:
        ch = self._take(1)[0]
        if ch not in (ord("0"), ord("1")):
            raise DlibFormatError(f"bad bool byte 0x{ch:02x} at offset {self.pos - 1}")
        return ch == ord("1")

    def string(self, limit: int = 1 << 20) -> str:
        n = self.int()
        if not 0 <= n <= limit:
            raise DlibFormatError(f"implausible string length {n} at offset {self.pos}")
        return bytes(self._take(n)).decode("latin-1")

    def peek_string(self, limit: int = 64) -> str | None:
        """The string at the cursor if one plausibly starts there; the cursor does not move."""
        here = self.pos
        try:
            n = self.int()
            if not 1 <= n <= limit or self.pos + n > len(self.data):
                return None
            raw = bytes(self.data[self.pos:self.pos + n])
            return raw.decode("ascii") if all(32 < b < 127 for b in raw) else None
        except DlibFormatError:
            return None
        finally:
            self.pos = here

    def tensor(self) -> np.ndarray:
        version = self.int()
        if version != 2:
            raise DlibFormatError(f"tensor version {version} at offset {self.pos} (this reader knows 2)")
        shape = tuple(self.int() for _ in range(4))
        if any(s < 0 for s in shape):
            raise DlibFormatError(f"negative tensor shape {shape} at offset {self.pos}")
        count = int(np.prod(shape))
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, int, int, int]:
        version = self.int()
        if version != 1:
            raise DlibFormatError(f"alias_tensor version {version} at offset {self.pos} (expected 1)")
        return tuple(self.int() for _ in range(4))  # type: ignore[return-value]


@dataclass
class Layer:
    """One computational layer: its dlib name (``con``, ``affine``, ...) and what it stores."""

    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class DlibNet:
    """A parsed network, input to output. ``ops`` holds :class:`Layer` objects and ``"wrap"``
    markers (a tag or skip layer sat there)."""

    loss: dict[str, Any]
    input: dict[str, Any]
    ops: list[Layer | str]

    @property
    def layers(self) -> list[Layer]:
        return [op for op in self.ops if isinstance(op, Layer)]

    def signature(self) -> list[str]:
        """The op kinds input to output, ``wrap`` included: what the importer checks."""
        return [op if isinstance(op, str) else op.kind for op in self.ops]


# --- layer details -------------------------------------------------------------------------

def _split(params: np.ndarray, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    flat = params.reshape(-1)
    need = sum(int(np.prod(s)) for s in shapes)
    if need > flat.size:
        raise DlibFormatError(f"a layer's params hold {flat.size} values, its shapes need {need}")
    out, at = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(flat[at:at + n].reshape(s))
        at += n
    return out


def _con(r: Reader) -> Layer:
    params = r.tensor()
    attrs = {k: r.int() for k in ("num_filters", "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")}
    fshape, bshape = r.alias(), r.alias()
    for k in ("learning_rate_multiplier", "weight_decay_multiplier",
              "bias_learning_rate_multiplier", "bias_weight_decay_multiplier"):
        attrs[k] = r.float()
    w, b = _split(params, fshape, bshape)
    return Layer("con", attrs, {"weight": w, "bias": b.reshape(-1)})


def _affine(r: Reader, with_disabled: bool) -> Layer:
    params = r.tensor()
    gshape, bshape = r.alias(), r.alias()
    attrs = {"mode": r.int()}
    if with_disabled:
        attrs["disabled"] = r.bool()
    g, b = _split(params, gshape, bshape)
    return Layer("affine", attrs, {"gamma": g, "beta": b})


def _pool(kind: str) -> Any:
    def read(r: Reader) -> Layer:
        attrs = {k: r.int() for k in ("nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")}
        return Layer(kind, attrs)
    return read


def _fc(r: Reader) -> Layer:
    attrs = {"num_outputs": r.int(), "num_inputs": r.int()}
    params = r.tensor()
    wshape, bshape = r.alias(), r.alias()
    attrs["bias_mode"] = r.int()
    for k in ("learning_rate_multiplier", "weight_decay_multiplier",
              "bias_learning_rate_multiplier", "bias_weight_decay_multiplier"):
        attrs[k] = r.float()
    arrays = {"weight": _split(params, wshape)[0].reshape(attrs["num_inputs"], attrs["num_outputs"])}
    nb = int(np.prod(bshape))
    if nb and params.size >= int(np.prod(wshape)) + nb:
        arrays["bias"] = _split(params, wshape, bshape)[1].reshape(-1)
    return Layer("fc", attrs, arrays)


LAYER_READERS = {
    "con_4": _con,
    "affine_": lambda r: _affine(r, with_disabled=False),
    "affine_2": lambda r: _affine(r, with_disabled=True),
    "relu_": lambda r: Layer("relu"),
    "add_prev_": lambda r: Layer("add_prev"),
    "max_pool_2": _pool("max_pool"),
    "avg_pool_2": _pool("avg_pool"),
    "fc_2": _fc,
}


def read_layer(r: Reader) -> Layer:
    name = r.string(limit=64)
    reader = LAYER_READERS.get(name)
    if reader is None:
        raise DlibFormatError(f"unsupported dlib layer {name!r} at offset {r.pos} "
                              f"(known: {', '.join(sorted(LAYER_READERS))})")
    return reader(r)


def read_input(r: Reader) -> dict[str, Any]:
    name = r.string(limit=64)
    if name != "input_rgb_image_sized":
        raise DlibFormatError(f"unsupported dlib input layer {name!r} (expected input_rgb_image_sized)")
    avg = (r.float(), r.float(), r.float())
    return {"kind": name, "avg_rgb": avg, "rows": r.int(), "cols": r.int()}


def read_loss(r: Reader) -> dict[str, Any]:
    name = r.string(limit=64)
    if name == "loss_metric_2":
        return {"kind": "loss_metric", "margin": r.float(), "distance_threshold": r.float()}
    if name == "loss_metric_":
        return {"kind": "loss_metric", "margin": 0.04, "distance_threshold": 0.6}  # then hard coded
    raise DlibFormatError(f"unsupported dlib loss layer {name!r} (expected loss_metric_)")


def _layer_trailer(r: Reader, version: int, base: bool) -> None:
    """Skip what add_layer stores beside its details (flags, cached tensors)."""
    r.bool(), r.bool(), r.bool()
    r.tensor(), r.tensor()  # x_grad, cached_output
    if base:
        r.tensor()  # grad_final
        if version >= 3:
            r.int()  # sample expansion factor
    elif version >= 2:
        r.tensor()  # params_grad


def parse_net(data: bytes) -> DlibNet:
    """Parse a dlib ``loss_metric`` network file into its layers, input to output."""
    r = Reader(data)
    if r.int() != 1:
        raise DlibFormatError("not a dlib network file (the loss layer's version is not 1)")
    loss = read_loss(r)
    stack: list[int] = []  # versions, output to input
    while True:
        if len(stack) > 10000:
            raise DlibFormatError("no input layer found in the first 10000 layers")
        stack.append(r.int())
        if (r.peek_string() or "").startswith("input"):
            break
    if stack[-1] not in (2, 3):
        raise DlibFormatError(f"the layer above the input has version {stack[-1]} (expected 2 or 3)")
    inp = read_input(r)
    ops: list[Layer | str] = []
    for depth, version in enumerate(reversed(stack)):  # input upwards
        base = depth == 0
        if not base and version == 1:
            ops.append("wrap")
            continue
        if not base and version != 2:
            raise DlibFormatError(f"unexpected add_layer version {version}")
        ops.append(read_layer(r))
        _layer_trailer(r, version, base)
    if r.pos != len(r.data):
        raise DlibFormatError(f"{len(r.data) - r.pos} bytes left over after the network")
    return DlibNet(loss=loss, input=inp, ops=ops)


# --- writing (tests build tiny files with these) ---------------------------------------------

def enc_int(v: int) -> bytes:
    mag = abs(int(v))
    body = mag.to_bytes(max(1, (mag.bit_length() + 7) // 8), "little") if mag else b""
    return bytes([len(body) | (0x80 if v < 0 else 0)]) + body


def enc_float(x: float) -> bytes:
    if x == 0:
        return enc_int(0) + enc_int(0)
    m, e = math.frexp(x)  # x = m * 2**e, 0.5 <= |m| < 1
    mant = int(m * (1 << 53))
    return enc_int(mant) + enc_int(e - 53)


def enc_bool(b: bool) -> bytes:
    return b"1" if b else b"0"


def enc_str(s: str) -> bytes:
    return enc_int(len(s)) + s.encode("latin-1")


def enc_tensor(a: np.ndarray) -> bytes:
    a = np.asarray(a, np.float32)
    shape = tuple(a.shape) + (1,) * (4 - a.ndim)
    return enc_int(2) + b"".join(enc_int(s) for s in shape) + a.astype("<f4").tobytes()


def enc_alias(shape: tuple[int, ...]) -> bytes:
    shape = tuple(shape) + (1,) * (4 - len(shape))
    return enc_int(1) + b"".join(enc_int(s) for s in shape)


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]
