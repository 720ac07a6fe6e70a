"""The whole loop on tiny generated data: folder -> train a few steps -> export -> app engine -> compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import glyph_folder, voice_folder  # noqa: E402

from siamgui.core.encoder import Encoder  # noqa: E402
from siamgui.core.modelcard import read_card  # noqa: E402
from siamgui.train.cli import main  # noqa: E402


def train(tmp_path: Path, data: list[Path], preset: str, *extra: str, name: str = "m") -> tuple[int, Path]:
    out = tmp_path / f"{name}.onnx"
    rc = main([*map(str, data), "--preset", preset, "--out", str(out), "--workdir", str(tmp_path / f"work-{name}"),
               "--no-progress", *extra])
    return rc, out


def test_glyph_loop_end_to_end(tmp_path, capsys):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCDEFGHIJ", per_class=4)
    rc, out = train(tmp_path, [data], "glyph", "--steps", "3", "--val-fraction", "0.5", "-P", "4", "-K", "2")
    assert rc == 0
    text = capsys.readouterr().out
    assert "max abs diff" in text and "validation" in text
    enc = Encoder.load(out, device="cpu")
    assert enc.card.modality == "image" and enc.card.preprocess["kind"] == "glyph"
    for key in ("auc", "eer", "accuracy", "one_shot_5"):
        assert key in enc.card.metrics
    assert enc.card.provenance["parity_max_abs_diff"] < 1e-4
    assert 0 <= enc.card.threshold <= 2
    files = sorted((data / "char_A").glob("*.png"))
    v = enc.compare(files[0], files[1])
    assert 0 <= v.distance <= 2
    emb = enc.embed([files[0], files[1], files[2]])
    assert emb.shape == (3, enc.card.embedding_dim)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-4)
    work = tmp_path / "work-m"
    assert (work / "curve.png").is_file() and (work / "checkpoint.pt").is_file()
    report = json.loads((work / "report.json").read_text())
    assert report["steps"] == 3 and report["parity_max_abs_diff"] < 1e-4
    assert out.with_name("m-curve.png").is_file()
    # dynamic batch: any N
    sess_in = enc.session.get_inputs()[0]
    assert sess_in.name == "input" and not isinstance(sess_in.shape[0], int)


def test_voice_loop_end_to_end(tmp_path):
    data = voice_folder(tmp_path / "voices")
    rc, out = train(tmp_path, [data], "voice", "--steps", "2", "--val-fraction", "0.4", "-P", "3", "-K", "2")
    assert rc == 0
    enc = Encoder.load(out, device="cpu")
    card = read_card(out)
    assert card.modality == "audio" and card.preprocess["kind"] == "logmel"
    a, b = sorted((data / "spk0").glob("*.wav"))
    v = enc.compare(a, b)
    assert 0 <= v.distance <= 2 and isinstance(v.same, bool)


def test_triplet_and_contrastive_losses_train(tmp_path):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCDE", per_class=3)
    for loss in ("triplet-semihard", "contrastive"):
        rc, out = train(tmp_path, [data], "glyph", "--steps", "2", "--loss", loss, "--val-fraction", "0.4",
                        "-P", "3", "-K", "2", name=loss)
        assert rc == 0
        assert read_card(out).provenance["loss"] == loss


def test_deterministic_with_seed_and_resumable(tmp_path):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCDEF", per_class=3)
    args = ("--steps", "3", "--val-fraction", "0.4", "-P", "3", "-K", "2", "--seed", "7")
    assert train(tmp_path, [data], "glyph", *args, name="r1")[0] == 0
    assert train(tmp_path, [data], "glyph", *args, name="r2")[0] == 0
    probe = sorted((data / "char_B").glob("*.png"))[:2]
    e1 = Encoder.load(tmp_path / "r1.onnx", device="cpu").embed(probe)
    e2 = Encoder.load(tmp_path / "r2.onnx", device="cpu").embed(probe)
    assert np.allclose(e1, e2, atol=1e-5)
    # resume the 3-step run up to 5 steps
    ck = tmp_path / "work-r1" / "checkpoint.pt"
    rc, out = train(tmp_path, [data], "glyph", "--steps", "5", "--val-fraction", "0.4", "-P", "3", "-K", "2",
                    "--seed", "7", "--resume", str(ck), name="r3")
    assert rc == 0
    assert read_card(out).provenance["steps"] == 5


def test_glyph_rotated_classes(tmp_path):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCDEF", per_class=3)
    rc, out = train(tmp_path, [data], "glyph", "--steps", "2", "--rotations", "4", "--val-fraction", "0.4",
                    "-P", "6", "-K", "2", name="rot")
    assert rc == 0
    assert read_card(out).provenance["class_rotations"] == 4


def test_voice_speed_classes_are_new_speakers_at_another_pitch(tmp_path):
    from siamgui.train import data as tdata
    from siamgui.train import presets
    from siamgui.train.modalities import AudioSource

    root = voice_folder(tmp_path / "voices", speakers=4)
    items = tdata.scan([root], "audio")
    src = AudioSource(items, presets.get("voice")["spec"], tdata.Skipped(), cache=None, progress=False)
    src.speeds = (1.0, 1.25)
    base, fast = src._class_features(0, 0), src._class_features(0, 1)
    assert fast.shape[1] < base.shape[1]  # played faster: shorter
    # and higher: the loudest mel band moves up
    assert np.argmax(fast.mean(axis=1)) > np.argmax(base.mean(axis=1))
    rc, out = train(tmp_path, [root], "voice", "--steps", "2", "--val-fraction", "0.4", "-P", "2", "-K", "2",
                    "--speed-classes", "0.9,1.1", name="speed")
    assert rc == 0
    prov = read_card(out).provenance
    assert prov["class_rotations"] == 3 and prov["speed_classes"] == [0.9, 1.1]


def test_per_group_figures_on_the_cards_held_out_classes(tmp_path, capsys):
    from studies import per_group

    data = glyph_folder(tmp_path / "glyphs", classes="ABCDEFGH", per_class=3)
    rc, out = train(tmp_path, [data], "glyph", "--steps", "2", "--val-fraction", "0.4", "-P", "3", "-K", "2")
    assert rc == 0
    capsys.readouterr()
    assert per_group.main([str(out), str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    held = read_card(out).provenance["split"]["val_class_names"]
    assert lines[0].startswith("all held-out classes") and f"{len(held)} classes" in lines[0] and "EER" in lines[0]


def test_digit_preset_splits_by_sample_and_reports_ten_way_k_shot(tmp_path, capsys):
    data = glyph_folder(tmp_path / "digits", classes="ABCDEFGHIJ", per_class=8)
    rc, out = train(tmp_path, [data], "digit", "--steps", "2", "--loss", "contrastive", "--margin", "1",
                    "-K", "2", name="d")
    assert rc == 0
    assert "split by sample" in capsys.readouterr().out
    card = Encoder.load(out, device="cpu").card
    split = card.provenance["split"]
    assert split["split_by"] == "sample" and split["val_classes"] == split["train_classes"] == 10
    assert split["val_samples"] == 20 and card.provenance["loss"] == "contrastive"
    for key in ("accuracy", "way_10_shot_1"):
        assert key in card.metrics
