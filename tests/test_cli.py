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
    assert r.returncode == 3 and "broken.png" in r.stderr and "Traceback" not in r.stderr
    assert "1 of 2 pairs compared, 1 refused" in r.stderr
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


# --- issue 9: rough edges, each through the real command ----------------------------------------
def run_main(capsys, *args):
    """cli.main in this process: (exit code, stdout, stderr lines)."""
    from siamgui.cli import main

    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:  # argparse
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err.strip().splitlines()


def one_error_line(err, *words):
    assert len(err) == 1, err
    assert err[0].startswith(("siamgui: error:", "siamgui identify: error:")), err
    for w in words:
        assert w in err[0], err
    return err[0]


@pytest.mark.parametrize("top", ["0", "-3", "two"])
def test_identify_top_must_be_a_whole_number_of_one_or_more(capsys, glyph_model, glyph_files, tmp_path, top):
    rc, out, err = run_main(capsys, "identify", glyph_files["a1"], "--model", glyph_model, "--gallery",
                            tmp_path / "g.sqlite3", "--top", top)
    assert rc == 2 and out == ""
    one_error_line(err, "--top", "1 or more" if top != "two" else "whole number")


def test_embed_out_is_exactly_the_path_given_or_a_file_inside_a_folder(capsys, glyph_model, glyph_files, tmp_path):
    a = glyph_files["a1"]
    folder = tmp_path / "vectors"
    folder.mkdir()
    rc, out, err = run_main(capsys, "embed", a, "--model", glyph_model, "--out", folder)
    assert rc == 0 and out.strip().endswith(f"-> {folder / 'embeddings.npz'}") and not err
    assert str(a) in np.load(folder / "embeddings.npz").files and not (tmp_path / "vectors.npz").exists()
    rc, out, err = run_main(capsys, "embed", a, "--model", glyph_model, "--out", tmp_path / "plain")
    assert rc == 0 and out.strip().endswith(f"-> {tmp_path / 'plain'}")
    assert (tmp_path / "plain").is_file() and not (tmp_path / "plain.npz").exists()
    assert str(a) in np.load(tmp_path / "plain").files
    rc, out, err = run_main(capsys, "embed", a, "--model", glyph_model, "--out", tmp_path / "nope" / "e.npz")
    assert rc == 2
    one_error_line(err, "folder", "does not exist")


def test_compare_out_folder_gets_a_named_file(capsys, glyph_model, glyph_files, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b\na1.png,b1.png\n")
    rc, out, err = run_main(capsys, "compare", "--pairs", pairs, "--model", glyph_model, "--out", tmp_path)
    assert rc == 0 and f"-> {tmp_path / 'distances.csv'}" in out
    assert (tmp_path / "distances.csv").is_file()


@pytest.mark.parametrize("text, words", [
    ("a,b,label\na1.png,a2.png,1\na1.png\n", ["pairs.csv, line 3", "expected 3 columns", "found 1"]),
    ("a,b,label\na1.png,a2.png,1\na1.png,b1.png,maybe\n", ["pairs.csv, line 3", "label must be", "'maybe'"]),
    ("a,b\na1.png,\n", ["pairs.csv, line 2", "b column is empty"]),
    ("x,y\na1.png,a2.png\n", ["pairs.csv, line 1", "columns a,b"]),
    (b"a,b\n\x89PNG\x00\x01\x02", ["pairs.csv, line 2", "not a text file"]),
    (b"a,b\na1.png,a2.png\n\xe9t\xe9.png,a1.png\n", ["pairs.csv, line 3", "not UTF-8"]),
])
def test_bad_pairs_files_name_the_file_and_line(capsys, glyph_model, glyph_files, tmp_path, text, words):
    pairs = tmp_path / "pairs.csv"
    pairs.write_bytes(text if isinstance(text, bytes) else text.encode())
    rc, out, err = run_main(capsys, "compare", "--pairs", pairs, "--model", glyph_model, "--out", tmp_path / "o.csv")
    assert rc == 2 and not (tmp_path / "o.csv").exists()
    one_error_line(err, *words)


def test_pairs_labels_in_words_are_understood(capsys, glyph_model, glyph_files, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("A,B,Label,note\na1.png,a2.png,yes,x\na1.png,b1.png,different,y\na2.png,b1.png,false,\n"
                     "a1.png,a1.png,same,z\n")
    rc, out, err = run_main(capsys, "compare", "--pairs", pairs, "--model", glyph_model, "--out", tmp_path / "o.csv")
    assert rc == 0, err
    assert "ROC AUC" in out
    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert list(rows[0])[:4] == ["A", "B", "Label", "note"] and rows[0]["note"] == "x" and rows[3]["same"] == "1"


def test_card_keys_can_be_set_one_at_a_time(capsys, tmp_path):
    from onnx_factory import projection_model

    bare = projection_model(tmp_path / "bare.onnx", (1, 32, 32))
    rc, out, err = run_main(capsys, "card", bare, "--set", "metric=cosine")
    assert rc == 0 and not err
    first = out.splitlines()[0]
    assert "still missing" in first and "preprocess, threshold" in first and "metric" not in first.split(":")[-1]
    assert "modality" not in first  # the medium follows from the preprocess kind
    rc, out, err = run_main(capsys, "card", bare)  # showing an incomplete card: what is there, and what is missing
    assert rc == 2 and json.loads(out) == {"metric": "cosine"}
    one_error_line(err, "incomplete", "preprocess, threshold")
    for item in ("modality=image", 'preprocess={"kind": "glyph", "size": 32}'):
        rc, out, err = run_main(capsys, "card", bare, "--set", item)
        assert rc == 0 and "still missing" in out
    assert "threshold (set them" in out.splitlines()[0]
    rc, out, err = run_main(capsys, "card", bare, "--set", "threshold=0.3")
    assert rc == 0 and out.startswith("card written to") and "still missing" not in out
    enc = Encoder.load(bare)
    assert enc.card.metric == "cosine" and enc.threshold == 0.3


@pytest.mark.parametrize("item, words", [("metrc=cosine", ["unknown card key 'metrc'"]),
                                         ("metric=manhattan", ["unknown metric"]),
                                         ("threshold=high", ["threshold must be a number"]),
                                         ("preprocess={bad", ["preprocess must be JSON"]),
                                         ("metric", ["KEY=VALUE"])])
def test_card_values_are_checked_one_by_one(capsys, tmp_path, item, words):
    from onnx_factory import projection_model

    bare = projection_model(tmp_path / "bare.onnx", (1, 32, 32))
    before = bare.read_bytes()
    rc, out, err = run_main(capsys, "card", bare, "--set", item)
    assert rc == 2 and bare.read_bytes() == before
    one_error_line(err, *words)


def test_a_folder_where_a_file_is_expected(capsys, glyph_model, glyph_files, tmp_path):
    (tmp_path / "album").mkdir()
    rc, out, err = run_main(capsys, "compare", glyph_files["a1"], tmp_path / "album", "--model", glyph_model)
    assert rc == 2
    one_error_line(err, "album is a folder, not a file")
    rc, out, err = run_main(capsys, "compare", glyph_files["a1"], glyph_files["a1"], "--model", tmp_path / "album")
    one_error_line(err, "is a folder, not a model file")
    rc, out, err = run_main(capsys, "card", tmp_path / "album")
    one_error_line(err, "is a folder, not a model file")
    rc, out, err = run_main(capsys, "compare", "--pairs", tmp_path / "album", "--model", glyph_model, "--out", "o.csv")
    one_error_line(err, "is a folder, not a pairs file")


def test_a_huge_image_is_refused_in_one_line(capsys, glyph_model, glyph_files, tmp_path):
    from media.test_images import huge_png

    big = huge_png(tmp_path / "huge.png")
    rc, out, err = run_main(capsys, "compare", glyph_files["a1"], big, "--model", glyph_model)
    assert rc == 2
    one_error_line(err, "huge.png: 20000x20000 is 400 megapixels", "up to 60 megapixels")


def test_models_shows_the_calibrated_threshold_in_use(capsys, glyph_model, monkeypatch):
    from siamgui.core import thresholds

    monkeypatch.setenv("SIAMGUI_MODELS", str(glyph_model.parent))
    rc, out, err = run_main(capsys, "models")
    line = next(s for s in out.splitlines() if s.startswith("glyphtest"))
    assert "threshold 0.0500 (card)" in line
    thresholds.store(Encoder.load(glyph_model).model_hash, 0.123, model_name="glyphtest")
    rc, out, err = run_main(capsys, "models")
    line = next(s for s in out.splitlines() if s.startswith("glyphtest"))
    assert rc == 0 and "threshold 0.1230 (calibrated; card 0.0500)" in line
    rc, out, err = run_main(capsys, "models", "--json")
    row = next(r for r in json.loads(out) if r["name"] == "glyphtest")
    assert row["threshold"] == 0.05 and row["calibrated_threshold"] == 0.123 and row["threshold_in_use"] == 0.123


def test_no_display_says_so_instead_of_aborting(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-m", "siamgui"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    line = one_error_line(r.stderr.strip().splitlines(), "no display", "QT_QPA_PLATFORM=offscreen", "siamgui compare")
    assert "DISPLAY and WAYLAND_DISPLAY are not set" in line


# --- the gallery when something is wrong with it ---------------------------------------------
def test_damaged_gallery_is_kept_aside_and_enrolment_goes_on(capsys, glyph_model, glyph_files, tmp_path):
    gal = tmp_path / "gallery.sqlite3"
    gal.write_bytes(b"not a database at all" * 50)
    rc, out, err = run_main(capsys, "identify", glyph_files["a1"], "--model", glyph_model, "--gallery", gal)
    kept = next(tmp_path.glob("gallery.damaged-*.sqlite3"))
    assert kept.read_bytes() == b"not a database at all" * 50
    assert err[0].startswith("siamgui: warning: the gallery file was damaged") and str(kept) in err[0]
    assert rc == 2 and "the gallery is empty" in err[1] and len(err) == 2
    rc, out, err = run_main(capsys, "enrol", "Alpha", glyph_files["a1"], "--model", glyph_model, "--gallery", gal)
    assert rc == 0 and not err and "enrolled Alpha" in out


def test_gallery_option_naming_a_folder_uses_gallery_sqlite3_inside(capsys, glyph_model, glyph_files, tmp_path):
    rc, out, err = run_main(capsys, "enrol", "Alpha", glyph_files["a1"], "--model", glyph_model, "--gallery", tmp_path)
    assert rc == 0 and out.strip().endswith(f"in {tmp_path / 'gallery.sqlite3'}")
    rc, out, err = run_main(capsys, "identify", glyph_files["a1"], "--model", glyph_model, "--gallery", tmp_path)
    assert rc == 0 and out.split(":")[-1].strip().startswith("Alpha")


def _read_only_mount(folder):
    """argv prefix running a command with ``folder`` read-only (a private mount namespace); None if impossible."""
    import shutil

    if shutil.which("unshare") is None:
        return None
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    prefix = ["unshare", "-rm", "sh", "-c", script, str(folder)]
    probe = subprocess.run([*prefix, "sh", "-c", f'touch "{folder}/probe" 2>/dev/null && echo writable || echo ro'],
                           capture_output=True, text=True, timeout=30)
    return prefix if probe.stdout.strip() == "ro" else None


def test_gallery_on_a_read_only_file_system(glyph_model, glyph_files, tmp_path):
    home = tmp_path / "gal"
    home.mkdir()
    gal = home / "gallery.sqlite3"
    r = siamgui("enrol", "Alpha", glyph_files["a1"], "--model", glyph_model, "--gallery", gal)
    assert r.returncode == 0, r.stderr
    prefix = _read_only_mount(home)
    if prefix is None:
        pytest.skip("cannot make a read-only mount here (unshare/mount namespaces unavailable)")
    before = gal.read_bytes()

    def ro(*args):
        return subprocess.run([*prefix, sys.executable, "-m", "siamgui", *map(str, args)], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})

    r = ro("identify", glyph_files["a1"], "--model", glyph_model, "--gallery", gal)
    assert r.returncode == 0 and "Alpha" in r.stdout and r.stderr == "", r.stderr
    r = ro("enrol", "Beta", glyph_files["b1"], "--model", glyph_model, "--gallery", gal)
    assert r.returncode == 2 and r.stdout == ""
    one_error_line(r.stderr.strip().splitlines(), "read-only", "file system is read-only", str(gal))
    assert gal.read_bytes() == before


# --- explain ---------------------------------------------------------------------------------
def test_explain_writes_a_side_by_side_map_and_one_line_on_bad_input(tmp_path, capsys):
    import cv2

    from conftest import carded_model, draw
    from siamgui.cli import main

    model = carded_model(tmp_path / "g.onnx", {"kind": "glyph", "size": 32}, name="g")
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    cv2.imwrite(str(a), draw("A", 1))
    cv2.imwrite(str(b), draw("B", 2))
    out = tmp_path / "map.png"
    assert main(["explain", str(a), str(b), "--model", str(model), "--out", str(out), "--device", "cpu"]) == 0
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[1] > 2 * picture.shape[0] * 0.8
    assert "occlusions" in capsys.readouterr().out
    wav = tmp_path / "x.wav"
    from conftest import tone

    tone(wav)
    assert main(["explain", str(wav), str(b), "--model", str(model), "--out", str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "takes images, not audio" in err[0]
    assert main(["explain", str(a), str(b), "--model", str(model), "--out", str(tmp_path / "m.jpg")]) == 2
