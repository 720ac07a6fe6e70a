"""Hostile input to ``siamgui-train``: crafted checkpoints run nothing, bad numbers end in one
sentence with exit 2, checkpoints are written whole, and failed starts leave no empty folders."""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import glyph_folder  # noqa: E402

from siamgui.train.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Payload:
    """A pickle whose loading runs a shell command (what a crafted checkpoint would do)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def one_sentence(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("siamgui-train: error:"), err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def args(tmp_path: Path, data: Path, *extra: str) -> list[str]:
    return [str(data), "--preset", "glyph", "--out", str(tmp_path / "m.onnx"), "--workdir",
            str(tmp_path / "runs" / "m"), "--no-progress", *extra]


@pytest.fixture(scope="module")
def glyphs(tmp_path_factory) -> Path:
    return glyph_folder(tmp_path_factory.mktemp("hostile") / "g", classes="ABCDEF", per_class=3)


@pytest.mark.parametrize("option", ["--resume", "--init"])
@pytest.mark.parametrize("wrapped", [False, True], ids=["raw-pickle", "torch-zip"])
def test_a_crafted_checkpoint_runs_nothing(tmp_path, capsys, glyphs, option, wrapped):
    marker = tmp_path / "ran"
    crafted = tmp_path / "checkpoint.pt"
    if wrapped:
        torch.save({"model": Payload(marker), "preset": {}}, crafted)
    else:
        crafted.write_bytes(pickle.dumps({"model": Payload(marker), "preset": {}}))
    live = tmp_path / "live"  # the payload is live: unpickled the careless way, it runs
    with open(crafted, "rb") as fh:
        if wrapped:
            torch.load(fh, weights_only=False)
        else:
            pickle.load(fh)
    assert marker.exists()
    marker.unlink()
    assert not live.exists()
    assert main(args(tmp_path, glyphs, "--steps", "1", option, str(crafted))) == 2
    err = one_sentence(capsys)
    assert "refused" in err or "not a" in err
    assert not marker.exists()  # nothing ran
    assert not (tmp_path / "runs" / "m").exists()  # and the failed start left no folder


@pytest.mark.parametrize("bad, says", [
    (["-P", "0"], "at least 2"), (["--lr", "nan"], "finite"), (["--lr", "inf"], "finite"),
    (["--dim", "-1"], "at least 2"), (["--name-class", "("], "not a regular expression"),
    (["--steps", "-5"], "at least 1"), (["--steps", "0"], "at least 1"), (["--minutes", "-1"], "more than 0"),
    (["--minutes", "0"], "more than 0"), (["--seed", "-1"], "at least 0"), (["--val-fraction", "1.5"], "between 0"),
    (["--margin", "nan"], "finite"), (["--eval-every", "0"], "more than 0"),
    (["--speed-classes", "0.9,nan"], "finite"),
    # too large: 256 GB (--dim), 3 GB and 73 s (-K), an optimiser overflow (--lr), 100000 forked
    # workers, a run that never ends, a division by zero (speed 0): each once a traceback or worse
    (["--dim", "1000000000"], "at most 4,096"), (["-K", "100000"], "at most 128"), (["-P", "100000"], "at most 512"),
    (["--lr", "1e308"], "at most 10"), (["--margin", "1e308"], "at most 10"), (["--workers", "100000"], "at most 64"),
    (["--minutes", "1e300"], "at most 10080 (a week)"), (["--steps", "99999999999999999999"], "at most 1,000,000,000"),
    (["--speed-classes", "0,1e9"], "speeds must be from 0.25 to 4"), (["--hue-classes=-190"], "from -180 to 180"),
])
def test_bad_numbers_end_in_one_sentence_and_exit_2(tmp_path, capsys, glyphs, bad, says):
    with pytest.raises(SystemExit) as stop:
        main(args(tmp_path, glyphs, *bad))
    assert stop.value.code == 2
    assert says in one_sentence(capsys)
    assert not (tmp_path / "runs" / "m").exists()


def test_a_batch_too_large_for_memory_is_refused(tmp_path, capsys, glyphs):
    """-P and -K are each bounded, and so is their product (the preset's -P with a large -K too)."""
    assert main(args(tmp_path, glyphs, "--steps", "1", "-K", "128")) == 2
    assert "64 classes x 128 samples (-P x -K) make a batch of 8192; at most 2048" in one_sentence(capsys)
    assert not (tmp_path / "runs" / "m").exists()


def test_missing_and_truncated_checkpoints(tmp_path, capsys, glyphs):
    assert main(args(tmp_path, glyphs, "--steps", "1", "--resume", str(tmp_path / "nope.pt"))) == 2
    assert "no such checkpoint file" in one_sentence(capsys)
    good = tmp_path / "good.pt"
    torch.save({"model": {"w": torch.zeros(1000)}, "preset": {}}, good)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:300])
    for option in ("--resume", "--init"):
        assert main(args(tmp_path, glyphs, "--steps", "1", option, str(cut))) == 2
        assert "not a readable checkpoint" in one_sentence(capsys)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    assert main(args(tmp_path, glyphs, "--steps", "1", "--resume", str(other))) == 2
    assert "not a siamgui-train checkpoint" in one_sentence(capsys)
    assert not (tmp_path / "runs" / "m").exists()


def test_a_failed_start_leaves_no_empty_run_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(args(tmp_path, tmp_path / "empty", "--steps", "1")) == 2
    one_sentence(capsys)
    assert not (tmp_path / "runs").exists()  # neither runs/m nor runs/ (nothing was cached)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "m").write_text("a file where the run folder goes")
    assert main(args(tmp_path, tmp_path / "empty", "--steps", "1")) == 2
    assert "is a file, not a folder" in one_sentence(capsys)


def test_the_checkpoint_is_written_whole_and_reads_as_data_only(tmp_path, glyphs, monkeypatch):
    from siamgui.train import checkpoint

    rc = main(args(tmp_path, glyphs, "--steps", "2", "--val-fraction", "0.4", "-P", "3", "-K", "2"))
    assert rc == 0
    work = tmp_path / "runs" / "m"
    ck = torch.load(work / "checkpoint.pt", weights_only=True)  # plain data: loads with weights_only
    assert ck["step"] == 2 and "model" in ck
    assert [p.name for p in work.iterdir() if p.name.endswith(".tmp")] == []
    before = (work / "checkpoint.pt").read_bytes()

    def killed(*_a, **_k):  # the process dies mid-write: the old checkpoint must survive
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint({"model": {}}, work / "checkpoint.pt")
    assert (work / "checkpoint.pt").read_bytes() == before
    assert [p.name for p in work.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    resumed = main(args(tmp_path, glyphs, "--steps", "3", "--val-fraction", "0.4", "-P", "3", "-K", "2",
                        "--resume", str(work / "checkpoint.pt")))
    assert resumed == 0 and torch.load(work / "checkpoint.pt", weights_only=True)["step"] == 3


def test_a_small_training_stays_under_2_gb(tmp_path, glyphs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "siamgui.train.cli", *args(tmp_path, glyphs, "--steps", "2",
                                                                           "-P", "3", "-K", "2")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < 2 * 1024 * 1024, f"peak {peak_kb / 1024:.0f} MB"
