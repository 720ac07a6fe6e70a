"""Fine-tuning: the face-finetune preset from a (tiny) pretrained checkpoint, class centres imprinted,
and the test identities of another model's card kept out of training."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import face_folder  # noqa: E402

from siamgui.core.modelcard import read_card  # noqa: E402
from siamgui.train import backbones, losses  # noqa: E402
from siamgui.train.cli import main  # noqa: E402
from siamgui.train.loop import imprint_centres  # noqa: E402
from siamgui.train.presets import PRESETS  # noqa: E402


def tiny_checkpoint(path: Path) -> Path:
    """A siamgui-train checkpoint of a very small encoder on aligned face chips (stands in for dlib's net)."""
    preset = {"modality": "image", "spec": dict(PRESETS["face-finetune"]["spec"]),
              "backbone": {"channels": [4, 4], "dim": 8}}
    torch.manual_seed(0)
    model = backbones.build({**preset["backbone"], "in_ch": 3, "in_height": 150})
    torch.save({"model": model.state_dict(), "preset": preset}, path)
    return path


def train(tmp_path: Path, folder: Path, name: str, *extra: str) -> tuple[int, Path]:
    out = tmp_path / f"{name}.onnx"
    rc = main([str(folder), "--preset", "face-finetune", "--out", str(out), "--workdir", str(tmp_path / f"work-{name}"),
               "--no-progress", "--steps", "2", "-P", "2", "-K", "2", *extra])
    return rc, out


def test_finetune_from_a_checkpoint_and_exclude_another_models_test_identities(tmp_path, capsys):
    folder = face_folder(tmp_path / "faces", classes=6)
    ck = tiny_checkpoint(tmp_path / "tiny.pt")

    assert train(tmp_path, folder, "noinit")[0] == 2
    assert "pass --init" in capsys.readouterr().err

    rc, first = train(tmp_path, folder, "first", "--init", str(ck), "--val-fraction", "0.34")
    assert rc == 0
    text = capsys.readouterr().out
    assert "class centres set to the mean embedding" in text
    card = read_card(first)
    assert card.preprocess["kind"] == "face_aligned" and card.embedding_dim == 8
    split = card.provenance["split"]
    test_ids = split["val_class_names"]
    assert len(test_ids) == 2 and sorted(split["train_class_names"] + test_ids) == [f"faces/person{i}" for i in range(6)]
    assert card.provenance["train_layers"] == "head"
    assert card.provenance["parity_max_abs_diff"] < 1e-4

    rc, second = train(tmp_path, folder, "second", "--init", str(ck), "--val-fraction", "0.5",
                       "--exclude-classes-from", str(first), "--train-layers", "all")
    assert rc == 0
    assert "left out 2 classes (4 files) held out by first.onnx" in capsys.readouterr().out
    split2 = read_card(second).provenance["split"]
    used = set(split2["train_class_names"]) | set(split2["val_class_names"])
    assert used == {f"faces/person{i}" for i in range(6)} - set(test_ids)
    assert split2["excluded_from"] == "first.onnx"

    # a card whose held-out classes are not in these folders is refused in one sentence
    other = face_folder(tmp_path / "others", classes=3)
    rc, _ = train(tmp_path, other, "third", "--init", str(ck), "--exclude-classes-from", str(first))
    assert rc == 2 and "none of its 2 held-out classes" in capsys.readouterr().err


def test_imprinted_centres_are_the_class_means():
    crit = losses.make("cosface", classes=2, dim=2)
    inputs = [np.array([[1.0, 0.0]]), np.array([[0.8, 0.6]]), np.array([[0.0, -1.0]])]
    n = imprint_centres(crit, lambda x: x, inputs, [0, 0, 1])
    assert n == 2
    c = crit.centres.detach().numpy()
    assert np.allclose(c[0], np.array([0.9, 0.3]) / np.hypot(0.9, 0.3)) and np.allclose(c[1], [0.0, -1.0])
