"""The CLI contract, through real subprocesses."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from siamgui import Encoder


def siamgui(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "siamgui", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)


def test_compare_json_contract_and_parity_with_the_api(glyph_model, glyph_files):
    r = siamgui("compare", glyph_files["a1"], glyph_files["b1"], "--model", glyph_model, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("distance", "same", "threshold", "model", "providers"):
        assert key in out
    assert out["providers"] == ["CPUExecutionProvider"] and out["model"] == "glyphtest"
    api = Encoder.load(glyph_model).compare(glyph_files["a1"], glyph_files["b1"])
    assert abs(out["distance"] - api.distance) < 1e-6 and out["same"] == api.same


def test_compare_text_and_threshold_override(glyph_model, glyph_files):
    r = siamgui("compare", glyph_files["a1"], glyph_files["a1"], "--model", glyph_model)
    assert r.returncode == 0 and r.stdout.startswith("SAME") and "threshold 0.0500" in r.stdout
    r = siamgui("compare", glyph_files["a1"], glyph_files["b1"], "--model", glyph_model, "--threshold", "0")
    assert r.stdout.startswith("DIFFERENT")


def test_pairs_csv_with_labels(glyph_model, glyph_files, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b,label\na1.png,a2.png,1\na1.png,b1.png,0\na2.png,b1.png,0\na1.png,a1.png,1\n")
    out = tmp_path / "out.csv"
    r = siamgui("compare", "--pairs", pairs, "--model", glyph_model, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "ROC AUC" in r.stdout and "EER" in r.stdout and "accuracy" in r.stdout
    rows = list(csv.DictReader(out.open()))
    assert [k for k in rows[0]][:5] == ["a", "b", "label", "distance", "same"]
    enc = Encoder.load(glyph_model)
    want = enc.compare(glyph_files["a1"], glyph_files["b1"]).distance
    assert abs(float(rows[1]["distance"]) - want) < 1e-6
    assert rows[3]["same"] == "1"


def test_pairs_with_a_bad_file_keeps_the_good_rows(glyph_model, glyph_files, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"garbage")
    pairs = tmp_path / "p.csv"
    pairs.write_text("a,b\na1.png,b1.png\na1.png,broken.png\n")
    out = tmp_path / "o.csv"
    r = siamgui("compare", "--pairs", pairs, "--model", glyph_model, "--out", out)
    assert r.returncode == 1 and "broken.png" in r.stderr and "Traceback" not in r.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["distance"] and not rows[1]["distance"] and "not a readable image" in rows[1]["error"]


def test_embed_writes_npz_keyed_by_path(glyph_model, glyph_files, tmp_path):
    out = tmp_path / "emb.npz"
    paths = [str(glyph_files["a1"]), str(glyph_files["b1"])]
    r = siamgui("embed", *paths, "--model", glyph_model, "--out", out)
    assert r.returncode == 0, r.stderr
    data = np.load(out)
    assert sorted(data.files) == sorted(paths)
    np.testing.assert_allclose(data[paths[0]], Encoder.load(glyph_model).embed(paths[0])[0], atol=1e-6)


def test_models_json_lists_installed_models(glyph_model):
    r = siamgui("models", "--json", env={"SIAMGUI_MODELS": str(glyph_model.parent)})
    rows = {m["name"]: m for m in json.loads(r.stdout)}
    m = rows["glyphtest"]
    assert m["modality"] == "image" and m["input"]["shape"] == [1, 32, 32] and m["threshold"] == 0.05
    assert m["metric"] == "cosine" and "metrics" in m


@pytest.mark.parametrize("case", ["missing_file", "corrupt_image", "non_onnx", "no_card", "one_file"])
def test_user_errors_are_one_line_and_nonzero(case, glyph_model, glyph_files, tmp_path):
    from onnx_factory import projection_model

    a = glyph_files["a1"]
    args = {
        "missing_file": ("compare", a, tmp_path / "nope.png", "--model", glyph_model),
        "corrupt_image": ("compare", a, tmp_path / "bad.png", "--model", glyph_model),
        "non_onnx": ("compare", a, a, "--model", tmp_path / "bad.onnx"),
        "no_card": ("compare", a, a, "--model", projection_model(tmp_path / "bare.onnx", (1, 32, 32))),
        "one_file": ("compare", a, "--model", glyph_model),
    }[case]
    (tmp_path / "bad.png").write_bytes(b"\x89PNG garbage")
    (tmp_path / "bad.onnx").write_text("nope")
    r = siamgui(*args)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("siamgui: error:"), r.stderr


def test_headless_commands_never_import_qt(glyph_model, glyph_files):
    code = (
        "import sys; from siamgui.cli import main; "
        f"rc = main(['compare', r'{glyph_files['a1']}', r'{glyph_files['b1']}', '--model', r'{glyph_model}']); "
        "assert rc == 0; assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'; print('ok')"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr


def test_card_command_adds_a_card_to_a_bare_model(tmp_path, glyph_files):
    from onnx_factory import projection_model

    bare = projection_model(tmp_path / "bare.onnx", (1, 32, 32))
    r = siamgui("card", bare, "--set", "modality=image", "--set", 'preprocess={"kind": "glyph", "size": 32}',
                "--set", "metric=cosine", "--set", "threshold=0.4")
    assert r.returncode == 0, r.stderr
    assert Encoder.load(bare).threshold == 0.4


def test_enrol_then_identify(glyph_model, glyph_files, tmp_path):
    gal = tmp_path / "gallery.db"
    r = siamgui("enrol", "Alpha", glyph_files["a1"], "--model", glyph_model, "--gallery", gal)
    assert r.returncode == 0, r.stderr
    r = siamgui("enrol", "Beta", glyph_files["b1"], "--model", glyph_model, "--gallery", gal)
    assert r.returncode == 0, r.stderr
    r = siamgui("identify", glyph_files["a1"], "--model", glyph_model, "--gallery", gal, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert res["identity"] == "Alpha" and res["matches"][0]["distance"] < 1e-5
    r = siamgui("identify", glyph_files["a1"], "--model", glyph_model, "--gallery", gal, "--threshold", "-1")
    assert "UNKNOWN" in r.stdout
