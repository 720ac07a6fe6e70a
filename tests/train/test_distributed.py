"""Training on several ranks (torchrun, gloo on the CPU) and from an earlier model (--init)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import glyph_folder  # noqa: E402

from siamgui.core.encoder import Encoder  # noqa: E402
from siamgui.train.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_cpu_ranks_under_torchrun_train_and_rank0_exports(tmp_path):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCDEFGH", per_class=4)
    out = tmp_path / "ddp.onnx"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "siamgui.train.cli", str(data), "--preset", "glyph", "--out", str(out), "--device", "cpu",
           "--workdir", str(tmp_path / "work"), "--steps", "4", "-P", "4", "-K", "2", "--val-fraction", "0.5",
           "--no-progress"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "rank 0 of 2" in r.stdout and "rank 1" not in r.stdout  # one voice: rank 0's
    assert r.stdout.count("exported") == 1
    assert (tmp_path / "work" / "checkpoint.pt").is_file()
    enc = Encoder.load(out, device="cpu")
    assert enc.card.provenance["steps"] == 4


def test_init_from_a_checkpoint_and_train_only_the_head(tmp_path, capsys):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCDEF", per_class=4)
    common = ["--preset", "glyph", "--steps", "2", "-P", "3", "-K", "2", "--val-fraction", "0.5", "--no-progress",
              "--device", "cpu"]
    assert main([str(data), *common, "--out", str(tmp_path / "a.onnx"), "--workdir", str(tmp_path / "wa")]) == 0
    ckpt = tmp_path / "wa" / "checkpoint.pt"
    before = torch.load(ckpt, weights_only=True)["model"]
    assert main([str(data), *common, "--out", str(tmp_path / "b.onnx"), "--workdir", str(tmp_path / "wb"),
                 "--init", str(ckpt), "--train-layers", "head", "--loss", "arcface"]) == 0
    after = torch.load(tmp_path / "wb" / "checkpoint.pt", weights_only=True)["model"]
    frozen = [k for k in before if not k.startswith("head.") and "running" not in k and "num_batches" not in k]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert not torch.equal(before["head.weight"], after["head.weight"])


def test_init_errors_are_one_line(tmp_path, capsys):
    data = glyph_folder(tmp_path / "glyphs", classes="ABCD", per_class=3)
    rc = main([str(data), "--preset", "glyph", "--out", str(tmp_path / "x.onnx"), "--init", "nothing-here",
               "--steps", "1", "--no-progress"])
    assert rc == 2 and "not an importer" in capsys.readouterr().err
    rc = main([str(data), "--preset", "glyph", "--out", str(tmp_path / "x.onnx"), "--device", "cuda",
               "--steps", "1", "--no-progress"])
    if not torch.cuda.is_available():
        assert rc == 2 and "no CUDA" in capsys.readouterr().err
