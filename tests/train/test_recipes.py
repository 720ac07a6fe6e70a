"""Recipes: the seeds' experiments by name, their data found (or a clear sentence), the seed's figure in the card."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from siamgui.core.modelcard import read_card
from siamgui.train import cli, recipes

sys.path.insert(0, str(Path(__file__).resolve().parent))


def test_recipes_lists_every_recipe_with_its_seed_figure(capsys):
    assert cli.main(["recipes"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist-contrastive", "omniglot-oneshot", "omniglot-mnist-svm", "orl-contrastive", "cats-dogs", "fruit"):
        assert out.count(f"{name}:") == 1
    assert "98.9% pair accuracy" in out and "split by clip" in out


def test_a_recipe_without_its_data_says_where_to_put_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path))  # exists, but holds none of the sets
    assert cli.main(["recipe", "fruit", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "objects/fruits360_3body" in err[0] and "not there" in err[0]


def test_the_recipe_argv_carries_preset_loss_split_and_the_seed_figure(monkeypatch, tmp_path):
    (tmp_path / "glyphs" / "mnist_train").mkdir(parents=True)
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path))
    argv = recipes.train_argv(recipes.get("mnist-contrastive"), tmp_path / "m.onnx", ["--steps", "3"])
    assert argv[0] == str(tmp_path / "glyphs" / "mnist_train")
    assert argv[argv.index("--preset") + 1] == "digit" and argv[argv.index("--margin") + 1] == "1"
    assert argv[argv.index("--split-by") + 1] == "sample" and "--minutes" not in argv
    assert json.loads(argv[argv.index("--reported") + 1])["value"] == 0.989
    assert recipes.default_out(recipes.get("fruit")).name == "fruit.onnx"


def _photos(root, n_classes=4, per=4):
    rng = np.random.default_rng(0)
    for c in range(n_classes):
        d = root / f"kind{c}"
        d.mkdir(parents=True)
        colour = rng.integers(0, 255, 3)
        for i in range(per):
            img = np.full((40, 40, 3), 255, np.uint8)
            cv2.circle(img, (20, 20), 10 + c * 2, tuple(int(v) for v in colour), -1)
            cv2.imwrite(str(d / f"{i}.jpg"), img)


def test_a_recipe_runs_and_writes_the_seed_figure_beside_ours(monkeypatch, tmp_path):
    _photos(tmp_path / "data" / "objects" / "fruits360_3body", n_classes=6)
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path / "data"))
    out = tmp_path / "fruit.onnx"
    assert cli.main(["recipe", "fruit", "--steps", "2", "--out", str(out), "--no-progress",
                     "--workdir", str(tmp_path / "w"), "-P", "4", "-K", "2", "--val-fraction", "0.34"]) == 0
    card = read_card(out)
    assert card.preprocess["kind"] == "image" and card.metrics["seed_reported"]["value"] == 0.90
    assert "CC BY-SA 4.0" in card.provenance["data_licence"]
    assert "eer" in card.metrics and card.provenance["preset"] == "image"


def test_cats_dogs_splits_by_clip_on_the_shared_data(data_dir):
    """The sound source keeps one sample per clip, so a split by sample is a split by clip."""
    from siamgui.train.data import Skipped, scan
    from siamgui.train.modalities import SoundSource
    from siamgui.train.presets import get

    folder = data_dir / "sounds" / "audio_cats_dogs"
    if not folder.is_dir():
        pytest.skip("sounds/audio_cats_dogs absent")
    items = scan([folder], "audio", None, Skipped())[:12]
    src = SoundSource(items, get("sound")["spec"], Skipped(), None, progress=False)
    assert len(src.items) == len(src.waves) == 12 and {it.label.split("/")[-1] for it in src.items} <= {"cat", "dog"}
    x = src.train_sample(0, np.random.default_rng(0))
    assert x.shape == (1, 40, 100)


def _tiny_omniglot_and_mnist(root):
    from helpers import glyph_folder

    glyph_folder(root / "glyphs" / "omniglot_background", classes="ABCDEFGHIJ", per_class=4)
    glyph_folder(root / "glyphs" / "mnist_train", classes="0123456789", per_class=10)  # 2 held out a digit


def test_omniglot_mnist_svm_trains_on_omniglot_then_writes_mnist_figures_beside_the_seeds(monkeypatch, tmp_path,
                                                                                         capsys):
    pytest.importorskip("sklearn.svm", reason="the SVM needs scikit-learn (the fewshot extra)")
    _tiny_omniglot_and_mnist(tmp_path / "data")
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path / "data"))
    out = tmp_path / "gm.onnx"
    assert cli.main(["recipe", "omniglot-mnist-svm", "--steps", "2", "--out", str(out), "--no-progress",
                     "--workdir", str(tmp_path / "w"), "-P", "4", "-K", "2", "--val-fraction", "0.4",
                     "--shots", "1", "--episodes", "2"]) == 0
    card = read_card(out)
    assert card.provenance["data"] == [str(tmp_path / "data" / "glyphs" / "omniglot_background")]  # no digit trained on
    assert "feature extractor" in card.metrics["seed_reported"]["source"]
    got = card.metrics["mnist_fewshot"]
    assert got["shots"] == [1] and got["episodes"] == 2 and got["queries"] == 10  # one query a digit
    for clf in ("svm", "centroid"):
        assert 0.0 <= got[f"{clf}_1"]["mean"] <= 1.0
    assert "LinearSVC" in got["classifiers"]["svm"]
    printed = capsys.readouterr().out
    assert "svm      1-shot" in printed and "metrics.mnist_fewshot" in printed


def test_omniglot_mnist_svm_without_scikit_learn_says_how_to_get_it_before_training(monkeypatch, tmp_path,
                                                                                   capsys):
    from siamgui.tasks import fewshot

    _tiny_omniglot_and_mnist(tmp_path / "data")
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(fewshot, "svm_installed", lambda: False)
    out = tmp_path / "gm.onnx"
    assert cli.main(["recipe", "omniglot-mnist-svm", "--steps", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scikit-learn" in err[0] and "pip install" in err[0]
    assert not out.exists()  # nothing trained


def test_omniglot_mnist_svm_without_mnist_says_where_it_goes(monkeypatch, tmp_path, capsys):
    from helpers import glyph_folder

    glyph_folder(tmp_path / "data" / "glyphs" / "omniglot_background", classes="ABCD", per_class=2)
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path / "data"))
    monkeypatch.setattr("siamgui.tasks.fewshot.svm_installed", lambda: True)
    assert cli.main(["recipe", "omniglot-mnist-svm", "--steps", "1", "--out", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "glyphs/mnist_train" in err[0] and "not there" in err[0]


def test_cats_dogs_card_says_no_samples_may_ship(monkeypatch, tmp_path):
    (tmp_path / "sounds" / "audio_cats_dogs").mkdir(parents=True)
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path))
    argv = recipes.train_argv(recipes.get("cats-dogs"), tmp_path / "s.onnx", [])
    assert argv[argv.index("--preset") + 1] == "sound"
    assert argv[argv.index("--samples-note") + 1].startswith("none: ") and "no licence" in argv[argv.index("--samples-note") + 1]
    assert "states no licence" in argv[argv.index("--data-licence") + 1]


def test_cats_dogs_writes_a_sound_card_that_names_its_held_out_clips_and_why_no_samples(monkeypatch, tmp_path):
    from conftest import tone

    root = tmp_path / "data" / "sounds" / "audio_cats_dogs"
    for kind, base in (("cat", 600.0), ("dog", 150.0)):
        (root / kind).mkdir(parents=True)
        for n in range(8):
            tone(root / kind / f"{kind}_{n}.wav", freqs=(base + 10 * n, 2.1 * base), seconds=2.0)
    monkeypatch.setenv("SIAMGUI_DATA", str(tmp_path / "data"))
    out = tmp_path / "sound.onnx"
    assert cli.main(["recipe", "cats-dogs", "--steps", "2", "--out", str(out), "--no-progress",
                     "--workdir", str(tmp_path / "w"), "-K", "4"]) == 0
    card = read_card(out)
    assert card.preprocess["kind"] == "sound" and card.modality == "audio"
    assert card.provenance["samples"].startswith("none: ") and "no licence" in card.provenance["samples"]
    held = card.provenance["split"]["val_files"]
    assert len(held) == 4 and {f.split("/")[0] for f in held} == {"cat", "dog"}  # a quarter of each kind's clips
    assert all((root / f).is_file() for f in held)
