"""``siamgui-train import mtcnn``: MTCNN's P-, R- and O-nets as three ONNX files.

The weights are the state dicts shipped in the ``facenet-pytorch`` wheel (MIT, Tim Esler; the
nets are Zhang et al.'s MTCNN, 2016). The wheel is read as a zip (the package is never imported,
so torchvision is not needed); when facenet-pytorch is not installed it is fetched once with
``pip download`` into the user cache. The nets are rebuilt here from their published layer
shapes, exported with onnxruntime-friendly dynamic axes (P-net: any H, W; R/O-net: any batch),
and each export is checked against torch on random inputs.

    siamgui-train import mtcnn --out-dir models/detectors
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

PACKAGE = "facenet-pytorch"
VERSION = "2.6.0"
NETS = ("pnet", "rnet", "onet")
OPSET = 17


class WeightsError(RuntimeError):
    """The weights could not be obtained or converted (message meant for the user)."""


def _conv(cin: int, cout: int, k: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=k)


class PNet(nn.Module):
    """Fully convolutional proposal net: 12x12 windows at stride 2 -> (box offsets, face prob)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv(3, 10, 3), nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv(10, 16, 3), nn.PReLU(16)
        self.conv3, self.prelu3 = _conv(16, 32, 3), nn.PReLU(32)
        self.conv4_1 = _conv(32, 2, 1)
        self.conv4_2 = _conv(32, 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


class RNet(nn.Module):
    """Refinement net on 24x24 crops -> (box offsets, face prob)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv(3, 28, 3), nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv(28, 48, 3), nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = _conv(48, 64, 2), nn.PReLU(64)
        self.dense4, self.prelu4 = nn.Linear(576, 128), nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        # the dense weights were converted from a (W, H, C)-ordered flatten
        x = self.prelu4(self.dense4(x.permute(0, 3, 2, 1).flatten(1)))
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    """Output net on 48x48 crops -> (box offsets, 5 landmarks as x1..x5 y1..y5 in [0, 1], face prob)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv(3, 32, 3), nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv(32, 64, 3), nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = _conv(64, 64, 3), nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = _conv(64, 128, 2), nn.PReLU(128)
        self.dense5, self.prelu5 = nn.Linear(1152, 256), nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = self.prelu5(self.dense5(x.permute(0, 3, 2, 1).flatten(1)))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


# name -> (module, example input, input dynamic axes, output names)
SPECS = {
    "pnet": (PNet, (1, 3, 64, 80), {0: "N", 2: "H", 3: "W"}, ("offsets", "prob")),
    "rnet": (RNet, (4, 3, 24, 24), {0: "N"}, ("offsets", "prob")),
    "onet": (ONet, (4, 3, 48, 48), {0: "N"}, ("offsets", "landmarks", "prob")),
}


def user_cache() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("siamgui", appauthor=False)) / "wheels"


def _installed_data_dir() -> Path | None:
    spec = importlib.util.find_spec("facenet_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    return data if all((data / f"{n}.pt").is_file() for n in NETS) else None


def fetch_wheel(cache: Path) -> Path:
    """The facenet-pytorch wheel in ``cache``, downloaded with pip (no dependencies) if absent."""
    name = f"facenet_pytorch-{VERSION}-py3-none-any.whl"
    wheel = cache / name
    if wheel.is_file():
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           f"{PACKAGE}=={VERSION}", "-d", str(cache)]
    print("fetching:", " ".join(cmd), flush=True)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 or not wheel.is_file():
        got = sorted(p.name for p in cache.glob("facenet_pytorch-*.whl"))
        raise WeightsError(f"could not download {PACKAGE}=={VERSION} with pip (got {got or 'nothing'}): "
                           + (res.stderr.strip().splitlines() or ["no message"])[-1])
    return wheel


def load_state_dicts(cache: Path | None = None) -> tuple[dict[str, dict], str]:
    """The three nets' state dicts and where they came from."""
    data = _installed_data_dir()
    if data is not None:
        return {n: torch.load(data / f"{n}.pt", map_location="cpu", weights_only=True) for n in NETS}, str(data)
    wheel = fetch_wheel(cache or user_cache())
    out = {}
    with zipfile.ZipFile(wheel) as zf:
        for n in NETS:
            member = f"facenet_pytorch/data/{n}.pt"
            try:
                raw = zf.read(member)
            except KeyError:
                raise WeightsError(f"{wheel.name} has no {member}") from None
            out[n] = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    return out, str(wheel)


def build(name: str, state: dict) -> nn.Module:
    """One net with its published weights (strict: every tensor must match by name and shape)."""
    net = SPECS[name][0]()
    net.load_state_dict(state, strict=True)
    return net.eval()


def export_net(name: str, net: nn.Module, path: Path) -> float:
    """Export ``net`` to ``path``; the max |torch - onnxruntime| over its outputs on random inputs."""
    import onnxruntime as ort

    _, shape, axes, outputs = SPECS[name]
    dummy = torch.zeros(*shape)
    dyn = {"input": axes} | {o: {0: "N"} | ({2: "h", 3: "w"} if name == "pnet" else {}) for o in outputs}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (dummy,), str(path), input_names=["input"], output_names=list(outputs),
                          dynamic_axes=dyn, opset_version=OPSET, dynamo=False, do_constant_folding=True)
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    tests = [(1, 3, 37, 53), (1, 3, 120, 96)] if name == "pnet" else [(1, *shape[1:]), (7, *shape[1:])]
    worst = 0.0
    for t in tests:
        x = rng.uniform(-1, 1, t).astype(np.float32)
        with torch.no_grad():
            ref = [r.numpy() for r in net(torch.from_numpy(x))]
        got = sess.run(None, {"input": x})
        worst = max(worst, *(float(np.max(np.abs(a - b))) for a, b in zip(ref, got)))
    return worst


def run(out_dir: Path, cache: Path | None = None) -> dict[str, float]:
    states, source = load_state_dicts(cache)
    print(f"weights: {source}")
    out_dir.mkdir(parents=True, exist_ok=True)
    diffs = {}
    for name in NETS:
        path = out_dir / f"{name}.onnx"
        diffs[name] = export_net(name, build(name, states[name]), path)
        print(f"{path}: {path.stat().st_size / 1e3:.0f} kB, parity torch vs onnxruntime max abs diff {diffs[name]:.2e}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="siamgui-train import mtcnn", description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", required=True, help="folder for pnet.onnx, rnet.onnx, onet.onnx")
    ap.add_argument("--cache", help="folder for the downloaded wheel (default: the user cache)")
    args = ap.parse_args(argv)
    try:
        diffs = run(Path(args.out_dir), Path(args.cache) if args.cache else None)
    except WeightsError as exc:
        print(f"siamgui-train import mtcnn: error: {exc}", file=sys.stderr)
        return 2
    return 0 if max(diffs.values()) < 1e-4 else 1
