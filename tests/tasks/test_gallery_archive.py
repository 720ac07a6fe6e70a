"""Gallery export and import: a round trip gives every person back; a hostile zip writes nothing."""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import signal
import stat
import struct
import zipfile

import cv2
import numpy as np
import pytest

from conftest import carded_model, draw
from siamgui import Encoder
from siamgui.core.gallery import Gallery
from siamgui.tasks import gallery_archive as ga
from siamgui.tasks.enrolment import enrol_files, identify, missing_count, people_for_model
from siamgui.tasks.metadata import strip_metadata

HOSTILE = "Zoë & Co <i>x</i> ../a/b"


def _enrolled(tmp_path, glyph_model, glyph_files):
    """A gallery with three people, one with a hostile name and two files of one name."""
    g = Gallery(tmp_path / "src" / "gallery.sqlite3")
    enc = Encoder.load(glyph_model)
    twin = tmp_path / "other" / "a1.png"  # the same file name as glyph_files["a1"]
    twin.parent.mkdir()
    img = cv2.imread(str(glyph_files["a1"]))
    img[40:60, 40:60] = 0
    cv2.imwrite(str(twin), img)
    enrol_files(g, enc, HOSTILE, [glyph_files["a1"], twin])
    enrol_files(g, enc, "CON", [glyph_files["b1"]])
    glyph_files["c1"] = tmp_path / "c1.png"
    cv2.imwrite(str(glyph_files["c1"]), draw("C", 4))
    enrol_files(g, enc, "..", [glyph_files["c1"]])
    return g, enc


def _answers(g, enc, files):
    return [(r.label, [(m.name, round(m.distance, 5)) for m in r.matches]) for r in
            (identify(g, enc, enc.embed(f)[0]) for f in files)]


def test_export_then_import_gives_every_person_back(tmp_path, glyph_model, glyph_files):
    g, enc = _enrolled(tmp_path, glyph_model, glyph_files)
    steps = []
    out = ga.export_gallery(g, tmp_path / "out.zip", progress=lambda done, total: steps.append((done, total)))
    assert out.people == 3 and out.samples == 4 and steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert stat.S_IMODE(os.stat(out.path).st_mode) == 0o600
    with zipfile.ZipFile(out.path) as z:
        names = z.namelist()
        manifest = json.loads(z.read("people.json"))
    # one safe folder per person: never a path, never a device name, never ".."
    assert all(n.count("/") == 1 for n in names if n != "people.json")
    assert sorted({n.split("/")[0] for n in names if "/" in n}) == ["Zoë & Co _i_x__i_ __a_b", "_CON", "person"]
    assert sorted(n.split("/")[1] for n in names if n.startswith("Zoë")) == ["a1 (2).png", "a1.png"]
    people = {p["name"]: p for p in manifest["people"]}
    assert set(people) == {HOSTILE, "CON", ".."} and people[HOSTILE]["kind"] == "glyph"
    assert [s["original"] for s in people[HOSTILE]["samples"]] == ["a1.png", "a1.png"]
    assert people["CON"]["samples"][0]["embeddings"][0]["model_hash"] == enc.model_hash

    fresh = Gallery(tmp_path / "dst.sqlite3")
    summary = ga.import_gallery(fresh, out.path)
    assert summary.samples == 4 and sorted(summary.added) == sorted([HOSTILE, "CON", ".."])
    assert [(p.name, p.samples, p.scope) for p in fresh.entries()] == [(p.name, p.samples, p.scope) for p in g.entries()]
    assert sorted(s.filename for s in fresh.samples()) == sorted(s.filename for s in g.samples())
    assert missing_count(fresh, enc) == 0  # the same model needs no re-embedding
    files = [glyph_files["a1"], glyph_files["c1"], glyph_files["b1"]]
    assert _answers(fresh, enc, files) == _answers(g, enc, files)
    assert [label for label, _ in _answers(fresh, enc, files)] == [HOSTILE, "..", "CON"]


def test_conflicts_merge_rename_or_skip_and_say_which(tmp_path, glyph_model, glyph_files):
    g, enc = _enrolled(tmp_path, glyph_model, glyph_files)
    out = ga.export_gallery(g, tmp_path / "out.zip").path
    skip = ga.import_gallery(g, out, "skip")
    assert skip.samples == 0 and sorted(skip.skipped) == sorted([HOSTILE, "CON", ".."])
    assert "skipped" in skip.sentence()
    merge = ga.import_gallery(g, out, "merge")  # the same files are already there: nothing doubled
    assert merge.samples == 0 and merge.left_out == 4 and len(g.samples()) == 4
    rename = ga.import_gallery(g, out, "rename")
    assert (HOSTILE, f"{HOSTILE} (2)") in rename.renamed and "renamed" in rename.sentence()
    assert g.person(f"{HOSTILE} (2)", "glyph").samples == 2


def test_merge_stops_at_five_samples(tmp_path, glyph_model, glyph_files):
    g = Gallery(tmp_path / "a.sqlite3")
    enc = Encoder.load(glyph_model)
    files = []
    for i in range(5):
        p = tmp_path / f"x{i}.png"
        img = cv2.imread(str(glyph_files["a1"]))
        img[0, i] = 0  # five different files
        cv2.imwrite(str(p), img)
        files.append(p)
    enrol_files(g, enc, "Ada", files[:3])
    other = Gallery(tmp_path / "b.sqlite3")
    enrol_files(other, enc, "Ada", files[2:] + [glyph_files["a2"]])
    summary = ga.import_gallery(g, ga.export_gallery(other, tmp_path / "o.zip").path, "merge")
    assert summary.merged == ["Ada"] and summary.samples == 2 and summary.left_out == 2
    assert g.person("Ada", "glyph").samples == 5


def test_a_zip_of_another_kind_goes_under_that_kind(tmp_path, glyph_model, glyph_files):
    g, _ = _enrolled(tmp_path, glyph_model, glyph_files)
    out = ga.export_gallery(g, tmp_path / "out.zip").path
    fresh = Gallery(tmp_path / "dst.sqlite3")
    fruit = Encoder.load(carded_model(tmp_path / "fruit.onnx", {"kind": "image", "size": 32}, name="fruitish"))
    ga.import_gallery(fresh, out)
    assert people_for_model(fresh, fruit) == ([], 3)  # imported as glyphs, not under the fruit model
    assert [p.scope for p in fresh.entries()] == ["glyph"] * 3


# --- hostile archives ---------------------------------------------------------------------------
def _zip(path, entries, manifest=None, link=None):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
        if manifest is not None:
            z.writestr("people.json", json.dumps(manifest))
    return path


def _manifest(files):
    return {"format": ga.FORMAT, "version": 2, "people": [
        {"name": "Eve", "kind": "glyph", "samples": [{"file": f, "medium": "image"} for f in files]}]}


PNG = cv2.imencode(".png", np.zeros((8, 8), np.uint8))[1].tobytes()


@pytest.mark.parametrize("case, sentence", [
    ("climb", "climbs out of its folder"),
    ("absolute", "absolute path"),
    ("link", "holds a link"),
    ("extra", "people.json does not match the files"),
    ("missing", "is missing"),
    ("bomb", "more than a sample can be"),
    ("manifest bomb", "more than a manifest can be"),
    ("many", "entries, more than"),
    ("not a zip", "not a readable zip"),
    ("no manifest", "has no people.json"),
    ("bad vector", "not a number"),
    ("wrong medium", "is not a 'image' file"),
    ("deep json", "nested too deeply"),
])
def test_a_hostile_zip_is_refused_in_one_sentence_and_writes_nothing(tmp_path, case, sentence, monkeypatch):
    z = tmp_path / "in.zip"
    if case == "climb":
        _zip(z, {"../evil.png": PNG}, _manifest(["../evil.png"]))
    elif case == "absolute":
        _zip(z, {"/tmp/evil.png": PNG}, _manifest(["/tmp/evil.png"]))
    elif case == "link":
        _zip(z, {"Eve/a.png": PNG}, _manifest(["Eve/a.png"]), link="Eve/b.png")
    elif case == "extra":
        _zip(z, {"Eve/a.png": PNG, "Eve/run.sh": b"rm -rf ~"}, _manifest(["Eve/a.png"]))
    elif case == "missing":
        _zip(z, {"Eve/a.png": PNG}, _manifest(["Eve/a.png", "Eve/b.png"]))
    elif case == "bomb":  # 100 MiB of zeros in a ~100 KiB zip
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
            with f.open("Eve/a.png", "w") as w:
                for _ in range(100):
                    w.write(bytes(2**20))
            f.writestr("people.json", json.dumps(_manifest(["Eve/a.png"])))
        assert z.stat().st_size < 2**20
    elif case == "manifest bomb":  # the manifest itself, 100 MiB of spaces
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
            with f.open("people.json", "w") as w:
                for _ in range(100):
                    w.write(b" " * 2**20)
    elif case == "many":
        monkeypatch.setattr(ga, "MAX_ENTRIES", 50)
        _zip(z, {f"Eve/{i}.png": PNG for i in range(60)}, _manifest([f"Eve/{i}.png" for i in range(60)]))
    elif case == "not a zip":
        z.write_bytes(b"PK\x03\x04 not really")
    elif case == "no manifest":
        _zip(z, {"Eve/a.png": PNG})
    elif case == "bad vector":
        m = _manifest(["Eve/a.png"])
        m["people"][0]["samples"][0]["embeddings"] = [
            {"model": "x", "model_hash": "abc", "vector": __import__("base64").b64encode(
                np.array([np.nan, 1], np.float32).tobytes()).decode()}]
        _zip(z, {"Eve/a.png": PNG}, m)
    elif case == "wrong medium":
        _zip(z, {"Eve/a.exe": PNG}, _manifest(["Eve/a.exe"]))
    elif case == "deep json":
        with zipfile.ZipFile(z, "w") as f:
            f.writestr("people.json", "[" * 200_000 + "]" * 200_000)
    g = Gallery(tmp_path / "g.sqlite3")
    g.enrol("Ada", [("image", ".png", PNG, "a.png")], np.ones((1, 4), np.float32), "h", "m", scope="glyph")
    before = [(p.name, p.samples, p.scope) for p in g.entries()]
    with pytest.raises(ga.ArchiveError) as err:
        ga.import_gallery(g, z)
    assert sentence in str(err.value) and "nothing was changed" in str(err.value) or case == "not a zip"
    assert sentence in str(err.value) and "\n" not in str(err.value)
    assert [(p.name, p.samples, p.scope) for p in g.entries()] == before
    assert not (tmp_path / "evil.png").exists()


def test_a_directory_that_lies_about_sizes_is_caught_while_reading(tmp_path):
    z = _zip(tmp_path / "in.zip", {"Eve/a.png": PNG}, _manifest(["Eve/a.png"]))
    data = bytearray(z.read_bytes())
    cd = data.find(b"PK\x01\x02")  # the first central-directory record is Eve/a.png
    struct.pack_into("<I", data, cd + 24, 10)  # uncompressed size: 10 bytes (it is more)
    z.write_bytes(bytes(data))
    g = Gallery(tmp_path / "g.sqlite3")
    with pytest.raises(ga.ArchiveError, match="not the size|cannot be read"):
        ga.import_gallery(g, z)
    assert g.people() == []


def _import_and_die(gallery_path, zip_path):
    g = Gallery(gallery_path)
    ga.import_gallery(g, zip_path, progress=lambda done, total: done >= 2 and os.kill(os.getpid(), signal.SIGKILL))


def test_kill_9_during_an_import_leaves_the_gallery_as_it_was(tmp_path, glyph_model, glyph_files):
    g, _ = _enrolled(tmp_path, glyph_model, glyph_files)
    out = ga.export_gallery(g, tmp_path / "out.zip").path
    target = tmp_path / "dst.sqlite3"
    with Gallery(target) as t:
        t.enrol("Kept", [("image", ".png", PNG, "k.png")], np.ones((1, 16), np.float32), "h", "m", scope="glyph")
    proc = mp.get_context("fork").Process(target=_import_and_die, args=(target, out))
    proc.start()
    proc.join(60)
    assert proc.exitcode == -signal.SIGKILL
    with Gallery(target) as t:
        assert [p.name for p in t.people()] == ["Kept"] and len(t.samples()) == 1


# --- metadata -------------------------------------------------------------------------------
def _jpeg_with_exif(orientation=1):
    img = np.tile(np.arange(32, dtype=np.uint8), (24, 1))
    img = cv2.merge([img, img[::-1], 255 - img])
    jpg = cv2.imencode(".jpg", img)[1].tobytes()
    gps = b"GPS 51.5N 0.12W alice@example.com"
    tiff = (b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHH", 1, 0x0112, 3, 1, orientation, 0)
            + b"\x00\x00\x00\x00" + gps)
    app1 = b"Exif\x00\x00" + tiff
    com = b"owner: alice@example.com"
    return (jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
            + b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com + jpg[2:])


@pytest.mark.parametrize("orientation", [1, 6])
def test_exported_photos_lose_their_exif_but_not_a_pixel(tmp_path, orientation):
    jpg = _jpeg_with_exif(orientation)
    clean, cleaned = strip_metadata(".jpg", jpg)
    assert cleaned and b"alice@example.com" not in clean and b"GPS" not in clean
    before = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
    after = cv2.imdecode(np.frombuffer(clean, np.uint8), cv2.IMREAD_COLOR)
    assert before.shape == after.shape and np.array_equal(before, after)  # orientation 6 still turns it
    g = Gallery(tmp_path / "g.sqlite3")
    g.enrol("Ada", [("image", ".jpg", jpg, "me.jpg")], np.ones((1, 4), np.float32), "h", "m", scope="face")
    summary = ga.export_gallery(g, tmp_path / "o.zip")
    assert summary.cleaned == 1 and "metadata removed from 1 photo" in summary.sentence()
    with zipfile.ZipFile(summary.path) as z:
        assert b"alice@example.com" not in z.read("Ada/me.jpg")


def test_png_text_chunks_are_removed(tmp_path):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "alice@example.com")
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(buf, "PNG", pnginfo=info)
    clean, cleaned = strip_metadata(".png", buf.getvalue())
    assert cleaned and b"alice@example.com" in buf.getvalue() and b"alice@example.com" not in clean
    assert np.array_equal(cv2.imdecode(np.frombuffer(clean, np.uint8), 0), np.full((8, 8), 7, np.uint8))


def test_an_import_holds_one_sample_in_memory_at_a_time(tmp_path):
    """Six 30 MiB samples (180 MiB unpacked, a few hundred KiB zipped): the import's Python memory
    peak stays near one sample, not the archive."""
    import tracemalloc

    z = tmp_path / "big.zip"
    files = [f"Eve/{i}.png" for i in range(6)]
    m = _manifest(files[:5])  # five for Eve, the sixth for Sam: all six are imported
    m["people"].append({"name": "Sam", "kind": "glyph", "samples": [{"file": files[5], "medium": "image"}]})
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        for i, name in enumerate(files):
            f.writestr(name, bytes([i]) * (30 * 2**20))
        f.writestr("people.json", json.dumps(m))
    g = Gallery(tmp_path / "g.sqlite3")
    tracemalloc.start()
    try:
        summary = ga.import_gallery(g, z)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert summary.samples == 6
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_export_onto_the_gallery_itself_is_refused(tmp_path):
    """The Export dialog (or a script) naming the gallery file once replaced everyone with a zip."""
    g = Gallery(tmp_path / "g.sqlite3")
    g.enrol("Ada", [("image", ".png", PNG, "a.png")], np.ones((1, 4), np.float32), "h", "m", scope="glyph")
    from siamgui.core.gallery import GalleryError

    with pytest.raises(GalleryError) as err:
        ga.export_gallery(g, tmp_path / "g.sqlite3")
    assert "is the gallery itself" in str(err.value)
    assert [p.name for p in g.entries()] == ["Ada"]
