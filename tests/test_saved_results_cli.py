"""What the command line keeps: `calibrate --plot`, `fewshot --out`, and progress bars only on a terminal."""

from __future__ import annotations

import csv
import io

import cv2
import numpy as np

from conftest import ROOT
from tasks.test_calibration import make_classes
from tasks.test_fewshot import letters
from terminal import on_a_terminal
from test_cli import siamgui

GLYPH = str(ROOT / "models" / "glyph.onnx")


def test_calibrate_plot_writes_both_plots_to_a_png(glyph_model, tmp_path):
    out = tmp_path / "plots.png"
    r = siamgui("calibrate", make_classes(tmp_path / "classes"), "--model", glyph_model, "--plot", out)
    assert r.returncode == 0, r.stderr
    assert f"plots -> {out}" in r.stdout and r.stderr == ""
    img = cv2.imread(str(out))
    assert img is not None and img.shape == (440, 1100, 3)
    b, g, rch = (img[..., i].astype(int) for i in range(3))
    green = (g > rch + 40) & (g > b + 40)
    red = (rch > g + 60) & (rch > b + 60)
    assert green[:, :650].sum() > 100 and red[:, :650].sum() > 100  # both histograms, left
    indigo = (b > 180) & (rch < 120) & (g < 120)
    assert indigo[:, 700:].sum() > 100  # the ROC curve, right


def test_calibrate_plot_is_checked_before_any_work(glyph_model, tmp_path):
    r = siamgui("calibrate", tmp_path, "--model", glyph_model, "--plot", tmp_path / "nope" / "p.png")
    assert r.returncode != 0 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = siamgui("calibrate", tmp_path, "--model", glyph_model, "--plot", tmp_path / "p.jpg")
    assert r.returncode != 0 and "--plot must end in .png" in r.stderr


def test_fewshot_out_writes_one_row_per_query(tmp_path):
    out = tmp_path / "predictions.csv"
    support, query = letters(tmp_path / "s", 3), letters(tmp_path / "q", 2, seed0=70)
    r = siamgui("fewshot", support, query, "--model", GLYPH, "--out", out)
    assert r.returncode == 0, r.stderr
    assert f"6 predictions -> {out}" in r.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 6 and set(rows[0]) == {"file", "predicted", "distance", "truth", "correct"}
    assert all(row["predicted"] == row["truth"] and row["correct"] == "1" for row in rows)
    assert rows[0]["file"].endswith(".png") and float(rows[0]["distance"]) >= 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_draws_on_a_terminal_and_stays_quiet_elsewhere():
    from siamgui.progress import Bar

    tty, pipe = _Terminal(), io.StringIO()
    for stream in (tty, pipe):
        with Bar("embedding", stream=stream) as progress:
            for done in range(0, 101, 10):
                progress(done, 100)
    assert "embedding" in tty.getvalue() and "100/100" in tty.getvalue()  # the finished bar stays
    assert pipe.getvalue() == ""


def test_embed_shows_a_bar_on_a_terminal_stderr_only(glyph_model, glyph_files, tmp_path):
    """A real pseudo-terminal as stderr: the bar is drawn there; stdout (piped) carries only the result."""
    files = [str(glyph_files[k]) for k in ("a1", "a2", "b1")]
    proc, seen = on_a_terminal("embed", *files, "--model", glyph_model, "--out", tmp_path / "e.npz")
    assert proc.returncode == 0
    assert b"embedding" in seen and b"3/3" in seen
    assert "embedding:" not in proc.stdout and proc.stdout.startswith("3 embeddings")
    piped = siamgui("embed", *files, "--model", glyph_model, "--out", tmp_path / "f.npz")
    assert piped.returncode == 0 and piped.stderr == ""
    assert np.load(tmp_path / "f.npz").files
