"""Fine-tuning a GE2E speaker encoder: the training source makes the modality's own windows, and
``--init resemblyzer`` trains (random weights stand in for Resemblyzer's, which CI does not have)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import voice_folder  # noqa: E402

from siamgui.core.encoder import Encoder  # noqa: E402
from siamgui.core.modelcard import read_card  # noqa: E402
from siamgui import kinds as modalities  # noqa: E402
from siamgui.media import ge2e  # noqa: E402
from siamgui.train import backbones, data  # noqa: E402
from siamgui.train.cli import main  # noqa: E402
from siamgui.train.importers import resemblyzer as imp  # noqa: E402
from siamgui.train.modalities import SOURCES, Ge2eSource  # noqa: E402

SPEC = {"kind": "ge2e"}


def _source(tmp_path: Path, **kw) -> Ge2eSource:
    folder = voice_folder(tmp_path / "voices", speakers=3, per_speaker=2)
    items = data.scan([str(folder)], "audio", None, data.Skipped())
    return SOURCES["ge2e"](items, SPEC, data.Skipped(), tmp_path / "cache", progress=False, **kw)


def test_training_windows_are_the_modalitys_windows(tmp_path):
    src = _source(tmp_path, short_p=0.0, gain_db=0.0, snr_db=(300.0, 300.0))
    assert len(src.items) == 3 and all(len(w) > 2 * 16000 for w in src.waves)
    shape = modalities.get(SPEC).input_shape()
    rng = np.random.default_rng(0)
    w = src.train_sample(0, rng)
    assert w.shape == shape and w.dtype == np.float32
    # without augmentation a training window is the app's window of a piece of the preprocessed wave:
    # the piece the sample drew (same generator draws: short-piece coin, then the start)
    n = 160 * 160
    wav = src.waves[0]
    replay = np.random.default_rng(0)
    replay.random()
    a = int(replay.integers(0, len(wav) - n + 1))
    assert np.allclose(ge2e.partial_windows(wav[a: a + n], src.spec)[0], w, rtol=1e-4, atol=1e-6)
    assert not np.allclose(ge2e.partial_windows(wav[a + 800: a + 800 + n], src.spec)[0], w, rtol=1e-4, atol=1e-6)
    # a speed variant is another speaker: a different (shorter at 1.1x) wave
    src.speeds = (1.0, 1.1)
    assert src.train_sample(0, rng, variant=1).shape == shape
    assert abs(len(src._wave(0, 1)) - len(wav) / 1.1) < 0.01 * len(wav)
    # evaluation inputs are exactly what the app's prepare gives for 3 s pieces of the files
    inputs, labels = src.eval_inputs([0, 1], rng)
    assert len(inputs) == len(labels) and set(labels) == {src.items[0].label, src.items[1].label}
    first = src.files[0][0][: 3 * 16000]
    assert np.array_equal(inputs[0], modalities.get(SPEC).prepare(imp.audio.AudioClip(first, 16000)).tensors)


def test_short_pieces_are_padded_like_a_spoken_digit(tmp_path):
    src = _source(tmp_path, short_p=1.0, short_s=(0.3, 0.3))
    w = src.train_sample(1, np.random.default_rng(1))[0]
    assert w.shape == (40, 160)
    assert np.all(w[:, 40:] == 0.0) and np.any(w[:, :25] > 0)  # 0.3 s of voice, then zero padding


def test_stacked_lstm_levels_are_layers_for_train_layers():
    model = imp.GE2E()
    assert backbones.freeze(model, "top:2") == ["linear", "lstm.l2"]
    learning = {n for n, q in model.named_parameters() if q.requires_grad}
    assert learning == {"linear.weight", "linear.bias", "lstm.weight_ih_l2", "lstm.weight_hh_l2",
                        "lstm.bias_ih_l2", "lstm.bias_hh_l2"}
    assert len(backbones.freeze(imp.GE2E(), "all")) == 4


def test_finetune_ge2e_two_steps_without_another_models_test_speakers(tmp_path, monkeypatch, capsys):
    from dataclasses import replace

    from onnx_factory import carded_model

    from siamgui.core.modelcard import write_card

    torch.manual_seed(0)
    weights = tmp_path / "pretrained.pt"
    torch.save({"model_state": imp.GE2E().state_dict()}, weights)  # stands in for Resemblyzer's file
    monkeypatch.setattr(imp, "weights_path", lambda cache=None: weights)
    folder = voice_folder(tmp_path / "voices", speakers=6, per_speaker=2)
    held = carded_model(tmp_path / "imported.onnx", dict(SPEC))  # a model whose card names its test speakers
    card = read_card(held)
    write_card(held, replace(card, provenance={"split": {"val_class_names": ["voices/spk4", "voices/spk5"]}}))

    out = tmp_path / "ft.onnx"
    rc = main([str(folder), "--preset", "voice-finetune", "--init", "resemblyzer", "--out", str(out),
               "--workdir", str(tmp_path / "work"), "--cache", str(tmp_path / "cache"), "--no-progress",
               "--steps", "2", "-P", "3", "-K", "2", "--val-fraction", "0.25", "--exclude-classes-from", str(held)])
    assert rc == 0
    assert "left out 2 classes (4 files) held out by imported.onnx" in capsys.readouterr().out
    card = read_card(out)
    assert card.preprocess["kind"] == "ge2e" and card.embedding_dim == 256
    assert card.provenance["train_layers"] == "top:2" and card.provenance["speed_classes"] == [0.9, 1.1]
    assert card.provenance["parity_max_abs_diff"] < 1e-4
    split = card.provenance["split"]
    assert sorted(split["train_class_names"] + split["val_class_names"]) == [f"voices/spk{i}" for i in range(4)]
    e = Encoder.load(out, device="cpu").embed([next((folder / "spk0").iterdir())])
    assert e.shape == (1, 256) and abs(float(np.linalg.norm(e)) - 1.0) < 1e-4
