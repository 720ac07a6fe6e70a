"""The Trainer's four parts on tiny data, and options declared once (a Config field is its flag)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import glyph_folder  # noqa: E402

from siamgui.train.cli import parser  # noqa: E402
from siamgui.train.config import Config  # noqa: E402
from siamgui.train.loop import Trainer  # noqa: E402


def test_setup_step_validate_finish(tmp_path):
    data = glyph_folder(tmp_path / "g", classes="ABCDEF", per_class=3)
    cfg = Config(data_dirs=[str(data)], preset="glyph", out=str(tmp_path / "m.onnx"), workdir=str(tmp_path / "w"),
                 steps=2, val_fraction=0.4, p=3, k=2, progress=False)
    t = Trainer(cfg).setup()
    assert t.progress() == 0.0 and t.have_val and len(t.val_cls) >= 2
    loss = t.step()
    assert loss > 0 and t.step_no == 1 and t.progress() == 0.5 and t.history["loss"] == [(1, loss)]
    figures = t.validate(quick=True)
    assert 0.0 <= figures["eer"] <= 1.0 and "auc" in figures
    t.step()
    report = t.finish()
    assert report["steps"] == 2 and Path(report["out"]).is_file() and (tmp_path / "w" / "checkpoint.pt").is_file()


def test_every_option_is_one_config_field():
    ap = parser()
    actions = {a.dest: a for a in ap._actions}
    flagged = [f for f in fields(Config) if "help" in f.metadata]
    assert len(flagged) >= 30
    for f in flagged:
        a = actions[f.name]  # the flag writes the field of the same name
        if f.metadata.get("help") != argparse.SUPPRESS:
            assert a.help == f.metadata["help"]
        if f.default is not MISSING and not f.metadata.get("positional"):
            assert a.default == f.default, f.name
    parsed = ap.parse_args(["d", "--preset", "glyph", "--out", "m.onnx"])
    defaults = Config()
    for f in flagged:
        if f.name not in ("data_dirs", "preset", "out", "workdir"):
            assert getattr(parsed, f.name) == getattr(defaults, f.name), f.name


def test_an_option_marked_so_replaces_the_presets_value():
    from siamgui.train.config import preset_overrides
    from siamgui.train.loop import _setup

    cfg = Config(data_dirs=["d"], preset="glyph", out="m.onnx", workdir="w", lr=0.01, p=3, loss="triplet-hard")
    assert preset_overrides(cfg) == {"loss": "triplet-hard", "p": 3, "lr": 0.01}
    preset = _setup(cfg)
    assert (preset["lr"], preset["p"], preset["loss"], preset["k"]) == (0.01, 3, "triplet-hard", 4)  # k: the preset's
