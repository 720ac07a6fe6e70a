"""The MTCNN importer on stand-in weights (random, same names and shapes): no download."""

import io
import zipfile

import numpy as np
import onnxruntime as ort
import pytest
import torch

from siamgui.train import cli
from siamgui.train.importers import mtcnn


def _fake_wheel(path, seed=0):
    torch.manual_seed(seed)
    with zipfile.ZipFile(path, "w") as zf:
        for name in mtcnn.NETS:
            buf = io.BytesIO()
            torch.save(mtcnn.SPECS[name][0]().state_dict(), buf)
            zf.writestr(f"facenet_pytorch/data/{name}.pt", buf.getvalue())


def test_import_from_a_cached_wheel_exports_three_dynamic_nets(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mtcnn, "_installed_data_dir", lambda: None)
    cache = tmp_path / "cache"
    cache.mkdir()
    _fake_wheel(cache / f"facenet_pytorch-{mtcnn.VERSION}-py3-none-any.whl")
    out = tmp_path / "det"
    assert cli.main(["import", "mtcnn", "--out-dir", str(out), "--cache", str(cache)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("parity torch vs onnxruntime") == 3
    pnet = ort.InferenceSession(str(out / "pnet.onnx"), providers=["CPUExecutionProvider"])
    offsets, prob = pnet.run(None, {"input": np.zeros((1, 3, 30, 50), np.float32)})
    assert offsets.shape == (1, 4, 10, 20) and prob.shape == (1, 2, 10, 20)
    onet = ort.InferenceSession(str(out / "onet.onnx"), providers=["CPUExecutionProvider"])
    shapes = [o.shape for o in onet.run(None, {"input": np.zeros((3, 3, 48, 48), np.float32)})]
    assert shapes == [(3, 4), (3, 10), (3, 2)]


def test_wrong_weights_are_refused():
    state = mtcnn.RNet().state_dict()
    state["dense4.weight"] = torch.zeros(128, 575)
    with pytest.raises(RuntimeError):
        mtcnn.build("rnet", state)


def test_unknown_importer_is_a_usage_error(capsys):
    assert cli.main(["import", "nothing"]) == 2
    assert "mtcnn" in capsys.readouterr().err
