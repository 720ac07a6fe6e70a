"""``siamgui gallery ...`` and the kind scope of ``identify``, through real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from onnx_factory import carded_model
from terminal import on_a_terminal

HOSTILE = "Zoë & Co <i>x</i> ../a/b"


def siamgui(*args):
    return subprocess.run([sys.executable, "-m", "siamgui", *map(str, args)], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


@pytest.fixture
def enrolled(tmp_path, glyph_model, glyph_files):
    gallery = tmp_path / "g"
    r = siamgui("enrol", HOSTILE, glyph_files["a1"], glyph_files["a2"], "--model", glyph_model, "--gallery", f"{gallery}/")
    assert r.returncode == 0, r.stderr
    return gallery


def test_identify_under_a_model_of_another_kind_names_nobody_and_says_why(tmp_path, enrolled, glyph_files):
    fruit = carded_model(tmp_path / "fruitish.onnx", {"kind": "image", "size": 32}, name="fruitish")
    r = siamgui("identify", glyph_files["a1"], "--model", fruit, "--gallery", enrolled, "--json")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == ("siamgui: error: nobody is enrolled for fruitish (image models); 1 person is "
                                "enrolled under glyph models, which fruitish never compares with")
    assert "embedded" not in r.stderr  # nothing was re-embedded with the other kind's model


def test_list_export_import_rename_remove(tmp_path, enrolled, glyph_model, glyph_files):
    r = siamgui("gallery", "list", "--json", "--gallery", enrolled)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"people": [{"name": HOSTILE, "samples": 2, "kind": "glyph"}]}
    fruit = carded_model(tmp_path / "fruitish.onnx", {"kind": "image", "size": 32}, name="fruitish")
    assert json.loads(siamgui("gallery", "list", "--json", "--model", fruit, "--gallery", enrolled).stdout) == {
        "people": []}

    out = tmp_path / "out.zip"
    r = siamgui("gallery", "export", out, "--gallery", enrolled)
    assert r.returncode == 0 and "exported 1 person with 2 sample(s)" in r.stdout, r.stderr
    assert sorted(n.split("/")[-1] for n in zipfile.ZipFile(out).namelist()) == ["a1.png", "a2.png", "people.json"]

    fresh = tmp_path / "fresh.sqlite3"
    r = siamgui("gallery", "import", out, "--gallery", fresh)
    assert r.returncode == 0 and "1 new person" in r.stdout, r.stderr
    r = siamgui("gallery", "import", out, "--gallery", fresh, "--on-conflict", "skip")
    assert r.returncode == 0 and f"skipped {HOSTILE}" in r.stdout
    r = siamgui("identify", glyph_files["a1"], "--model", glyph_model, "--gallery", fresh, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["results"][0]["identity"] == HOSTILE
    assert "embedded" not in r.stderr  # the zip's embeddings were used as they are

    r = siamgui("gallery", "rename", HOSTILE, "Ada", "--gallery", fresh)
    assert r.returncode == 0, r.stderr
    r = siamgui("gallery", "remove", "Nobody", "--gallery", fresh)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nobody called 'Nobody'" in r.stderr
    r = siamgui("gallery", "remove", "Ada", "--gallery", fresh)
    assert r.returncode == 0 and "2 samples (glyph)" in r.stdout
    assert json.loads(siamgui("gallery", "list", "--json", "--gallery", fresh).stdout) == {"people": []}


def test_a_hostile_zip_exits_2_in_one_sentence(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("../../evil.png", b"x")
        z.writestr("people.json", "{}")
    gallery = tmp_path / "g.sqlite3"
    r = siamgui("gallery", "import", bad, "--gallery", gallery)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "climbs out of its folder" in r.stderr
    assert not gallery.exists()  # refused before the gallery is opened: not even an empty file is written
    listed = siamgui("gallery", "list", "--json", "--gallery", gallery)
    assert listed.returncode == 2 and "there is no gallery at" in listed.stderr and not gallery.exists()


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_linked_gallery_and_a_folder_gallery_exit_2(tmp_path, glyph_model, glyph_files):
    target = tmp_path / "other.txt"
    target.write_bytes(b"")
    os.chmod(target, 0o644)
    (tmp_path / "link.sqlite3").symlink_to(target)
    for cmd in ("enrol", "identify"):
        args = ("Ada",) if cmd == "enrol" else ()
        r = siamgui(cmd, *args, glyph_files["a1"], "--model", glyph_model, "--gallery", tmp_path / "link.sqlite3")
        assert r.returncode == 2 and "symbolic link" in r.stderr and r.stderr.count("\n") == 1
    assert target.read_bytes() == b"" and oct(os.stat(target).st_mode & 0o777) == "0o644"
    (tmp_path / "f" / "gallery.sqlite3").mkdir(parents=True)
    r = siamgui("gallery", "list", "--gallery", tmp_path / "f")
    assert r.returncode == 2 and "not a regular file" in r.stderr


def test_a_damaged_embedding_blob_is_one_sentence_and_exit_2(tmp_path, enrolled, glyph_model, glyph_files):
    import sqlite3

    db = sqlite3.connect(enrolled / "gallery.sqlite3")
    db.execute("UPDATE embeddings SET vector = x'010203' WHERE sample_id = 2")
    db.commit()
    db.close()
    r = siamgui("identify", glyph_files["a1"], glyph_files["b1"], "--model", glyph_model, "--gallery", enrolled)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "damaged embedding" in r.stderr and "3 bytes" in r.stderr and "bug" not in r.stderr


def test_export_and_import_show_a_bar_on_a_terminal_and_stay_quiet_piped(tmp_path, enrolled):
    out = tmp_path / "out.zip"
    proc, seen = on_a_terminal("gallery", "export", out, "--gallery", enrolled)
    assert proc.returncode == 0 and b"exporting" in seen and b"2/2" in seen
    assert proc.stdout.startswith("exported 1 person")  # stdout carries only the result
    proc, seen = on_a_terminal("gallery", "import", out, "--gallery", tmp_path / "fresh.sqlite3")
    assert proc.returncode == 0 and b"importing" in seen
    piped = siamgui("gallery", "export", tmp_path / "again.zip", "--gallery", enrolled)
    assert piped.returncode == 0 and piped.stderr == ""


def test_a_mistyped_gallery_is_said_never_created(tmp_path, glyph_model, glyph_files):
    """identify or gallery list on a gallery that is not there say so (no empty file is left behind);
    enrol into a folder whose parent does not exist makes no folders; "--gallery new/" may make
    that one folder, as before."""
    typo = tmp_path / "typo.sqlite3"
    r = siamgui("identify", glyph_files["a1"], "--model", glyph_model, "--gallery", typo)
    assert r.returncode == 2 and r.stderr.strip() == (
        f"siamgui: error: there is no gallery at {typo}: enrol someone there first "
        "(siamgui enrol NAME FILES --gallery ...), or check the path")
    assert not typo.exists()
    r = siamgui("gallery", "list", "--gallery", f"{tmp_path}/nowhere/")
    assert r.returncode == 2 and "there is no gallery at" in r.stderr and not (tmp_path / "nowhere").exists()
    deep = tmp_path / "missing" / "dir"
    r = siamgui("enrol", "Ann", glyph_files["a1"], "--model", glyph_model, "--gallery", f"{deep}/")
    assert r.returncode == 2 and r.stderr.strip() == (
        f"siamgui: error: the folder {tmp_path / 'missing'} does not exist: create it first, or name a gallery "
        "in a folder that exists")
    assert not (tmp_path / "missing").exists()
    r = siamgui("enrol", "Ann", glyph_files["a1"], "--model", glyph_model, "--gallery", f"{tmp_path / 'one'}/")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "one" / "gallery.sqlite3").is_file()
