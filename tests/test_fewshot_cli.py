"""`siamgui fewshot`, through real subprocesses: labelled and plain queries, --json, --curve, errors."""

from __future__ import annotations

import json

import cv2

from conftest import ROOT, carded_model, draw
from tasks.test_fewshot import LETTERS, letters
from test_cli import siamgui

GLYPH = str(ROOT / "models" / "glyph.onnx")


def test_labelled_queries_json_has_accuracy_classes_confusion_and_predictions(tmp_path):
    support, query = letters(tmp_path / "s", 3), letters(tmp_path / "q", 2, seed0=70)
    r = siamgui("fewshot", support, query, "--model", GLYPH, "--json", "--curve", "--episodes", "20")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["accuracy"] == 1.0 and out["classes"] == list(LETTERS)
    assert out["confusion"] == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]
    assert len(out["predictions"]) == 6
    first = out["predictions"][0]
    assert first["predicted"] == first["truth"] == "A" and first["distance"] >= 0 and first["file"].endswith(".png")
    assert out["curve"]["n_way"] == 3 and [p["k"] for p in out["curve"]["points"]] == [1, 2]


def test_plain_files_print_one_prediction_each(tmp_path):
    support = letters(tmp_path / "s", 2)
    q = tmp_path / "mystery.png"
    cv2.imwrite(str(q), draw("L", 4242))
    r = siamgui("fewshot", support, q, "--model", GLYPH, "--classifier", "knn")
    assert r.returncode == 0, r.stderr
    assert f"{q}: L" in r.stdout and "accuracy" not in r.stdout


def test_labelled_text_shows_the_confusion_matrix(tmp_path):
    r = siamgui("fewshot", letters(tmp_path / "s", 2), letters(tmp_path / "q", 1, 9), "--model", GLYPH)
    assert r.returncode == 0, r.stderr
    assert "accuracy 100.0% (3 of 3)" in r.stdout and "rows: true class" in r.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    support = letters(tmp_path / "s", 2)
    (support / "empty").mkdir()
    voice = carded_model(tmp_path / "v.onnx", {"kind": "logmel"}, name="v")
    cases = [
        ((support, support, "--model", GLYPH), "the class folder is empty"),
        ((letters(tmp_path / "one", 2, chars=("A",)), support, "--model", GLYPH), "only one class"),
        ((letters(tmp_path / "s2", 2), support, "--model", voice), "holds image files, but the model 'v' reads audio"),
        ((tmp_path / "nope", support, "--model", GLYPH), "not a folder"),
    ]
    for argv, expected in cases:
        r = siamgui("fewshot", *argv)
        assert r.returncode == 2, (argv, r.stdout, r.stderr)
        assert expected in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
