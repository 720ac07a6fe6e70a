"""Resemblyzer importer: the network, the weights from a wheel, ONNX export, parity with Resemblyzer."""

from __future__ import annotations

import sys
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from siamgui.train import cli, export  # noqa: E402
from siamgui.train.importers import resemblyzer as imp  # noqa: E402


def fake_checkpoint(path, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    state = {k: torch.randn_like(v) * 0.1 for k, v in imp.GE2E().state_dict().items()}
    state |= {"similarity_weight": torch.tensor([10.0]), "similarity_bias": torch.tensor([-5.0])}
    torch.save({"step": 1, "model_state": state, "optimizer_state": {}}, str(path))
    return state


def test_module_shape_and_unit_nonnegative_embeddings():
    model = imp.GE2E().eval()
    x = torch.rand(3, 1, 40, 160)
    with torch.no_grad():
        e = model(x)
    assert e.shape == (3, 256)
    assert torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5) and (e >= 0).all()


def test_module_reads_frames_in_time_order():
    # the transpose: (N, 1, mels, frames) must reach the LSTM as (N, frames, mels); reversing time changes it
    model = imp.GE2E().eval()
    x = torch.rand(1, 1, 40, 160)
    with torch.no_grad():
        a, b = model(x), model(x.flip(-1))
    assert not torch.allclose(a, b)
    with torch.no_grad():
        _, (h, _) = model.lstm(x[:, 0].transpose(1, 2))
        ref = torch.relu(model.linear(h[-1]))
    assert torch.allclose(a, ref / ref.norm(dim=1, keepdim=True), atol=1e-6)


def test_load_model_ignores_the_similarity_parameters(tmp_path):
    state = fake_checkpoint(tmp_path / "pretrained.pt")
    model = imp.load_model(tmp_path / "pretrained.pt")
    assert torch.equal(model.linear.weight, state["linear.weight"])
    assert torch.equal(model.lstm.weight_hh_l2, state["lstm.weight_hh_l2"])


def test_weights_from_a_wheel_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "resemblyzer", None)  # as if not installed
    fake_checkpoint(tmp_path / "pt")
    with zipfile.ZipFile(tmp_path / f"Resemblyzer-{imp.VERSION}-py3-none-any.whl", "w") as zf:
        zf.write(tmp_path / "pt", "resemblyzer/pretrained.pt")
    monkeypatch.setattr(imp.subprocess, "run", lambda *a, **k: pytest.fail("pip must not run: the wheel is cached"))
    path = imp.weights_path(tmp_path)
    assert path.read_bytes() == (tmp_path / "pt").read_bytes()
    assert imp.weights_path(tmp_path) == path  # extracted once


def test_onnx_export_matches_torch(tmp_path):
    fake_checkpoint(tmp_path / "pretrained.pt")
    model = imp.load_model(tmp_path / "pretrained.pt")
    out = export.to_onnx(model, (1, 40, 160), tmp_path / "m.onnx")
    x = np.random.default_rng(0).random((5, 1, 40, 160)).astype(np.float32)
    assert export.parity(model, out, x) < 1e-5
    assert export.ort_run(out)(x[:1]).shape == (1, 256)  # dynamic batch


def test_speaker_split_is_seeded_and_disjoint():
    from siamgui.media.audio import AudioClip

    clip = AudioClip(np.zeros(10, np.float32), 16000)
    items = [imp.Item(f"s{k % 10}", clip, str(k)) for k in range(40)]
    val, test = imp.split_speakers(items, seed=3)
    assert {i.label for i in val}.isdisjoint({i.label for i in test}) and len(val) + len(test) == 40
    assert [i.name for i in imp.split_speakers(items, seed=3)[0]] == [i.name for i in val]


def test_cli_import_rejects_unknown_importer_and_bad_out(capsys):
    assert cli.main(["import", "nope"]) == 2
    assert "resemblyzer" in capsys.readouterr().err
    assert cli.main(["import", "resemblyzer", "--out", "x.pt"]) == 2


@pytest.mark.slow  # librosa's numba compiles on first use
def test_parity_with_resemblyzer_on_real_clips(data_dir, tmp_path):
    pytest.importorskip("resemblyzer")
    pytest.importorskip("librosa")
    model = imp.load_model(imp.weights_path())
    out = export.to_onnx(model, (1, 40, 160), tmp_path / "ge2e.onnx")
    files = sorted((data_dir / "voices" / "librispeech_251").rglob("*.flac"))[:3]
    par = imp.resemblyzer_parity(export.ort_run(out), files)
    assert par["files"] == 3 and par["max_abs_diff"] <= 1e-3
