"""Bad input: one clear line on stderr (no traceback), skipped files counted and summarised."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import glyph_folder, voice_folder  # noqa: E402

from siamgui.core.modelcard import read_card  # noqa: E402
from siamgui.train.cli import main  # noqa: E402


def run(tmp_path, data, preset="glyph", *extra):
    return main([str(data), "--preset", preset, "--out", str(tmp_path / "m.onnx"), "--workdir",
                 str(tmp_path / "work"), "--no-progress", "--steps", "2", *extra])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("siamgui-train: error:"), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    return err


def test_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert run(tmp_path, tmp_path / "empty") == 2
    assert "empty" in one_line_error(capsys)


def test_missing_folder(tmp_path, capsys):
    assert run(tmp_path, tmp_path / "nope") == 2
    assert "not a folder" in one_line_error(capsys)


def test_single_class(tmp_path, capsys):
    data = glyph_folder(tmp_path / "g", classes="A", per_class=4)
    assert run(tmp_path, data) == 2
    assert "at least 2" in one_line_error(capsys)


def test_wrong_modality(tmp_path, capsys):
    data = voice_folder(tmp_path / "v", speakers=2, per_speaker=1)
    assert run(tmp_path, data, "glyph") == 2
    assert "wrong modality" in one_line_error(capsys)
    data = glyph_folder(tmp_path / "g", classes="AB", per_class=2)
    assert run(tmp_path, data, "voice") == 2
    assert "wrong modality" in one_line_error(capsys)


def test_one_sample_classes_and_unreadable_files_are_skipped_and_counted(tmp_path, capsys):
    data = glyph_folder(tmp_path / "g", classes="ABCDEF", per_class=3)
    lonely = data / "char_Z"
    lonely.mkdir()
    (lonely / "only.png").write_bytes((data / "char_A" / "0.png").read_bytes())
    (data / "char_B" / "broken.png").write_bytes(b"not a png at all")
    (data / "char_C" / "empty.png").write_bytes(b"")
    (data / "stray.png").write_bytes((data / "char_A" / "1.png").read_bytes())
    assert run(tmp_path, data, "glyph", "--val-fraction", "0.4", "-P", "3", "-K", "2") == 0
    out = capsys.readouterr().out
    assert "2 unreadable or blank images" in out
    assert "1 classes with fewer than 2 usable samples" in out and "char_Z" in out
    assert "files outside class folders" in out
    skipped = read_card(tmp_path / "m.onnx").provenance["skipped"]
    assert skipped["unreadable or blank images"] == 2


def test_bad_out_and_k(tmp_path, capsys):
    data = glyph_folder(tmp_path / "g", classes="AB", per_class=2)
    assert main([str(data), "--preset", "glyph", "--out", str(tmp_path / "m.txt")]) == 2
    assert "--out" in one_line_error(capsys)
    with pytest.raises(SystemExit) as stop:  # -K is checked by the parser, like every number
        main([str(data), "--preset", "glyph", "--out", str(tmp_path / "m.onnx"), "-K", "1"])
    assert stop.value.code == 2
    assert "pairs need two samples of a class" in one_line_error(capsys)


def test_class_variant_options_take_numbers_and_say_so_otherwise(tmp_path, capsys):
    from siamgui.train.cli import parser

    assert parser().parse_args(["d", "--preset", "image", "--out", "m.onnx", "--hue-classes=-50,50"]).hue_classes == (
        -50.0, 50.0)
    for option in ("--hue-classes=-50,abc", "--speed-classes=0.9,x"):
        with pytest.raises(SystemExit) as stop:
            run(tmp_path, tmp_path, "image", option)
        assert stop.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert "expected numbers separated by commas" in err and "Traceback" not in err


def test_help_prints_and_budget_options_exclude_each_other(tmp_path, capsys):
    """--help once ended in a traceback ("empty group"): each option group made a spare, empty
    mutually exclusive group; --minutes and --steps still exclude each other."""
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "--minutes" in out and "--steps" in out and "usage: siamgui-train" in out
    with pytest.raises(SystemExit) as stop:
        run(tmp_path, tmp_path, "glyph", "--minutes", "1")  # run() passes --steps 2
    assert stop.value.code == 2
    assert "not allowed with argument" in one_line_error(capsys)
