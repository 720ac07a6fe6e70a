"""`siamgui calibrate`, through real subprocesses: folder, pairs CSV, --use, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tasks.test_calibration import make_classes
from test_cli import siamgui


def test_calibrate_folder_json(glyph_model, tmp_path):
    root = make_classes(tmp_path / "classes")
    r = siamgui("calibrate", root, "--model", glyph_model, "--json", "--target-far", "0.05")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("auc", "eer", "eer_threshold", "threshold", "rates", "default_threshold", "default_rates",
                "pairs", "items", "classes", "skipped", "providers", "model_hash"):
        assert key in out
    assert out["classes"] == 6 and out["items"] == 30 and out["target_far"] == 0.05
    assert out["pairs"]["same"] == out["pairs"]["different"] > 0
    assert out["rates"]["far"] <= 0.05 and set(out["rates"]) == {"accuracy", "far", "frr"}
    assert out["stored"] is None


def test_calibrate_text_reports_rates_and_skips(glyph_model, tmp_path):
    root = make_classes(tmp_path / "classes")
    (root / "A" / "bad.png").write_bytes(b"junk")
    r = siamgui("calibrate", root, "--model", glyph_model)
    assert r.returncode == 3, r.stderr  # some files used, one refused (README, "Exit codes")
    assert "ROC AUC" in r.stdout and "EER" in r.stdout and "false accepts" in r.stdout
    assert "files used, 1 refused" in r.stderr
    assert "(1 skipped)" in r.stdout and "bad.png" in r.stderr and "Traceback" not in r.stderr
    assert "not stored" in r.stdout


def test_calibrate_pairs_csv(glyph_model, glyph_files, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b,label\na1.png,a2.png,1\na1.png,b1.png,0\na2.png,b1.png,0\na1.png,a1.png,1\n")
    r = siamgui("calibrate", pairs, "--model", glyph_model, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["kind"] == "pairs" and out["pairs"] == {"same": 2, "different": 2}


def test_use_stores_the_threshold_and_compare_then_uses_it(glyph_model, glyph_files, tmp_path):
    root = make_classes(tmp_path / "classes")
    r = siamgui("calibrate", root, "--model", glyph_model, "--json", "--threshold", "0.0123", "--use")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["threshold"] == 0.0123 and out["stored"].startswith(os.environ["XDG_CONFIG_HOME"])
    r = siamgui("compare", glyph_files["a1"], glyph_files["b1"], "--model", glyph_model, "--json")
    assert json.loads(r.stdout)["threshold"] == 0.0123
    r = siamgui("calibrate", root, "--model", glyph_model, "--json", "--target-far", "0.1", "--use")
    chosen = json.loads(r.stdout)["threshold"]
    r = siamgui("compare", glyph_files["a1"], glyph_files["b1"], "--model", glyph_model, "--json")
    assert json.loads(r.stdout)["threshold"] == chosen
    r = siamgui("models", "--json", env={"SIAMGUI_MODELS": str(glyph_model.parent)})
    assert r.returncode == 0


def test_errors_are_one_line(glyph_model, tmp_path):
    one = make_classes(tmp_path / "one", letters="A")
    bad_csv = tmp_path / "p.csv"
    bad_csv.write_text("a,b\nx,y\n")
    for args in ((one,), (tmp_path / "missing",), (bad_csv,), (one, "--target-far", "2")):
        r = siamgui("calibrate", *args, "--model", glyph_model)
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 or "usage:" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_calibrate_never_imports_qt(glyph_model, tmp_path):
    root = make_classes(tmp_path / "classes", letters="AB", per_class=3)
    code = ("import sys; from siamgui.cli import main; "
            f"rc = main(['calibrate', r'{root}', '--model', r'{glyph_model}', '--json']); "
            "assert rc == 0; assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
